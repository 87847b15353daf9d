"""No phrase rule written for one page: every rule that fires on the labelled sets fires on at least two
pages, unless it is an English rule translated into French, Spanish or Italian (evaluation/phrase_audit.py).
Labelled data: tests/golden_policy.py."""
from __future__ import annotations

import pytest

from evaluation.phrase_audit import audit, one_page_rules, pages, rules_written_for_one_page
from tests.golden_policy import require_shared

pytestmark = pytest.mark.golden


@pytest.fixture(scope="module")
def report():
    require_shared("seeds")
    return audit(pages(require_shared("eval")))


def test_no_phrase_rule_fires_on_one_page_only(report):
    assert [(h.language, h.kind, h.pattern) for h in rules_written_for_one_page(report)] == []


def test_the_one_page_rules_are_translations_and_none_cuts_body_text(report):
    # Measured: 6 translated rules fire on one page each (fr 2, es 2, it 2).
    assert sorted(h.language for h in one_page_rules(report)) == ["es", "es", "fr", "fr", "it", "it"]
    # The generalised rules fire on many pages and on no line the labels call body text.
    by_pattern = {h.pattern: h for h in report}
    for pattern, min_pages in [(r"^join\b", 60), (r"\b(push|e-?mail|browser|desktop) notifications\b", 12),
                               (r"\b(please try again|try again later)\b", 15)]:
        hits = by_pattern[pattern]
        assert len(hits.evidence_pages) >= min_pages and hits.body_lines == 0, (pattern, hits.evidence_pages)
