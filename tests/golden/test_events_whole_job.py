"""Event quality of the whole job (read → strip → near-dup → embed → cluster), not only the clusterer.

The pure clustering golden test (test_events_golden.py) scores cluster_events on raw texts; this one runs
the real pipeline, so a regression in any stage before clustering (e.g. stripping headlines away) shows.
Floors sit just under what `storybeam evaluate --tasks events` measured (README, Quality)."""
from __future__ import annotations

import pytest

from evaluation.metrics import clustering_report
from pipelines.evaluate import _events_records, storybeam_events
from tests.golden_policy import SHARED, require_shared

pytestmark = pytest.mark.golden
EVENTS = SHARED / "eval" / "events"


def _score(name: str, limit: int | None) -> dict:
    path = require_shared(EVENTS.relative_to(SHARED) / name)
    records = _events_records(path, limit)
    predicted = storybeam_events(records)
    return clustering_report(predicted, {r["id"]: r["label"] for r in records})


# Measured with `storybeam evaluate --tasks events` on 2026-12-05 (README, Quality); floors just under.
def test_ecbplus_through_the_whole_job():
    report = _score("ecbplus_topics_1-35.jsonl", None)  # measured: B3 F1 0.931 (P 0.923, R 0.938), ARI 0.896
    assert report["b3_f1"] >= 0.925
    assert report["ari"] >= 0.885


def test_uci_headlines_whole_file_through_the_whole_job():
    report = _score("uci_headlines.jsonl", None)  # measured: B3 F1 0.808 (P 0.840, R 0.778), ARI 0.730
    assert report["b3_f1"] >= 0.80
    assert report["ari"] >= 0.72


def test_gva_look_alike_shootings_through_the_whole_job():
    report = _score("gva_shootings_dev.jsonl", None)  # measured: B3 F1 0.934 (P 0.959, R 0.911), ARI 0.851
    assert report["b3_f1"] >= 0.93
    assert report["b3_precision"] >= 0.95
    assert report["ari"] >= 0.845
