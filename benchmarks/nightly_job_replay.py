"""Replay a dated labelled set through the nightly job itself: one ``storybeam run --date`` per week of
publish dates, in order, into one output, then one run over the same records; print time per night and
both scores.

    python benchmarks/nightly_job_replay.py [--nights N] [--night_days 7] [--out out/nightly_replay] [job options...]

``benchmarks/replay_benchmark.py`` replays the whole of GVA dev through the engine alone (what
``ClusterEvents`` runs with a state); this runs the whole job — reading, stripping, near-duplicates,
embedding, the state snapshot written as Parquet and read back the next night — on GVA dev one night
per week (or any dated labelled JSONL, ``published_at`` or ``timestamp_ms``, by ``--night_days``), all of
it or its last ``--nights`` nights. Nights without stories are skipped. Partition dates are consecutive
days from 2030-01-01 (a night's logical date; the stories keep their own publish times), so no night sees
a gap. Extra arguments go to every run (e.g. ``--embed_backend onnx-int8``).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.dataset as ds

from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report
from evaluation.replay import resolve_merges

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIRST_NIGHT = date(2030, 1, 1)
REFERENCE = ["--reference_time", "2031-01-01T00:00:00+00:00", "--progress_seconds", "0"]


def published(r: dict) -> datetime:
    if r.get("published_at"):
        return datetime.fromisoformat(r["published_at"]).astimezone(timezone.utc)
    return datetime.fromtimestamp(int(r["timestamp_ms"]) / 1000, tz=timezone.utc)


def nights_of(records: list[dict], night_days: float, last_n: int | None) -> list[list[dict]]:
    """Records in blocks of ``night_days`` of publish time from the first one, oldest first; empty blocks
    skipped; the last ``last_n`` blocks when given."""
    first = min(published(r) for r in records)
    blocks: dict[int, list[dict]] = {}
    for r in records:
        blocks.setdefault(int((published(r) - first).total_seconds() // (night_days * 86400)), []).append(r)
    ordered = [blocks[k] for k in sorted(blocks)]
    return ordered[-last_n:] if last_n else ordered


def write(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(dict({k: r[k] for k in ("id", "title", "text") if r.get(k)},
                                            published_at=published(r).isoformat())) + "\n" for r in records))
    return str(path)


def main() -> None:
    from pipelines import events

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events_jsonl", default=str(SHARED / "eval" / "events" / "gva_shootings_dev.jsonl"))
    parser.add_argument("--nights", type=int, default=None, help="only the last this many nights")
    parser.add_argument("--night_days", type=float, default=7.0)
    parser.add_argument("--out", default="out/nightly_replay")
    args, job_args = parser.parse_known_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "input").mkdir(parents=True)
    records = [dict(r, id=str(r["id"])) for r in read_jsonl(args.events_jsonl)]
    nights = nights_of(records, args.night_days, args.nights)
    paths = [write(out / "input" / f"night-{k:03d}.jsonl", w) for k, w in enumerate(nights)]
    print(f"{Path(args.events_jsonl).name}: {sum(map(len, nights))} articles, {len(nights)} nights of "
          f"{args.night_days:g} day(s); extra job options: {job_args or 'none'}")
    print("| night | stories | copy groups joined to earlier nights | events touched | s |")
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

    gold = {r["id"]: str(r["label"]) for w in nights for r in w}
    # A dead-lettered record (e.g. too short after stripping) is an event of its own, in both runs.
    written = {i: nightly[i][0] if i in nightly else f"dead:{i}" for i in gold}
    once = {i: one_shot[i][0] if i in one_shot else f"dead:{i}" for i in gold}
    print(f"\narticles written once each: {all(len(e) == 1 for e in nightly.values())} "
          f"({len(nightly)} articles of {len(gold)} read; {len(gold) - len(nightly)} dead letters nightly, "
          f"{len(gold) - len(one_shot)} in one run)")
    print(f"B3 F1: nightly as written {clustering_report({i: written[i] for i in gold}, gold)['b3_f1']:.4f}, "
          f"merges resolved {clustering_report(resolve_merges(written, alias), gold)['b3_f1']:.4f} "
          f"({len(merges)} merges); one run {clustering_report(once, gold)['b3_f1']:.4f}")
    n = len(seconds)
    thirds = [range(i * n // 3, (i + 1) * n // 3) for i in range(3)]
    print(f"time: nights {sum(seconds):.1f} s in all; one run {one_shot_seconds:.1f} s")
    for name, third in zip(("first", "middle", "last"), thirds):
        if not third:
            continue
        quiet = [seconds[k] for k in third if len(nights[k]) <= 3]
        print(f"{name} third of the nights: median {statistics.median(seconds[k] for k in third):.1f} s per night, "
              f"{sum(len(nights[k]) for k in third) / len(third):.1f} stories per night; nights of at most 3 "
              f"stories: median {statistics.median(quiet) if quiet else float('nan'):.1f} s ({len(quiet)} nights)")


if __name__ == "__main__":
    main()
