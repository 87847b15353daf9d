"""The bundled sample through the whole job with the real model: exactly the labelled events."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from pipelines.events import format_summary
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
    # A one-off run (no --date) has no earlier nights: every total is the run's own figure.
    for e in tables["events"]:
        assert e["first_seen_dt"] is None
        assert (e["total_article_count"], e["total_dup_group_count"], e["total_sources"]) == (
            e["article_count"], e["dup_group_count"], e["sources"])
        assert (e["total_first_published_at"], e["total_last_published_at"]) == (
            e["first_published_at"], e["last_published_at"])


def test_the_readme_shows_what_the_demo_prints(sample_run):
    # make demo runs the job with default options on this sample; the README's Quick start shows its output.
    summary, _ = sample_run
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    shown = readme.split("`make demo` prints (run id and time aside):", 1)[1].split("```", 2)[1]
    without_run_id = [re.sub(r"^storybeam run \S+:", "storybeam run:", line) for line in shown.strip().splitlines()]
    printed = [re.sub(r"^storybeam run \S+:", "storybeam run:", line) for line in format_summary(summary).splitlines()]
    assert without_run_id == printed


@pytest.fixture(scope="module")
def sample_txt_run(tmp_path_factory):
    """The same sample as raw .txt pages: no metadata at all, only what the pages and folders say."""
    return run_job([str(SAMPLE / "articles" / "*" / "*.txt")], tmp_path_factory.mktemp("sample_txt") / "out")


def _metadata() -> dict[str, dict]:
    import csv

    with (SAMPLE / "metadata.csv").open(encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_txt_pages_get_outlet_from_folder_time_and_byline_from_the_page(sample_txt_run):
    from datetime import datetime

    _, tables = sample_txt_run
    metadata = _metadata()
    gold = defaultdict(set)
    for label in _labels():
        gold[label["event"]].add(label["id"])
    assert events_by_member(tables) == {frozenset(ids) for ids in gold.values()}
    for row in tables["articles"]:
        assert (row["source"], row["source_inferred"]) == (row["article_id"].split("/")[0], True)
    # Harbor Ledger, Lowland Gazette and Riverbend Times pages state a date (and most a time); the others
    # do not, and stay unknown. The stated calendar day is the metadata's local day (a time without a
    # zone is read as UTC, so Riverbend's "12:05 PM" of UTC-5 comes out five hours early).
    inferred = {r["article_id"]: r["published_at"] for r in tables["articles"] if r["published_at_inferred"]}
    assert {i.split("/")[0] for i in inferred} == {"harbor-ledger", "lowland-gazette", "riverbend-times"}
    assert len(inferred) == 14
    assert all(r["published_at"] is None for r in tables["articles"] if not r["published_at_inferred"])
    for article_id, when in inferred.items():
        local = datetime.fromisoformat(metadata[article_id]["published_at"])
        assert when.date() == local.date(), article_id
        if article_id.startswith("harbor-ledger/"):
            assert when == local, article_id
    by_id = {r["article_id"]: r for r in tables["articles"]}
    assert by_id["harbor-ledger/2026-03-03-brennick-plastics-fire"]["authors"] == ["Martha Quilliam"]
    assert by_id["lowland-gazette/2026-03-12-dunmore-fabrics-fire-jobs"]["authors"] == ["Hollis Brandt"]
    assert by_id["riverbend-times/2026-03-15-fennwick-marsh-bittern"]["authors"] == ["Mei Tanaka-Ross"]
    assert by_id["lowland-gazette/2026-03-18-bank-of-veltria-cuts-rates"]["dateline"] == "VELDRA"
    assert by_id["riverbend-times/2026-03-18-veltria-rate-cut"]["dateline"] == "Veldra"
    assert by_id["northgate-post/2026-03-18-veltria-rate-cut-mortgages"]["authors"] == []
    for event in tables["events"]:
        assert event["headline"] in {by_id[i]["title"] for i in event["article_ids"]}
        assert not event["headline"].startswith("By ")
