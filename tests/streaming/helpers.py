"""Shared set-up of the streaming tests: messages, a TestStream run of the streaming job, its tables read back."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import pyarrow.parquet as pq
from apache_beam.io.gcp.pubsub import PubsubMessage

SUBSCRIPTION = "projects/storybeam-test/subscriptions/articles"
# A whole minute (seconds since the epoch) in the past: windows of 60 s start here, and a late message,
# which goes on in the window of its arrival (now), lands after every test window.
T0 = 1_768_464_000  # 2026-01-15T08:00:00Z


def message(message_id: str, payload: Any) -> PubsubMessage:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return PubsubMessage(data, {}, message_id=message_id)


def sample_records(sample_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (sample_dir / "articles.jsonl").read_text().splitlines() if line.strip()]


def stream_config(output: Path, *extra: str):
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.stream import stream_config as config_of

    return config_of(PipelineOptions(["--subscription", SUBSCRIPTION, "--output", str(output),
                                      "--reference_time", "2027-01-01T00:00:00+00:00", *extra]))


def run_test_stream(events: Iterable[Any], output: Path, *extra: str) -> None:
    """Run the streaming job on BundleBasedDirectRunner over a TestStream built by ``events`` (a callable
    taking a TestStream and returning it), with the fake embedder; tables land under ``output``."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
    from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
    from apache_beam.testing.test_stream import TestStream

    from pipelines.stream import build_stream
    from tests.fakes import FakeEmbeddingHandler

    config = stream_config(output, *extra)
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(runner=BundleBasedDirectRunner(), options=options) as p:
        stream = TestStream()
        for step in events:
            stream = step(stream)
        messages = p | stream
        build_stream(messages, config, str(output), FakeEmbeddingHandler())


def files(output: Path, table: str) -> list[Path]:
    return sorted((output / table).glob("dt=*/hour=*/*.parquet"))


def rows(output: Path, table: str) -> list[dict[str, Any]]:
    out = []
    for f in files(output, table):
        for r in pq.read_table(f).to_pylist():
            out.append(dict(r, _file=str(f.relative_to(output))))
    return out
