"""Replay labelled sets as a stream, one engine step per night, and print the time per night.

    python benchmarks/replay_benchmark.py [--cache_dir out/embeddings] [--days 7] [--every 10]

For each set: the one-shot B³ F1, the replay's B³ F1 (as written, and with merges resolved), and the
time per night against the number of nights before it, so growth with history shows (it should not:
a night reads only the state, bounded by the events of one ``max_time_gap_hours`` window and
``context_docs`` stories). GVA dev by week (its 1,864 articles span 2013-2017), UCI headlines by
6 hours (its 6,366 headlines span 36 hours). Embeddings are computed once (cached with --cache_dir).
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from evaluation.events_eval import cache_name, embed, score_storybeam
from evaluation.labelled_data import read_jsonl
from evaluation.replay import replay, replay_report
SHARED = Path(__file__).resolve().parents[2] / "shared"

SETS = (("gva_shootings_dev", 7.0), ("uci_headlines", 0.25))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval_dir", default=str(SHARED / "eval" / "events"))
    parser.add_argument("--cache_dir", default=None)
    parser.add_argument("--every", type=int, default=20, help="print every Nth night (default 20)")
    args = parser.parse_args()
    for name, days in SETS:
        records = read_jsonl(Path(args.eval_dir) / f"{name}.jsonl")
        cache = Path(args.cache_dir) / cache_name(name) if args.cache_dir else None
        embeddings = embed(records, cache=cache)
        one_shot = score_storybeam(records, embeddings)
        result = replay(records, embeddings, night_days=days)
        report = replay_report(records, result)
        print(f"\n## {name}: {len(records)} articles, {report['nights']} nights of {days:g} day(s)")
        print(f"one shot B3 F1 {one_shot['b3_f1']:.4f} ({one_shot['seconds']:.1f} s); replay as written "
              f"{report['b3_f1_as_written']:.4f}, merges resolved {report['b3_f1_merges_resolved']:.4f} "
              f"({report['merges']} merges); {report['seconds_total']:.1f} s in all")
        print("| night | stories that night | live events after | ms |")
        print("|---|---|---|---|")
        for k, (sec, size, live) in enumerate(zip(result.night_seconds, result.night_sizes, result.live_events)):
            if k % args.every == 0 or k == len(result.night_seconds) - 1:
                print(f"| {k + 1} | {size} | {live} | {sec * 1000:.0f} |")
        n = len(result.night_seconds)
        thirds = [result.night_seconds[i * n // 3:(i + 1) * n // 3] for i in range(3)]
        sizes = [result.night_sizes[i * n // 3:(i + 1) * n // 3] for i in range(3)]
        print("time per story by third of the history (ms): " + ", ".join(
            f"{1000 * sum(t) / max(sum(s), 1):.1f}" for t, s in zip(thirds, sizes))
            + "; median ms per night by third: " + ", ".join(
            f"{1000 * statistics.median(t):.0f}" for t in thirds if t))


if __name__ == "__main__":
    main()
