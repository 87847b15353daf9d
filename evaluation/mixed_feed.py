"""Look-alike events inside a mixed feed: the event engine when shootings are a few among stories on
every other topic, as in a real daily feed (the GVA set alone is all shootings).

    python -m evaluation.mixed_feed [--eval_dir ../shared/eval] [--cache_dir out/embeddings]

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

from evaluation.events_eval import HELD_OUT, TUNING, embed, event_docs, part_of
from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report
from transforms.event_clustering import EventClusteringConfig, cluster_events

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = 7


def zyte_pages(eval_dir: Path) -> list[dict]:
    """One text per Zyte page: the first extractor's by name; its own event."""
    pages: dict[str, list[dict]] = {}
    for r in read_jsonl(eval_dir / "neardup" / "zyte_extractor_variants.jsonl"):
        pages.setdefault(r["label"], []).append(r)
    return [{"id": v["id"], "text": v["text"], "label": f"zyte:{label}"}
            for label, variants in sorted(pages.items()) for v in [min(variants, key=lambda r: r["system"])]]


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


def small_mixed_night(eval_dir: Path) -> list[dict]:
    gva = gva_records(eval_dir)
    first = min(date.fromisoformat(r["published_at"][:10]) for r in gva)
    blocks: dict[int, list[dict]] = {}
    for r in gva:
        blocks.setdefault((date.fromisoformat(r["published_at"][:10]) - first).days // 7, []).append(r)

    def crossing(b: int) -> int:
        return len({r["label"] for r in blocks.get(b, [])} & {r["label"] for r in blocks.get(b + 1, [])})

    best = max(sorted(blocks), key=lambda b: (crossing(b), -b))
    noon = datetime.combine(first + timedelta(days=7 * best + 13), datetime.min.time(), timezone.utc) + timedelta(hours=12)
    return blocks[best] + [dict(r, published_at=noon.isoformat()) for r in zyte_pages(eval_dir)[:30]]


def scores(records: Sequence[dict], embeddings: np.ndarray, config: EventClusteringConfig) -> dict[str, float]:
    assigned = {a.article_id: a.event_id for a in cluster_events(event_docs(records, embeddings), config)}
    gold = {str(r["id"]): r["label"] for r in records}
    out = {"all": clustering_report(assigned, gold)["b3_f1"]}
    gva = {r["id"]: r for r in records if not r["label"].startswith(("ecb:", "zyte:"))}
    for name, part in (("gva", None), ("gva tuning", TUNING), ("gva held out", HELD_OUT)):
        items = {i: gold[i] for i, r in gva.items() if part is None or part_of(r) == part}
        out[name] = clustering_report({i: assigned[i] for i in items}, items)["b3_f1"]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval_dir", default=str(SHARED / "eval"))
    parser.add_argument("--cache_dir", default=None)
    args = parser.parse_args(argv)
    eval_dir = Path(args.eval_dir)
    configs = {"defaults": EventClusteringConfig(),
               "centre on context mean": dataclasses.replace(EventClusteringConfig(), centre_neighbours=0)}
    print("| input | engine | B3 F1 all | GVA articles | GVA tuning part | GVA held-out part |")
    print("|---|---|---|---|---|---|")
    for name, records in (("mixed feed", mixed_feed(eval_dir)), ("small mixed night", small_mixed_night(eval_dir))):
        cache = Path(args.cache_dir) / f"{name.replace(' ', '_')}.minilm.npy" if args.cache_dir else None
        embeddings = embed(records, cache=cache)
        for label, config in configs.items():
            s = scores(records, embeddings, config)
            print(f"| {name} ({len(records)}) | {label} | {s['all']:.3f} | {s['gva']:.3f} | "
                  f"{s['gva tuning']:.3f} | {s['gva held out']:.3f} |")


if __name__ == "__main__":
    main()
