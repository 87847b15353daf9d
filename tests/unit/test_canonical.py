from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from schemas.records import Article, DupInfo
from transforms.canonical import (
    EventMember,
    build_event,
    choose_canonical,
    choose_headline,
    event_id_for,
    headline_of,
    summary_of,
)

T1 = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
T2 = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def member(article_id, sim, published=None, copy_of=None, source="S", title=None, text="Body one. Body two."):
    article = Article(article_id, text, title=title, source=source, published_at=published, clean_text=text)
    anchor = copy_of or article_id
    dup = DupInfo(article_id, f"dup-{anchor}", anchor, 1.0, copy_of is None)
    return EventMember(article, dup, sim)


def test_event_id_comes_from_the_earliest_published_member_then_smallest_id():
    expected = "evt-" + hashlib.sha1(b"event\nb").hexdigest()[:16]
    assert event_id_for([member("a", 0.9), member("b", 0.5, T1), member("c", 0.5, T2)]) == expected
    assert event_id_for([member("c", 0.9), member("b", 0.5)]) == "evt-" + hashlib.sha1(b"event\nb").hexdigest()[:16]


def test_canonical_is_the_most_central_representative_then_earliest_then_smallest_id():
    assert choose_canonical([member("a", 0.7), member("b", 0.9, copy_of="c"), member("c", 0.8)]).article.article_id == "c"
    assert choose_canonical([member("b", 0.8, T2), member("c", 0.8, T1)]).article.article_id == "c"
    assert choose_canonical([member("c", 0.8), member("b", 0.8)]).article.article_id == "b"


def test_headline_prefers_the_title_else_the_first_sentence():
    assert headline_of(Article("a", "", title="Bridge closed", clean_text="x")) == "Bridge closed"
    assert headline_of(Article("a", "", clean_text="The bridge closed. Traffic stopped.")) == "The bridge closed."
    assert headline_of(Article("a", "", title="Bridge closed | Local News - The Ledger", clean_text="x")) == \
        "Bridge closed"
    # A byline is never the headline: the lead sentence of the story is, after byline and dateline.
    text = "By Steve Holland and Olena Harmash\nKYIV (Reuters) - Talks will start at once. More follows."
    assert headline_of(Article("a", text, clean_text=text)) == "Talks will start at once."


def test_event_headline_is_a_members_title_when_the_canonical_article_has_none():
    wire = "By Steve Holland and Olena Harmash\nKYIV (Reuters) - Talks will start at once. More follows."
    canonical = member("w", 0.95, text=wire)
    titled = [member("b", 0.80, title="Trump says talks will start - The Independent"),
              member("c", 0.90, title="After call, Russia and Ukraine to talk | Russia-Ukraine war News"),
              member("d", 0.99, title="en")]
    assert choose_headline([canonical] + titled, canonical) == "After call, Russia and Ukraine to talk"
    assert choose_headline([canonical], canonical) == "Talks will start at once."
    with_title = member("t", 0.5, title="Own headline of the canonical article")
    assert choose_headline([with_title] + titled, with_title) == "Own headline of the canonical article"
    # Without titles, a headline line of a member's page header comes before any lead sentence.
    page = "Business\nBank cuts interest rate as inflation eases\nBy Jo Bloggs\nThe bank cut its rate today."
    headed = EventMember(Article("p", page, clean_text="The bank cut its rate today."), DupInfo("p", "dup-p", "p", 1.0, True), 0.5)
    assert choose_headline([canonical, headed], canonical) == "Bank cuts interest rate as inflation eases"


def test_summary_keeps_whole_sentences_up_to_the_limit():
    text = "First sentence here. Second one is here too. Third sentence is long enough to pass the limit."
    assert summary_of(text, limit=50) == "First sentence here. Second one is here too."
    assert summary_of("word " * 200, limit=30) == "word word word word word word..."
    wire = ("By Steve Holland and Olena Harmash\nWASHINGTON/KYIV (Reuters) -U.S. President Donald Trump said talks "
            "would start at once.\n(Reporting by Jo Bloggs; Editing by Al Smith)")
    assert summary_of(wire) == "U.S. President Donald Trump said talks would start at once."


def test_build_event_counts_sources_groups_and_flags_one_canonical():
    members = [member("b", 0.9, T2, source="Y"), member("a", 0.8, T1, source="X"),
               member("c", 0.0, T2, copy_of="a", source="X")]
    event, rows = build_event(members)
    assert (event.article_ids, event.sources, event.article_count, event.source_count, event.dup_group_count) == (
        ["a", "b", "c"], ["X", "Y"], 3, 2, 2)
    assert (event.first_published_at, event.last_published_at) == (T1, T2)
    assert event.canonical_article_id == "b"
    assert [(r.article_id, r.is_canonical, r.is_duplicate, r.event_id) for r in rows] == [
        ("a", False, False, event.event_id), ("b", True, False, event.event_id), ("c", False, True, event.event_id)]


def test_article_rows_carry_authors_dateline_and_inferred_flags():
    article = Article("a", "x", source="Reuters", clean_text="Body one. Body two.", authors=("Jo Bloggs",),
                      dateline="KYIV", source_inferred=True, published_at_inferred=False)
    _, (row,) = build_event([EventMember(article, DupInfo("a", "dup-a", "a", 1.0, True), 1.0)])
    assert (row.authors, row.dateline, row.source_inferred, row.published_at_inferred) == (
        ["Jo Bloggs"], "KYIV", True, False)
