"""Golden: event clustering with the real MiniLM on real labelled news, at DEFAULT settings.

Data (not part of the project): ``<shared>/eval/events/`` where ``<shared>`` is ``$STORYBEAM_SHARED``
or the ``shared`` folder beside the checkout. Skipped when the data is missing.

* ECB+ topics 1-35: all 772 articles (66 events, two look-alike events per topic).
* UCI News Aggregator headlines: a fixed subset, the first 1,000 records of ``uci_headlines.jsonl``
  (file order; 18 stories), to keep the test short; its publish times are used.

Floors are pinned just under the measured values (see each test); a drop below them is a regression.
Runtime on 2 busy CPU cores: ~1.5 minutes, almost all of it embedding (ECB+ ~60 s).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from evaluation.events_eval import embed, load_events, load_model, score_storybeam, tfidf_average_link

pytestmark = pytest.mark.golden

SHARED = Path(os.environ.get("STORYBEAM_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
EVENTS = SHARED / "eval" / "events"
ECBPLUS = EVENTS / "ecbplus_topics_1-35.jsonl"
UCI = EVENTS / "uci_headlines.jsonl"
UCI_SUBSET = 1000


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared evaluation data missing: {path}")
    return path


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_ecbplus_topics_1_35_at_defaults(model):
    records = load_events(_require(ECBPLUS))
    report = score_storybeam(records, embed(records, model=model))
    # Measured: B3 F1 0.938 (P 0.922, R 0.954), pairwise F1 0.903, ARI 0.901, 66 clusters vs 66.
    assert report["b3_f1"] >= 0.93
    assert report["pairwise_f1"] >= 0.89
    assert report["ari"] >= 0.89
    assert 55 <= report["n_clusters"] <= 80
    # And above the TF-IDF + average-link peer even at the peer's oracle-best threshold (0.87).
    assert report["b3_f1"] >= tfidf_average_link(records)["b3_f1"] + 0.04


def test_uci_headlines_subset_at_defaults(model):
    records = load_events(_require(UCI))[:UCI_SUBSET]
    report = score_storybeam(records, embed(records, model=model))
    # Measured: B3 P 0.888, R 0.156, F1 0.266; ARI 0.157; 181 clusters vs 18 gold stories.
    # UCI "stories" are aggregator topics (a TV finale's week of chatter, a game launch), far
    # coarser than the events the defaults are tuned for: at event granularity the story splits
    # into its events, so precision is the figure that matters and recall is low by design.
    assert report["b3_precision"] >= 0.86
    assert report["b3_f1"] >= 0.25
    assert report["ari"] >= 0.14
