"""Check the near-duplicate thresholds on the tuning part only.

    python -m evaluation.neardup_tuning [--eval_dir ../shared/eval]

Reads only the **tuning** part (``evaluation/splits.py``): the Zyte extractor variants of the tuning pages
and the odd ECB+ topics as negatives. Texts are stripped as the StripBoilerplate stage strips them
(``evaluation.boilerplate_tuning.strip_like_the_stage``, default configuration), then grouped by the pure
near-duplicate functions (``evaluation.neardup_eval.storybeam_run``; the Beam stage also collapses exact
copies first, which changes no pair) for every combination of the verification thresholds below.

A setting is admissible when it makes no false merge among the variants and no group that mixes two
ECB+ events or an ECB+ article with a Zyte page; among those, the highest pairwise F1 wins, and the
current default is kept unless another setting beats it by more than ``--min_gain``. Ties (F1 is flat
over wide plateaus of this grid) go to the setting that changes the fewest of the current defaults,
then to the stricter one (higher thresholds). Prints the grid and the choice. The held-out part is
never read here.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

from evaluation.boilerplate_tuning import prepare, strip_like_the_stage
from evaluation.labelled_data import read_jsonl
from evaluation.neardup_eval import grouping_scores, storybeam_run
from evaluation.splits import split, split_ecbplus
from transforms.boilerplate import BoilerplateConfig
from transforms.minhash import NearDupConfig

REPO = Path(__file__).resolve().parents[1]
GRID = {
    "threshold": (0.5, 0.6, 0.7, 0.8, 0.9),
    "containment_threshold": (None, 0.6, 0.7, 0.8, 0.9),
    "containment_min_shingles": (10, 20, 40),
}


def tuning_records(eval_dir: Path) -> tuple[list[dict], dict[str, str], dict[str, str]]:
    """Stripped tuning-part records, variant labels (id -> page), ECB+ events (id -> event)."""
    variants = split(read_jsonl(eval_dir / "neardup" / "zyte_extractor_variants.jsonl"), "label")["tuning"]
    ecbplus = split_ecbplus(read_jsonl(eval_dir / "events" / "ecbplus_topics_1-35.jsonl"))["tuning"]
    rows = [{"id": str(r["id"]), "text": r["text"]} for r in variants]
    rows += [{"id": "ecb:" + r["id"], "text": r["text"]} for r in ecbplus]
    clean = strip_like_the_stage(prepare(rows, url_key=None), BoilerplateConfig())
    records = [{"id": row["id"], "text": text} for row, text in zip(rows, clean)]
    return records, {str(r["id"]): str(r["label"]) for r in variants}, {"ecb:" + r["id"]: r["label"] for r in ecbplus}


def score(records: list[dict], labels: dict[str, str], events: dict[str, str], config: NearDupConfig) -> dict:
    groups = storybeam_run(records, config)["groups"]
    scores = grouping_scores({i: g for i, g in groups.items() if i in labels}, labels)
    members: dict[str, set[str]] = {}
    for article_id, group in groups.items():
        members.setdefault(group, set()).add(events.get(article_id) or "zyte:" + labels[article_id])
    return {"pair_precision": scores["pair_precision"], "pair_recall": scores["pair_recall"],
            "pair_f1": scores["pair_f1"], "false_merges": scores["false_merges"],
            "mixed_groups": sum(1 for m in members.values() if len(m) > 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--min_gain", type=float, default=0.001)
    args = parser.parse_args(argv)
    records, labels, events = tuning_records(args.eval_dir)
    default = NearDupConfig()
    results = []
    for values in itertools.product(*GRID.values()):
        setting = dict(zip(GRID, values))
        if setting["containment_threshold"] is None and setting["containment_min_shingles"] != 20:
            continue  # the minimum only matters with containment on
        config = dataclasses.replace(default, **setting)
        scores = score(records, labels, events, config)
        results.append((setting, scores))
        print(setting, {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}, flush=True)
    admissible = [(s, r) for s, r in results if r["false_merges"] == 0 and r["mixed_groups"] == 0]
    current = {name: getattr(default, name) for name in GRID}
    current_f1 = next(r["pair_f1"] for s, r in results if s == current)
    top = max(r["pair_f1"] for _, r in admissible)

    def preference(setting: dict) -> tuple:
        changed = sum(setting[name] != current[name] for name in GRID)
        return (-changed,) + tuple(-1.0 if v is None else v for v in setting.values())

    best_setting = max((s for s, r in admissible if r["pair_f1"] >= top - 1e-12), key=preference)
    best = next(r for s, r in admissible if s == best_setting)
    choice = best_setting if best["pair_f1"] > current_f1 + args.min_gain else current
    print(f"current {current}: pair F1 {current_f1:.4f}; best admissible {best_setting}: {best['pair_f1']:.4f}")
    print(f"choice: {choice}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
