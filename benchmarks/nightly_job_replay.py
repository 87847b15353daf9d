"""Replay a dated labelled set through the nightly job itself: one ``storybeam run --date`` per week of
publish dates, in order, into one output, then one run over the same records; print time per night and
both scores.

    python benchmarks/nightly_job_replay.py [--weeks 16] [--out out/nightly_replay] [job options...]

``benchmarks/replay_benchmark.py`` replays the whole of GVA dev through the engine alone (what
``ClusterEvents`` runs with a state); this runs the whole job — reading, stripping, near-duplicates,
embedding, the state snapshot written as Parquet and read back the next night — on the last ``--weeks``
weeks of GVA dev (the densest part of the feed). Partition dates are consecutive days from 2030-01-01
(a night's logical date; the stories keep their own publish times), so no night sees a gap. Extra
arguments go to every run (e.g. ``--embed_backend onnx-int8``).
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow.dataset as ds

from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIRST_NIGHT = date(2030, 1, 1)
REFERENCE = ["--reference_time", "2031-01-01T00:00:00+00:00", "--progress_seconds", "0"]


def weeks(records: list[dict], n: int) -> list[list[dict]]:
    """The last ``n`` 7-day blocks of publish dates (counted back from the last date), oldest first."""
    last = max(date.fromisoformat(r["published_at"][:10]) for r in records)
    blocks: list[list[dict]] = [[] for _ in range(n)]
    for r in records:
        back = (last - date.fromisoformat(r["published_at"][:10])).days // 7
        if back < n:
            blocks[n - 1 - back].append(r)
    return blocks


def write(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps({k: r[k] for k in ("id", "title", "text", "published_at") if r.get(k)}) + "\n"
                            for r in records))
    return str(path)


def main() -> None:
    from pipelines import events

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events_jsonl", default=str(SHARED / "eval" / "events" / "gva_shootings_dev.jsonl"))
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--out", default="out/nightly_replay")
    args, job_args = parser.parse_known_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "input").mkdir(parents=True)
    records = [dict(r, id=str(r["id"])) for r in read_jsonl(args.events_jsonl)]
    nights = weeks(records, args.weeks)
    paths = [write(out / "input" / f"week-{k:02d}.jsonl", w) for k, w in enumerate(nights)]
    print(f"{sum(map(len, nights))} articles, {args.weeks} weekly nights; extra job options: {job_args or 'none'}")
    print("| night | stories | copies of earlier nights | events touched | s |")
    print("|---|---|---|---|---|")
    seconds = []
    for k, path in enumerate(paths):
        started = time.perf_counter()
        summary = events.run(["--input", path, "--output", str(out / "nightly"), "--date",
                              (FIRST_NIGHT + timedelta(days=k)).isoformat(), *REFERENCE, *job_args])
        seconds.append(time.perf_counter() - started)
        print(f"| {k + 1} | {len(nights[k])} | {summary.get('counters', {}).get('earlier_copies/groups_joined_to_earlier', 0)} "
              f"| {summary.get('events', '?')} | {seconds[-1]:.1f} |", flush=True)
    started = time.perf_counter()
    events.run([a for p in paths for a in ("--input", p)] + ["--output", str(out / "one_shot"), *REFERENCE, *job_args])
    one_shot_seconds = time.perf_counter() - started

    def assignment(folder: Path) -> dict[str, list[str]]:
        rows = ds.dataset(str(folder / "articles"), format="parquet", partitioning="hive").to_table(
            columns=["article_id", "event_id"]).to_pylist()
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r["article_id"], []).append(r["event_id"])
        return found

    nightly, one_shot = assignment(out / "nightly"), assignment(out / "one_shot")
    merges = ds.dataset(str(out / "nightly" / "event_merges"), format="parquet", partitioning="hive").to_table().to_pylist()
    alias = {m["merged_event_id"]: m["into_event_id"] for m in merges}

    def resolved(event_id: str) -> str:
        seen = set()
        while event_id in alias and event_id not in seen:
            seen.add(event_id)
            event_id = alias[event_id]
        return event_id

    gold = {r["id"]: str(r["label"]) for w in nights for r in w}
    written = {i: e[0] for i, e in nightly.items()}
    print(f"\narticles written once each: {all(len(e) == 1 for e in nightly.values())} "
          f"({len(nightly)} of {len(gold)} read)")
    print(f"B3 F1: nightly as written {clustering_report({i: written[i] for i in gold}, gold)['b3_f1']:.4f}, "
          f"merges resolved {clustering_report({i: resolved(written[i]) for i in gold}, gold)['b3_f1']:.4f} "
          f"({len(merges)} merges); one run {clustering_report({i: one_shot[i][0] for i in gold}, gold)['b3_f1']:.4f}")
    print(f"time: nights {sum(seconds):.1f} s in all (first half median {sorted(seconds[:len(seconds) // 2])[len(seconds) // 4]:.1f} s, "
          f"second half median {sorted(seconds[len(seconds) // 2:])[len(seconds) // 4]:.1f} s); one run {one_shot_seconds:.1f} s")


if __name__ == "__main__":
    main()
