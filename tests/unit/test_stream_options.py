"""The streaming job's options and graph: clear errors before any work, the Dataflow graph equals the
local one, and message parsing (reference time per message)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.io.gcp.pubsub import PubsubMessage
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.options import ConfigError
from pipelines.stream import _runner, build_stream, start, stream_config
from transforms.article_parsing import ReadConfig
from transforms.parse_messages import _Parse

SUB = "projects/storybeam-test/subscriptions/articles"


@pytest.mark.parametrize("argv, message", [
    (["--output", "/tmp/o"], "no subscription"),
    (["--subscription", "s", "--output", "/tmp/o"], "projects/PROJECT/subscriptions/NAME"),
    (["--subscription", SUB, "--output", "/tmp/o", "--input", "x.jsonl"], "--input is for batch runs"),
    (["--subscription", SUB, "--output", "/tmp/o", "--date", "2026-01-01"], "--date is for batch runs"),
    (["--subscription", SUB, "--output", "/tmp/o", "--window_seconds", "0"], "--window_seconds"),
    (["--subscription", SUB], "no output"),
])
def test_bad_options_are_config_errors(argv, message):
    with pytest.raises(ConfigError, match=message):
        stream_config(PipelineOptions(argv))


def test_unknown_options_are_refused_before_any_work():
    with pytest.raises(ConfigError, match="--windows_seconds"):
        start(["--subscription", SUB, "--output", "/tmp/o", "--windows_seconds", "5"])


def _graph(argv: list[str]) -> list[str]:
    # The graph as the job builds it from these options (the runner object only runs it: constructing the
    # DataflowRunner offline would look for credentials and a staging bucket).
    from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner

    options = PipelineOptions(argv)
    config = stream_config(options)
    pipeline = beam.Pipeline(runner=BundleBasedDirectRunner(), options=options)
    messages = pipeline | "ReadFromPubSub" >> beam.io.ReadFromPubSub(subscription=SUB, with_attributes=True)
    build_stream(messages, config, config.job.output)
    proto = pipeline.to_runner_api()
    return sorted(t.unique_name for t in proto.components.transforms.values())


def test_dataflow_streaming_builds_the_same_graph_as_the_local_runner():
    base = ["--subscription", SUB, "--output", "/tmp/storybeam-graph-out", "--model", "/nonexistent"]
    assert _runner(PipelineOptions(base)).__class__.__name__ == "BundleBasedDirectRunner"
    assert _runner(PipelineOptions(base + ["--runner", "DataflowRunner"])) is None
    local = _graph(base)
    dataflow = _graph(base + ["--runner", "DataflowRunner", "--streaming", "--project", "storybeam-test",
                              "--region", "europe-west1"])
    assert local == dataflow
    assert "AdvanceEvents/Advance" in local and "WriteWindowTables/events:Write" in local


def _parse(payload: bytes, publish_time=None, config=ReadConfig()):
    msg = PubsubMessage(payload, {}, message_id="42", publish_time=publish_time)
    return list(_Parse(SUB, config, 10_000).process(msg))


def test_published_at_is_checked_against_the_messages_publish_time():
    record = {"id": "a", "text": "Some words of an article.", "published_at": "2026-06-10T00:00:00+00:00"}
    (early,) = _parse(json.dumps(record).encode(), datetime(2026, 6, 1, tzinfo=timezone.utc))
    assert early.published_at is None and "published_at:in_future" in early.repair_notes
    (later,) = _parse(json.dumps(record).encode(), datetime(2026, 6, 10, 1, tzinfo=timezone.utc))
    assert later.published_at == datetime(2026, 6, 10, tzinfo=timezone.utc)
    assert later.input_file == f"{SUB}/messages/42"
