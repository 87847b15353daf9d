"""Golden tests of near-duplicate grouping on real labelled data.

Through the pipeline's own stages (what the README's Quality section shows, measured the way
``storybeam evaluate --tasks neardup`` measures it): NormalizeArticles → StripBoilerplate →
DetectNearDuplicates in a Beam pipeline (``pipelines.evaluate.run_stages``), one run per part
(``evaluation/splits.py``): the Zyte extractor variants of the part's pages (every record of a page is a
near-copy: different leftover boilerplate, truncation, edits) together with the part's ECB+ topics as
negatives (different articles; two look-alike events per topic; ECB+ does hold a few genuine reprints of
one report, which may be grouped, but only within one event).

Also, through the pure functions: the LSH candidates cover nearly every copy pair.
Floors sit just under the measured figures. Labelled data: ``tests/golden_policy.py``.
"""
from __future__ import annotations

from collections import Counter

import pytest

from evaluation.labelled_data import read_jsonl
from evaluation.neardup_eval import grouping_scores, storybeam_run
from pipelines.evaluate import neardup_parts, run_stages
from schemas.records import Article
from tests.golden_policy import require_shared
from transforms.minhash import NearDupConfig

pytestmark = pytest.mark.golden

# Measured with `storybeam evaluate --tasks neardup` (README, Quality); (part, metric) -> floor.
FLOORS = {
    ("tuning", "pair_recall"): 0.978,    # measured 0.9817
    ("tuning", "pair_f1"): 0.988,        # measured 0.9908
    ("held_out", "pair_recall"): 0.993,  # measured 0.9959
    ("held_out", "pair_f1"): 0.995,      # measured 0.9979
}
RECORDS = {"tuning": (1684, 387), "held_out": (2263, 385)}  # (variants, ECB+ negatives)


@pytest.fixture(scope="module")
def parts() -> dict:
    variants = read_jsonl(require_shared("eval/neardup/zyte_extractor_variants.jsonl"))
    ecbplus = read_jsonl(require_shared("eval/events/ecbplus_topics_1-35.jsonl"))
    return neardup_parts(variants, ecbplus)


@pytest.fixture(scope="module")
def grouped(parts) -> dict:
    """part -> (variant groups, variant labels, ECB+ groups, ECB+ events), from one run of the stages."""
    out = {}
    for part, (variants, negatives) in parts.items():
        articles = [Article(article_id=str(r["id"]), text=r["text"]) for r in variants]
        articles += [Article(article_id="ecb:" + r["id"], text=r["text"]) for r in negatives]
        groups = {i: row["dup_group_id"] for i, row in run_stages(articles, "dedup").items()}
        out[part] = ({str(r["id"]): groups[str(r["id"])] for r in variants},
                     {str(r["id"]): str(r["label"]) for r in variants},
                     {r["id"]: groups["ecb:" + r["id"]] for r in negatives},
                     {r["id"]: r["label"] for r in negatives}, groups)
    return out


@pytest.mark.parametrize("part", ["tuning", "held_out"])
def test_variants_are_grouped_as_copies_and_nothing_else(parts, grouped, part):
    variants, negatives = parts[part]
    assert (len(variants), len(negatives)) == RECORDS[part]
    variant_groups, labels, ecb_groups, ecb_events, groups = grouped[part]
    scores = grouping_scores(variant_groups, labels)
    assert scores["false_merges"] == 0 and scores["pair_precision"] == 1.0, scores
    for metric in ("pair_recall", "pair_f1"):
        assert scores[metric] >= FLOORS[(part, metric)], (metric, scores)
    # No group mixes two ECB+ events, or an ECB+ article with a Zyte page.
    members: dict[str, set[str]] = {}
    for article_id, group in groups.items():
        members.setdefault(group, set()).add(ecb_events.get(article_id[4:], "zyte") if article_id.startswith("ecb:")
                                             else "zyte:" + labels[article_id])
    assert [m for m in members.values() if len(m) > 1] == []


def test_ecbplus_known_reprints_are_found(grouped):
    tuning, held_out = grouped["tuning"][2], grouped["held_out"][2]
    assert tuning["29_1ecbplus"] == tuning["29_9ecbplus"]  # same AP report, Jaccard 0.98 (odd topic: tuning)
    assert held_out["22_12ecbplus"] == held_out["22_14ecbplus"]  # trimmed reprint: Jaccard 0.39, containment 0.98
    assert held_out["28_12ecb"] == held_out["28_13ecb"]  # Jaccard 0.32, containment 0.84
    # Known miss: 7_4ecbplus keeps a fifth of 7_3ecbplus (Jaccard 0.19, containment 0.95). Bands tuned
    # for Jaccard 0.4 make it a candidate with probability ~4 %, so it is not verified at all.
    assert tuning["7_3ecbplus"] != tuning["7_4ecbplus"]


# ECB+ copy groups per part (group sizes above 1), measured: tuning 9 groups [2 x6, 3, 3, 5] = 23 articles,
# held out 14 groups [2 x12, 3, 4] = 31 articles; each inside one event (asserted above). The group of 5
# is the 7_ecbplus report and four trimmed reprints (each shares >= 70 % of its shingles with it).
ECB_COPY_GROUPS = {"tuning": (9, 5), "held_out": (14, 4)}  # (groups, largest)


def test_ecbplus_copy_groups_are_few_and_small(grouped):
    for part, (groups, largest) in ECB_COPY_GROUPS.items():
        sizes = Counter(grouped[part][2].values())
        assert max(sizes.values()) <= largest, part
        assert sum(1 for n in sizes.values() if n > 1) <= groups + 1, (part, sorted(sizes.values())[-15:])


def test_lsh_candidates_cover_the_copies():
    """The pure LSH step (no stripping): nearly every same-page pair of the 3,947 variants (42,659 exist)
    is a candidate; measured 42,578 candidates, none across pages."""
    records = read_jsonl(require_shared("eval/neardup/zyte_extractor_variants.jsonl"))
    run = storybeam_run(records, NearDupConfig())
    assert 42_500 <= run["candidate_pairs"] <= 43_000
    assert run["capped_buckets"] == 0
    scores = grouping_scores(run["groups"], {r["id"]: r["label"] for r in records})
    assert scores["false_merges"] == 0
