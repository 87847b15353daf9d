"""The streaming job end to end against a real Pub/Sub emulator on 127.0.0.1: the seed pages and the sample
articles published as messages (plus one redelivered-looking republish and one bad message), the job
run until their rows are readable, the Parquet read back, and the events compared with the batch job's
on the same articles. Both runs use the fake embedder (tests/fakes.py), so the test checks the
streaming wiring and state, not the model. Needs gcloud and Java: skipped without them, failed in CI."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tests import pubsub_emulator
from tests.fakes import FakeEmbeddingHandler
from tests.golden_policy import in_ci
from tests.pipeline_runs import run_job

pytestmark = pytest.mark.slow
WINDOW = 60


def _require_emulator() -> None:
    reason = pubsub_emulator.missing()
    if reason:
        if in_ci():
            pytest.fail(f"the Pub/Sub emulator is required in CI (CI=true): {reason}")
        pytest.skip(reason)


def _payloads(shared: Path, sample: Path) -> list[dict]:
    seeds = [{"id": p.stem, "text": p.read_bytes().decode("utf-8")} for p in sorted((shared / "seeds").glob("*.txt"))]
    records = [json.loads(line) for line in (sample / "articles.jsonl").read_text().splitlines() if line.strip()]
    return seeds + records


def _table(output: Path, name: str) -> list[dict]:
    if not (output / name).exists():
        return []
    files = sorted(str(p) for p in (output / name).glob("dt=*/hour=*/*.parquet"))
    return ds.dataset(files, format="parquet").to_table().to_pylist() if files else []


def _wait_for_window_start(margin: float = 15.0) -> None:
    """Publish at the start of a window, so every message falls into one window (as in the batch run)."""
    into = time.time() % WINDOW
    if into > WINDOW - 3 * margin:
        time.sleep(WINDOW - into + 1)


def test_stream_from_the_pubsub_emulator_gives_the_batch_jobs_events(tmp_path: Path, shared_dir: Path,
                                                                     sample_dir: Path):
    _require_emulator()
    from pipelines import stream

    payloads = _payloads(shared_dir, sample_dir)
    with pubsub_emulator.pubsub_emulator(tmp_path) as _host:
        topic, subscription = pubsub_emulator.create_subscription("articles", "storybeam")
        output = tmp_path / "stream"
        result, _ = stream.start(["--subscription", subscription, "--output", str(output),
                                  "--window_seconds", str(WINDOW)], FakeEmbeddingHandler())
        try:
            _wait_for_window_start()
            published_at = time.time()
            ids = pubsub_emulator.publish(topic, [json.dumps(p).encode() for p in payloads]
                                          + [b"\x00\x01 not an article", json.dumps(payloads[0]).encode()])
            assert len(ids) == len(payloads) + 2
            deadline = published_at + 300
            while time.time() < deadline and sum(r["articles"] + r["repeats"] + r["dead_letters"]
                                                 for r in _table(output, "deliveries")) < len(ids):
                time.sleep(2)
            readable_after = time.time() - published_at
        finally:
            result.cancel()
    assert readable_after < 300, "the stream's rows did not appear within 5 minutes"
    articles = _table(output, "articles")
    events = _table(output, "events")
    dead = _table(output, "dead_letters")
    (acc,) = _table(output, "deliveries")
    assert (acc["deliveries"], acc["articles"], acc["repeats"], acc["dead_letters"],
            acc["duplicate_deliveries"]) == (len(payloads) + 2, len(payloads), 1, 1, 0)
    assert [d["reason"] for d in dead] == ["binary_content"]
    assert sorted(a["article_id"] for a in articles) == sorted(p["id"] for p in payloads)
    # The batch job on the same articles (seeds as .txt pages, the sample as .jsonl): the same events.
    # The seeds carry no publish time; the stream places them at their window's end, so the batch
    # run is dated that day (which places them at noon) only when that matters: compare memberships.
    _, batch = run_job([str(shared_dir / "seeds" / "*.txt"), str(sample_dir / "articles.jsonl")],
                       tmp_path / "batch", FakeEmbeddingHandler(), ["--progress_seconds", "0"])
    assert {frozenset(e["article_ids"]) for e in events} == {frozenset(e["article_ids"]) for e in batch["events"]}
    assert {e["event_id"] for e in events} == {e["event_id"] for e in batch["events"]}
    partitions = {f.parent.relative_to(output / "articles").as_posix()
                  for f in (output / "articles").glob("dt=*/hour=*/*.parquet")}
    day = datetime.fromtimestamp(published_at, tz=timezone.utc)
    assert partitions == {f"dt={day:%Y-%m-%d}/hour={day:%H}"}
    assert not list(output.glob("_stream_tmp/*")), "a temporary file was left behind"
