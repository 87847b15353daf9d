"""A quiet night of the nightly job, this working tree against another revision, side by side.

    python benchmarks/quiet_night_ab.py --base REV [--rounds 5] [--events_jsonl FILE]

A quiet night (a handful of stories over a state of a few hundred live events) is where a nightly run's
time is Beam's fixed cost: building the graph, turning it into the runner's form, a bundle per fused stage.
This prints what a change to that cost is worth. Both codes first run night 1 (the stories published in
the quarter before ``--night``) into an output of their own, each with its own code; then, ``--rounds``
times and alternating which goes first, each runs the night itself (the stories published on ``--night``)
on a fresh copy of its night-1 output, as its own process (``python -m pipelines.events`` in its own
checkout, REV's in a ``git worktree``). Printed: wall and CPU seconds of every run, the medians, the
ratio, and the Beam stages and transforms of the night's graph for each code.

``--scaled N`` takes the stories from ``benchmarks/corpora.py``'s ``scaled_corpus(N)`` instead (N reworded
variants of the labelled articles over 8 weeks): night 1 is every story before the corpus's last day, in
one run, so the state holds N anchors' shingles (all within the copy window) and the live events of 8
weeks; the night is the last day's stories. That is a night of a feed of N articles a week.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
COUNT = """
import sys
import apache_beam as beam
from pipelines import events
from pipelines.config import job_config
from apache_beam.options.pipeline_options import PipelineOptions
options = PipelineOptions(sys.argv[1:4])
pipeline = beam.Pipeline(runner=events._runner(options), options=options)
events.build(pipeline, job_config(options), sys.argv[5] + "/_staging/count", earlier_dt=sys.argv[4])
proto = pipeline.to_runner_api()
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
print(len(FnApiRunner().create_stages(proto)[1]), len(proto.components.transforms))
"""


def published_day(record: dict) -> date:
    return datetime.fromisoformat(record["published_at"]).astimezone(timezone.utc).date()


def write_jsonl(path: Path, records: list[dict]) -> Path:
    keep = ("id", "title", "text", "published_at", "url")
    path.write_text("".join(json.dumps({k: r[k] for k in keep if r.get(k)}) + "\n" for r in records))
    return path


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(cwd)))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def job(inputs: Path, output: Path, day: date) -> list[str]:
    return [sys.executable, "-m", "pipelines.events", "--input", str(inputs), "--output", str(output),
            "--date", day.isoformat(), "--progress_seconds", "0"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the revision to compare with (git rev)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events_jsonl", type=Path, default=SHARED / "eval" / "events" / "gva_shootings_dev.jsonl")
    parser.add_argument("--night", type=date.fromisoformat, default=date(2017, 1, 2),
                        help="the quiet night: the stories published on this day")
    parser.add_argument("--state_days", type=int, default=92, help="night 1: the stories of this many days before")
    parser.add_argument("--scaled", type=int, default=0,
                        help="N: the stories of scaled_corpus(N), the night its last day (--night, --state_days and "
                             "--events_jsonl unused)")
    args = parser.parse_args(argv)

    if args.scaled:
        sys.path.insert(0, str(REPO))
        from benchmarks.corpora import scaled_corpus

        records = scaled_corpus(args.scaled, SHARED / "eval")
        args.night = max(published_day(r) for r in records if r.get("published_at"))
        args.state_days = (args.night - min(published_day(r) for r in records if r.get("published_at"))).days
        corpus = f"scaled_corpus({args.scaled})"
    else:
        records = [json.loads(line) for line in args.events_jsonl.open(encoding="utf-8")]
        corpus = args.events_jsonl.name
    first = args.night - timedelta(days=args.state_days + 1)
    night1 = [r for r in records if r.get("published_at") and first <= published_day(r) < args.night - timedelta(days=1)]
    night2 = [r for r in records if r.get("published_at") and published_day(r) == args.night]
    if not night1 or not night2:
        raise SystemExit(f"no stories for night 1 ({len(night1)}) or the night ({len(night2)})")
    day1 = args.night - timedelta(days=1)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        worktree = tmp / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-f", str(worktree), args.base], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            codes = {"base " + args.base: worktree, "this tree": REPO}
            states = {label: tmp / f"state-{i}" for i, label in enumerate(codes)}
            inputs1, inputs2 = write_jsonl(tmp / "night1.jsonl", night1), write_jsonl(tmp / "night2.jsonl", night2)
            print(f"{corpus}: night 1 = {len(night1)} stories ({first} to {day1 - timedelta(days=1)}), "
                  f"the night = {len(night2)} stories ({args.night}); {os.cpu_count()} CPUs, load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            for label, root in codes.items():
                subprocess.run(job(inputs1, states[label], day1), cwd=root, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(root)))
                graph = subprocess.run(
                    [sys.executable, "-c", COUNT, f"--input={inputs2}", f"--output={states[label]}",
                     f"--date={args.night}", day1.isoformat(), str(tmp / "count")],
                    cwd=root, check=True, capture_output=True, text=True,
                    env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(root))).stdout.split()
                print(f"{label}: the night's graph has {graph[0]} fused stages, {graph[1]} transforms", flush=True)
            times: dict[str, list[tuple[float, float]]] = {label: [] for label in codes}
            for round_no in range(args.rounds):
                order = list(codes.items()) if round_no % 2 == 0 else list(reversed(codes.items()))
                for label, root in order:
                    output = tmp / "night"
                    shutil.rmtree(output, ignore_errors=True)
                    shutil.copytree(states[label], output)
                    wall, cpu = timed(job(inputs2, output, args.night), root)
                    times[label].append((wall, cpu))
                    print(f"round {round_no + 1}, {label}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
            print()
            medians = {label: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
                       for label, t in times.items()}
            for label, (wall, cpu) in medians.items():
                print(f"{label}: median {wall:.2f} s wall, {cpu:.2f} s CPU over {args.rounds} runs")
            (base_wall, base_cpu), (this_wall, this_cpu) = medians.values()
            print(f"this tree / base: wall {this_wall / base_wall:.2f}, CPU {this_cpu / base_cpu:.2f}; "
                  f"load average at the end {os.getloadavg()[0]:.1f}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
