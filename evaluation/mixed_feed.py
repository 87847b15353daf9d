"""Look-alike events inside a mixed feed: the event engine when shootings are a few among stories on
every other topic, as in a real daily feed (the GVA set alone is all shootings).

    python -m evaluation.mixed_feed [--eval_dir ../shared/eval] [--cache_dir out/embeddings] [--sweep]

Two inputs, both built from the labelled sets by fixed rules:

* **mixed feed**: GVA dev as dated, plus every ECB+ event and every Zyte page (the first extractor's
  text of each) placed at one random time (seed 7) in GVA's span, each ECB+ article within a day of
  its event's time. Gold: GVA incidents, ECB+ events, one event per Zyte page. Scored on everything
  and on the GVA articles of each part (:func:`evaluation.events_eval.part_of`).
* **small mixed night**: the first of the two consecutive GVA weeks with the most incidents reported
  in both (18 articles) with 30 Zyte pages at noon of one day: a first night of nightly runs, with no
  earlier stories for context (``tests/golden/test_incremental_golden.py`` runs it through the job).

Each is clustered by the engine at its defaults and with ``centre_neighbours=0`` (every story centred on
the context's mean, the engine before 2026-12-05). Embeddings: all-MiniLM-L6-v2 on title + lead, cached
with ``--cache_dir``.
"""
from __future__ import annotations

import argparse
import dataclasses
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from evaluation.events_eval import HELD_OUT, TUNING, cache_name, embed, event_docs, part_of, score_storybeam
from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report
from transforms.event_clustering import EventClusteringConfig, cluster_events

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = 7


def zyte_variants(eval_dir: Path) -> dict[str, list[dict]]:
    """Zyte page id -> its extractor variants, sorted by extractor name."""
    pages: dict[str, list[dict]] = {}
    for r in read_jsonl(eval_dir / "neardup" / "zyte_extractor_variants.jsonl"):
        pages.setdefault(r["label"], []).append(r)
    return {label: sorted(v, key=lambda r: r["system"]) for label, v in sorted(pages.items())}


def zyte_pages(eval_dir: Path) -> list[dict]:
    """One text per Zyte page: the first extractor's by name; its own event."""
    return [{"id": v[0]["id"], "text": v[0]["text"], "label": f"zyte:{label}"}
            for label, v in zyte_variants(eval_dir).items()]


def gva_records(eval_dir: Path) -> list[dict]:
    return [{"id": str(r["id"]), "title": r.get("title"), "text": r["text"], "label": str(r["label"]),
             "published_at": r["published_at"]} for r in read_jsonl(eval_dir / "events" / "gva_shootings_dev.jsonl")]


def mixed_feed(eval_dir: Path) -> list[dict]:
    gva = gva_records(eval_dir)
    times = sorted(datetime.fromisoformat(r["published_at"]) for r in gva)
    start, span = times[0], (times[-1] - times[0]).total_seconds()
    rng = random.Random(SEED)
    when: dict[str, datetime] = {}

    def placed(r: dict, key: str) -> dict:
        if key not in when:
            when[key] = start + timedelta(seconds=rng.random() * span)
        return dict(r, published_at=(when[key] + timedelta(hours=rng.random() * 24)).isoformat())

    ecb = [placed({"id": str(r["id"]), "text": r["text"], "label": f"ecb:{r['label']}"}, f"ecb:{r['label']}")
           for r in read_jsonl(eval_dir / "events" / "ecbplus_topics_1-35.jsonl")]
    return gva + ecb + [placed(r, r["id"]) for r in zyte_pages(eval_dir)]


def weeks_with_most_follow_ups(records: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """The two consecutive 7-day blocks of publish dates (from the first one) with the most labels
    (incidents) reported in both; ties go to the earlier pair."""
    first = min(date.fromisoformat(r["published_at"][:10]) for r in records)
    blocks: dict[int, list[dict]] = {}
    for r in records:
        blocks.setdefault((date.fromisoformat(r["published_at"][:10]) - first).days // 7, []).append(r)

    def crossing(b: int) -> int:
        return len({r["label"] for r in blocks.get(b, [])} & {r["label"] for r in blocks.get(b + 1, [])})

    best = max(sorted(blocks), key=lambda b: (crossing(b), -b))
    return blocks[best], blocks[best + 1]


def small_mixed_night(eval_dir: Path) -> list[dict]:
    week, next_week = weeks_with_most_follow_ups(gva_records(eval_dir))
    last = max(date.fromisoformat(r["published_at"][:10]) for r in next_week)
    noon = datetime.combine(last, datetime.min.time(), timezone.utc) + timedelta(hours=12)
    return week + [dict(r, published_at=noon.isoformat()) for r in zyte_pages(eval_dir)[:30]]


def scores(records: Sequence[dict], embeddings: np.ndarray, config: EventClusteringConfig) -> dict[str, float]:
    assigned = {a.article_id: a.event_id for a in cluster_events(event_docs(records, embeddings), config)}
    gold = {str(r["id"]): r["label"] for r in records}
    out = {"all": clustering_report(assigned, gold)["b3_f1"]}
    gva = {r["id"]: r for r in records if not r["label"].startswith(("ecb:", "zyte:"))}
    for name, part in (("gva", None), ("gva tuning", TUNING), ("gva held out", HELD_OUT)):
        items = {i: gold[i] for i, r in gva.items() if part is None or part_of(r) == part}
        out[name] = clustering_report({i: assigned[i] for i in items}, items)["b3_f1"]
    return out


def sweep(eval_dir: Path, cache_dir: str | None, neighbours: Sequence[int] = (0, 10, 20, 30)) -> None:
    """B³ F1 of the engine per ``centre_neighbours``: tuning / held-out parts of ECB+, GVA dev and UCI, the
    mixed feed's GVA parts and the small mixed night's GVA articles, and the mean of the four tuning parts
    (the figure ``centre_neighbours`` was chosen on)."""
    def cached(name: str) -> Path | None:
        return Path(cache_dir) / cache_name(name) if cache_dir else None

    sets = {name: read_jsonl(eval_dir / "events" / f"{name}.jsonl")
            for name in ("ecbplus_topics_1-35", "gva_shootings_dev", "uci_headlines")}
    vectors = {name: embed(records, cache=cached(name)) for name, records in sets.items()}
    feed, night = mixed_feed(eval_dir), small_mixed_night(eval_dir)
    feed_vectors, night_vectors = embed(feed, cache=cached("mixed_feed")), embed(night, cache=cached("small_mixed_night"))
    print("| centre_neighbours | ECB+ tuning / held out | GVA tuning / held out | UCI tuning / held out "
          "| mixed feed GVA tuning / held out | small mixed night GVA | mean of the tuning parts |")
    print("|---|---|---|---|---|---|---|")
    for k in neighbours:
        config = dataclasses.replace(EventClusteringConfig(), centre_neighbours=k)
        parts = [score_storybeam(sets[n], vectors[n], config) for n in sets]
        mixed, small = scores(feed, feed_vectors, config), scores(night, night_vectors, config)
        tuning = [p["tuning_b3_f1"] for p in parts] + [mixed["gva tuning"]]
        cells = " | ".join(f"{p['tuning_b3_f1']:.3f} / {p['held_out_b3_f1']:.3f}" for p in parts)
        print(f"| {k} | {cells} | {mixed['gva tuning']:.3f} / {mixed['gva held out']:.3f} | {small['gva']:.3f} "
              f"| {sum(tuning) / len(tuning):.4f} |", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval_dir", default=str(SHARED / "eval"))
    parser.add_argument("--cache_dir", default=None)
    parser.add_argument("--sweep", action="store_true",
                        help="also print the centre_neighbours sweep on the tuning / held-out parts of every set")
    args = parser.parse_args(argv)
    eval_dir = Path(args.eval_dir)
    configs = {"defaults": EventClusteringConfig(),
               "centre on context mean": dataclasses.replace(EventClusteringConfig(), centre_neighbours=0)}
    print("| input | engine | B3 F1 all | GVA articles | GVA tuning part | GVA held-out part |")
    print("|---|---|---|---|---|---|")
    for name, records in (("mixed feed", mixed_feed(eval_dir)), ("small mixed night", small_mixed_night(eval_dir))):
        cache = Path(args.cache_dir) / cache_name(name.replace(' ', '_')) if args.cache_dir else None
        embeddings = embed(records, cache=cache)
        for label, config in configs.items():
            s = scores(records, embeddings, config)
            print(f"| {name} ({len(records)}) | {label} | {s['all']:.3f} | {s['gva']:.3f} | "
                  f"{s['gva tuning']:.3f} | {s['gva held out']:.3f} |")
    if args.sweep:
        print()
        sweep(eval_dir, args.cache_dir)


if __name__ == "__main__":
    main()
