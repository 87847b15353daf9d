"""Where a local run's memory goes: the job in this process, resident memory logged around every stage.

    python benchmarks/stage_memory.py [--n 20000] [--eval_dir ../shared/eval] [--min_mb 30]

Builds ``--n`` articles of the scaled corpus (benchmarks/corpora.py: ``scaled_corpus``), runs the batch job
on them with default options on the in-process runner, and prints, for each bundle the runner executes, the
seconds since the start, resident memory before and after it (MB), the process's peak so far and the
stage's name, whenever the stage raised memory by ``--min_mb`` or the peak grew by as much; then the
run's summary and the peak. The stage names are the runner's fused stages (several transforms each).
A diagnostic, not a benchmark of speed: the wrapper costs little, but nothing here is timed against
anything. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpora import scaled_corpus, write_jsonl  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log_stages(min_mb: float) -> None:
    """Wrap the in-process runner's bundle execution to print memory around each stage."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    run_bundle = fn_runner.FnApiRunner._execute_bundle
    started = time.perf_counter()
    last_peak = [0.0]

    def logged(self, context, bundle_manager, bundle_input):
        before = _rss_mb()
        result = run_bundle(self, context, bundle_manager, bundle_input)
        after, peak = _rss_mb(), _peak_mb()
        if after - before >= min_mb or peak - last_peak[0] >= min_mb:
            print(f"{time.perf_counter() - started:8.1f} s  rss {before:7,.0f} -> {after:7,.0f} MB  "
                  f"peak {peak:7,.0f} MB  {bundle_manager.stage.name[:140]}", flush=True)
            last_peak[0] = peak
        return result

    fn_runner.FnApiRunner._execute_bundle = logged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--min_mb", type=float, default=30.0)
    args = parser.parse_args(argv)
    from pipelines.events import main as run_job

    with tempfile.TemporaryDirectory() as name:
        corpus = write_jsonl(scaled_corpus(args.n, args.eval_dir), Path(name) / f"scaled-{args.n}.jsonl")
        print(f"{args.n:,} scaled articles; resident memory before the job {_rss_mb():,.0f} MB", flush=True)
        log_stages(args.min_mb)
        code = run_job(["--input", str(corpus), "--output", str(Path(name) / "out"), "--progress_seconds", "0"])
    print(f"peak resident memory of the process: {_peak_mb():,.0f} MB")
    return code


if __name__ == "__main__":
    sys.exit(main())
