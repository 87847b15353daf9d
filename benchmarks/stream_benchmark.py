"""Latency and throughput of the streaming job, locally against the Pub/Sub emulator.

    python benchmarks/stream_benchmark.py [--n 300] [--window_seconds 10] [--embedder real|fake]

Starts the Google Cloud CLI's Pub/Sub emulator on 127.0.0.1, runs ``storybeam stream`` in this process
on Beam's streaming direct runner (BundleBasedDirectRunner) with the packaged all-MiniLM-L6-v2 model
(``--embedder fake``: the tests' hashed bag of words), warms it up with one article, then publishes N
copy-free news articles (GVA dev + ECB+, ``benchmarks/corpora.py``) at once and watches the
``articles`` table until every one is readable. Prints, per article, publish → row readable latency
(median, 90th percentile, max), the articles/s from first publish to last row readable, and this
process's CPU seconds per article (the machine is shared: wall-clock figures are noisy, CPU time less).
Nothing is asserted (benchmarks are not tests).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpora import news_corpus  # noqa: E402
from tests import pubsub_emulator  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Watcher:
    """When each article id first became readable in OUTPUT/articles."""

    def __init__(self, output: Path) -> None:
        import pyarrow.parquet as pq

        self._pq = pq
        self._root = output / "articles"
        self._read: set[Path] = set()
        self.seen: dict[str, float] = {}

    def poll(self) -> None:
        for f in sorted(self._root.glob("dt=*/hour=*/*.parquet")) if self._root.exists() else []:
            if f not in self._read:
                now = time.time()
                self._read.add(f)
                for article_id in self._pq.read_table(f, columns=["article_id"]).column(0).to_pylist():
                    self.seen.setdefault(article_id, now)

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.poll()
            if ids <= self.seen.keys():
                return True
            time.sleep(0.25)
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--window_seconds", type=int, default=10)
    parser.add_argument("--embedder", choices=("real", "fake"), default="real")
    parser.add_argument("--eval_dir", default=str(REPO.parent / "shared" / "eval"))
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    reason = pubsub_emulator.missing()
    if reason:
        print(f"stream_benchmark: {reason}", file=sys.stderr)
        return 2
    from pipelines import stream

    records = news_corpus(args.n + 1, Path(args.eval_dir))
    warm, records = records[0], records[1:]
    handler = None
    if args.embedder == "fake":
        from tests.fakes import FakeEmbeddingHandler

        handler = FakeEmbeddingHandler()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        output = tmp_path / "out"
        with pubsub_emulator.pubsub_emulator(tmp_path):
            topic, subscription = pubsub_emulator.create_subscription("articles", "storybeam")
            started = time.time()
            result, _ = stream.start(["--subscription", subscription, "--output", str(output),
                                      "--window_seconds", str(args.window_seconds)], handler)
            watcher = _Watcher(output)
            try:
                pubsub_emulator.publish(topic, [json.dumps(warm).encode()])
                if not watcher.wait_for({warm["id"]}, args.timeout):
                    print("stream_benchmark: the warm-up article never became readable", file=sys.stderr)
                    return 1
                warm_s = time.time() - started
                cpu0 = _cpu()
                published = time.time()
                pubsub_emulator.publish(topic, [json.dumps(r).encode() for r in records])
                publish_s = time.time() - published
                done = watcher.wait_for({r["id"] for r in records}, args.timeout)
                cpu = _cpu() - cpu0
            finally:
                result.cancel()
    ids = [r["id"] for r in records]
    latencies = sorted(watcher.seen[i] - published for i in ids if i in watcher.seen)
    last = max(watcher.seen[i] for i in ids if i in watcher.seen) if latencies else float("nan")
    print(f"storybeam stream benchmark: {len(ids)} articles, {args.window_seconds} s windows, "
          f"embedder {'all-MiniLM-L6-v2 (torch, CPU)' if args.embedder == 'real' else 'fake'}, "
          f"BundleBasedDirectRunner + Pub/Sub emulator, {os.cpu_count()} cores")
    print(f"  start + first article readable: {warm_s:.1f} s")
    print(f"  published {len(ids)} messages in {publish_s:.1f} s; readable: {len(latencies)}/{len(ids)}"
          + ("" if done else " (timed out)"))
    if latencies:
        p90 = latencies[min(len(latencies) - 1, int(0.9 * len(latencies)))]
        print(f"  publish -> row readable: median {statistics.median(latencies):.1f} s, "
              f"p90 {p90:.1f} s, max {latencies[-1]:.1f} s")
        print(f"  throughput: {len(latencies) / (last - published):.1f} articles/s "
              f"(first publish to last row readable, {last - published:.1f} s)")
        print(f"  CPU of this process: {cpu:.1f} s, {1000 * cpu / len(latencies):.0f} ms per article")
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
