"""Golden test: near-duplicate grouping on real labelled data, through the pure API (no Beam).

- Zyte extractor variants: 3,947 outputs of 33 extractors on 181 news pages; every record of a page is
  a near-copy (different leftover boilerplate, truncation, edits). Pairwise F1 must stay >= its floor.
- ECB+ topics 1-35: 772 articles, 66 events, two similar events per topic. Different events must never
  be grouped (zero false merges). ECB+ does hold a few genuine reprints of one report (e.g. 29_1ecbplus
  and 29_9ecbplus, Jaccard 0.98); those may be grouped, but only within one label.

Floors are pinned just under the figures measured when the defaults were chosen (2 vCPU machine):
Zyte pairwise P/R/F1 1.0000/0.9947/0.9974, B-cubed F1 0.9972, 0 false merges;
ECB+ 0 false merges, 22 duplicate pairs in 20 groups, all within one label.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from evaluation.labelled_data import read_jsonl
from evaluation.neardup_eval import ECBPLUS, ZYTE_VARIANTS, grouping_scores, storybeam_run
from transforms.minhash import NearDupConfig

pytestmark = pytest.mark.golden

SHARED = Path(os.environ.get("STORYBEAM_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")
CONFIG = NearDupConfig()


def _records(relative: Path) -> list[dict]:
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"shared evaluation data not found: {path}")
    return read_jsonl(path)


@pytest.fixture(scope="module")
def zyte() -> tuple[dict, dict]:
    records = _records(ZYTE_VARIANTS)
    run = storybeam_run(records, CONFIG)
    labels = {r["id"]: r["label"] for r in records}
    return run, grouping_scores(run["groups"], labels)


@pytest.fixture(scope="module")
def ecbplus() -> tuple[dict, dict, dict]:
    records = _records(ECBPLUS)
    run = storybeam_run(records, CONFIG)
    labels = {r["id"]: r["label"] for r in records}
    return run, grouping_scores(run["groups"], labels), labels


def test_zyte_variants_are_grouped_as_copies(zyte):
    run, scores = zyte
    assert scores["false_merges"] == 0
    assert scores["pair_precision"] == 1.0
    assert scores["pair_recall"] >= 0.994
    assert scores["pair_f1"] >= 0.997
    assert scores["bcubed_f1"] >= 0.996
    assert scores["groups"] <= 190  # 181 pages; measured 185
    assert run["capped_buckets"] == 0


def test_zyte_candidates_cover_the_copies(zyte):
    run, scores = zyte
    # LSH finds nearly every same-page pair (42,659 exist); measured 42,578 candidates, 0 across pages.
    assert run["candidate_pairs"] >= 42_500
    assert run["candidate_pairs"] <= 43_000


def test_ecbplus_different_events_are_never_copies(ecbplus):
    run, scores, labels = ecbplus
    assert scores["false_merges"] == 0
    duplicates = [s for s in run["verified"] if s.is_duplicate]
    assert all(labels[s.a] == labels[s.b] for s in duplicates)
    # Only the genuine reprints: measured 22 pairs in 20 groups.
    assert len(duplicates) <= 24
    assert scores["groups_of_2_or_more"] <= 21
    assert scores["largest_group"] <= 3


def test_ecbplus_known_reprints_are_found(ecbplus):
    run, _, _ = ecbplus
    groups = run["groups"]
    assert groups["29_1ecbplus"] == groups["29_9ecbplus"]  # same AP report, Jaccard 0.98
    assert groups["22_12ecbplus"] == groups["22_14ecbplus"]  # trimmed reprint: Jaccard 0.39, containment 0.98
    assert groups["28_12ecb"] == groups["28_13ecb"]  # Jaccard 0.32, containment 0.84
    # Known miss: 7_4ecbplus keeps a fifth of 7_3ecbplus (Jaccard 0.19, containment 0.95). Bands tuned
    # for Jaccard 0.4 make it a candidate with probability ~4 %, so it is not verified at all.
    assert groups["7_3ecbplus"] != groups["7_4ecbplus"]
