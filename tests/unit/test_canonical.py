from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from schemas.records import Article, DupInfo
from transforms.canonical import (
    EventMember,
    build_event,
    choose_canonical,
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


def test_summary_keeps_whole_sentences_up_to_the_limit():
    text = "First sentence here. Second one is here too. Third sentence is long enough to pass the limit."
    assert summary_of(text, limit=50) == "First sentence here. Second one is here too."
    assert summary_of("word " * 200, limit=30) == "word word word word word word..."


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
