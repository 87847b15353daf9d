"""The page-reading rules on the Zyte news pages against the metadata their HTML declares: floors pinned
just under the measured figures (README › Quality), per half (rules were tuned on `tune` only)."""
from __future__ import annotations

import pytest

from evaluation.labelled_data import read_jsonl
from evaluation.records_eval import evaluate_page_metadata

pytestmark = pytest.mark.golden

FLOORS = {
    "tune": {"source_precision": 0.85, "source_coverage": 0.82, "time_precision_same_day": 0.87,
             "time_coverage": 0.53, "authors_precision": 0.73, "authors_coverage": 0.46, "clean_title_match": 0.79},
    "held_out": {"source_precision": 0.76, "source_coverage": 0.77, "time_precision_same_day": 0.89,
                 "time_coverage": 0.73, "authors_precision": 0.72, "authors_coverage": 0.32, "clean_title_match": 0.65},
}


@pytest.fixture(scope="module")
def zyte_report(shared_dir):
    return evaluate_page_metadata(read_jsonl(shared_dir / "eval" / "boilerplate" / "zyte_article_extraction.jsonl"))


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_page_metadata_floors(zyte_report, split):
    row = zyte_report[split]
    assert (row["pages"], row["titles"]) == {"tune": (92, 78), "held_out": (89, 76)}[split]
    for metric, floor in FLOORS[split].items():
        assert row[metric] >= floor, (split, metric, row[metric])
    # Cleaning titles must beat taking the page's <title> as it is, by a wide margin.
    assert row["clean_title_match"] >= row["raw_title_match"] + 0.3
