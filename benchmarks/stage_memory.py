"""Where a local run's memory goes: the job in this process, resident memory logged around every stage.

    python benchmarks/stage_memory.py [--n 20000] [--eval_dir ../shared/eval] [--min_mb 30] [--buffers 0]

Builds ``--n`` articles of the scaled corpus (benchmarks/corpora.py: ``scaled_corpus``), runs the batch job
on them with default options on the in-process runner, and prints, for each bundle the runner executes, the
seconds since the start, resident memory before and after it (MB), the process's peak so far and the
stage's name, whenever the stage raised memory by ``--min_mb`` or the peak grew by as much; then the
run's summary and the peak. The stage names are the runner's fused stages (several transforms each).
With ``--buffers N``, after each printed stage also the N largest buffers waiting for a later stage (MB
of encoded bytes, or for a grouping step's table the values' own sizes; named "stage <- transform": the
stage that will read it and the transform in that stage that reads it, both cut): what the runner holds
between steps.
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


def _buffer_mb(buffer) -> float:
    from apache_beam.runners.portability.fn_api_runner.execution import GroupingBuffer, ListBuffer

    if isinstance(buffer, ListBuffer) and not buffer.cleared:
        return sum(len(b) for b in buffer._inputs) / 2**20
    if isinstance(buffer, GroupingBuffer) and buffer._table:
        return sum(len(v) if isinstance(v, bytes) else sys.getsizeof(v)
                   for values in buffer._table.values() for v in values) / 2**20
    return 0.0


def _held_buffers(context, top: int) -> str:
    """The runner's largest buffers waiting for the stage that reads them: MB of encoded bytes (or, for a
    grouping step's table, the values' own sizes), that stage and its transform that reads the buffer."""
    seen, sizes = set(), []
    queues = context.queues
    for queue in (queues.ready_inputs, queues.watermark_pending_inputs, queues.time_pending_inputs):
        for key, data_input in list(queue._q):
            stage = key if isinstance(key, str) else key[0]
            for transform, buffer in data_input.data.items():
                if id(buffer) in seen:
                    continue
                seen.add(id(buffer))
                sizes.append((_buffer_mb(buffer), f"{stage[-40:]} <- {transform[-40:]}"))
    sizes.sort(reverse=True)
    total = sum(s for s, _ in sizes)
    return f"           held {total:,.0f} MB: " + "; ".join(f"{s:,.0f} {n}" for s, n in sizes[:top] if s >= 1)


def log_stages(min_mb: float, buffers: int = 0) -> None:
    """Wrap the in-process runner's bundle execution to print memory around each stage (and, with
    ``buffers``, the sizes of the largest buffers the runner holds after it: encoded bytes, or for a
    grouping step's table the values' own sizes)."""
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
            if buffers:
                print(_held_buffers(context, buffers), flush=True)
            last_peak[0] = peak
        return result

    fn_runner.FnApiRunner._execute_bundle = logged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--min_mb", type=float, default=30.0)
    parser.add_argument("--buffers", type=int, default=0,
                        help="also print the runner's N largest held buffers after each logged stage")
    args = parser.parse_args(argv)
    from pipelines.events import main as run_job

    with tempfile.TemporaryDirectory() as name:
        corpus = write_jsonl(scaled_corpus(args.n, args.eval_dir), Path(name) / f"scaled-{args.n}.jsonl")
        print(f"{args.n:,} scaled articles; resident memory before the job {_rss_mb():,.0f} MB", flush=True)
        log_stages(args.min_mb, args.buffers)
        code = run_job(["--input", str(corpus), "--output", str(Path(name) / "out"), "--progress_seconds", "0"])
    print(f"peak resident memory of the process: {_peak_mb():,.0f} MB")
    return code


if __name__ == "__main__":
    sys.exit(main())
