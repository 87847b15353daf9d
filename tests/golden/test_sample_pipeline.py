"""The bundled sample through the whole job with the real model: exactly the labelled events."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tests.pipeline_runs import events_by_member, run_job

pytestmark = pytest.mark.golden
SAMPLE = Path(__file__).resolve().parents[2] / "sample"


def _labels() -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / "labels.jsonl").open(encoding="utf-8")]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    return run_job([str(SAMPLE / "articles.jsonl")], tmp_path_factory.mktemp("sample") / "out")


def test_sample_events_are_exactly_the_labelled_events(sample_run):
    _, tables = sample_run
    gold = defaultdict(set)
    for label in _labels():
        gold[label["event"]].add(label["id"])
    assert events_by_member(tables) == {frozenset(ids) for ids in gold.values()}


def test_wire_reprints_are_one_near_duplicate_group(sample_run):
    _, tables = sample_run
    by_id = {r["article_id"]: r for r in tables["articles"]}
    wire = [label for label in _labels() if label["wire_of"]]
    assert len(wire) == 2
    for label in wire:
        assert by_id[label["id"]]["dup_group_id"] == by_id[label["wire_of"]]["dup_group_id"]
    copies = sorted(r["article_id"] for r in tables["articles"] if r["is_duplicate"])
    assert len(copies) == 2


def test_sources_and_counts(sample_run):
    summary, tables = sample_run
    by_id = {r["article_id"]: r for r in tables["articles"]}
    # Two records carry no source: it comes from the URL host.
    assert by_id["riverbend-times/2026-03-18-veltria-rate-cut"]["source"] == "riverbendtimes.example"
    assert "source:from_url" in by_id["riverbend-times/2026-03-18-veltria-rate-cut"]["repair_notes"]
    assert summary["totals"] == {"records_read": 23, "articles": 23, "dead_letters": 0, "collapsed": 0}
    assert sum(e["article_count"] for e in tables["events"]) == 23
    assert sum(1 for r in tables["articles"] if r["is_canonical"]) == len(tables["events"])
