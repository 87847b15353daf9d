"""Property tests (Hypothesis) for the pure logic the pipeline's guarantees rest on.

MinHash estimate vs true Jaccard lives in tests/unit/test_minhash.py (not repeated here).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.records import Article, DupInfo
from transforms.article_identity import resolve_same_id
from transforms.boilerplate import BoilerplateConfig, strip_boilerplate
from transforms.canonical import EventMember, build_event, event_id_for
from transforms.event_clustering import EventClusteringConfig, EventDoc, cluster_events
from transforms.event_engine import event_id_for_founder
from transforms.normalization import normalize_text

CONFIG = BoilerplateConfig()

# Text with the characters normalisation cares about: odd spaces, line ends, quotes, dashes,
# zero-width characters, controls, compatibility forms and combining marks.
_SPECIAL = list("\r\n\t \u00a0\u2028\u2029\x85\u200b\ufeff\u00ad\u201c\u201d\u2019\u2013\u2014\u2026\x00\x07"
                "\ufb01\u2460\uff21\u0301\u00e9e\u0308")
messy_text = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(_SPECIAL)), max_size=300)

_WORDS = ["the", "fire", "council", "said", "on", "Tuesday", "share", "on", "Facebook", "subscribe", "now",
          "Read", "more", "bridge", "closed", "and", "of", "a", "Copyright", "2026", "|", "-", "news", "The"]
line = st.lists(st.sampled_from(_WORDS), min_size=0, max_size=25).map(" ".join).map(
    lambda s: s + "." if s and random.Random(len(s)).random() < 0.5 else s)
page = st.lists(line, min_size=0, max_size=30).map("\n".join)


@given(messy_text)
@settings(max_examples=300)
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(messy_text)
def test_normalized_text_has_only_newline_line_ends(text: str) -> None:
    out = normalize_text(text)
    assert not any(c in out for c in "\r\u2028\u2029\x85\x00")


def _check_strip(text: str, title: str | None = None, furniture: frozenset[str] = frozenset()) -> None:
    text = normalize_text(text)
    result = strip_boilerplate(text, CONFIG, furniture, title=title)
    lines = text.split("\n")
    kept = result.clean_text.split("\n") if result.clean_text else []
    # Never adds text: the kept lines are input lines (stripped), in input order.
    removed = {r.line_no for r in result.removals}
    expected_kept = [ln.strip() for i, ln in enumerate(lines) if ln.strip() and i not in removed]
    assert kept == expected_kept
    # Never removes a line without a reason: every non-blank line is kept or has exactly one removal.
    line_nos = [r.line_no for r in result.removals]
    assert len(line_nos) == len(set(line_nos))
    for r in result.removals:
        assert lines[r.line_no].strip() == r.text and r.text and r.reason
    non_blank = [i for i, ln in enumerate(lines) if ln.strip()]
    assert len(kept) + len(result.removals) == len(non_blank)
    assert len(result.clean_text) <= len(text)


@given(page, st.one_of(st.none(), line))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_strip_boilerplate_only_removes_lines_and_says_why(text: str, title: str | None) -> None:
    _check_strip(text, title)


@given(messy_text)
@settings(max_examples=200)
def test_strip_boilerplate_on_arbitrary_text(text: str) -> None:
    _check_strip(text)


@given(page, st.sets(line, max_size=5))
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_strip_boilerplate_with_furniture(text: str, furniture_lines: set[str]) -> None:
    from transforms.boilerplate import line_key

    _check_strip(text, furniture=frozenset(line_key(f) for f in furniture_lines if line_key(f)))


# ------------------------------------------------------------------ clustering
_T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
_TOPICS = ["fire factory smoke Brennick workers evacuated", "bank rate cut mortgage Veltria savers",
           "bridge closed Sallow Street engineers cracks", "airline merger Pellan Skylark routes regulator"]


@st.composite
def event_docs(draw: st.DrawFn) -> list[EventDoc]:
    n = draw(st.integers(min_value=0, max_value=14))
    docs = []
    for i in range(n):
        topic = draw(st.integers(0, len(_TOPICS) - 1))
        noise = draw(st.lists(st.floats(-1, 1, allow_nan=False, width=32), min_size=8, max_size=8))
        vec = np.zeros(8, dtype=np.float32)
        vec[topic] = 2.0
        vec += np.asarray(noise, dtype=np.float32) * draw(st.sampled_from([0.0, 0.5, 2.0]))
        vec /= np.linalg.norm(vec) or 1.0
        hours = draw(st.one_of(st.none(), st.integers(0, 24 * 10)))
        docs.append(EventDoc(
            article_id=f"a{i:02d}", embedding=vec, title=draw(st.one_of(st.none(), st.just(_TOPICS[topic].title()))),
            text=_TOPICS[topic] + " " + " ".join(draw(st.lists(st.sampled_from(_WORDS), max_size=12))) + ".",
            published_at=None if hours is None else _T0 + timedelta(hours=hours),
        ))
    return docs


@given(event_docs(), st.randoms(use_true_random=False), st.sampled_from([1, 3, 500]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_clustering_is_a_partition_independent_of_input_order(docs: list[EventDoc], rnd: random.Random,
                                                              block_docs: int) -> None:
    config = EventClusteringConfig(block_docs=block_docs, max_time_gap_hours=24 * 4)
    first = cluster_events(docs, config)
    shuffled = list(docs)
    rnd.shuffle(shuffled)
    second = cluster_events(shuffled, config)
    assert [(a.article_id, a.event_id) for a in first] == [(a.article_id, a.event_id) for a in second]
    for a, b in zip(first, second):
        assert abs(a.similarity - b.similarity) < 1e-5
        assert 0.0 <= a.similarity <= 1.0
    # A partition: every input exactly once, each event named after its founder (first published,
    # unknown times last, then the smallest id).
    assert sorted(a.article_id for a in first) == sorted(d.article_id for d in docs)
    clusters: dict[str, list[str]] = {}
    for a in first:
        clusters.setdefault(a.event_id, []).append(a.article_id)
    when = {d.article_id: d.published_at for d in docs}
    latest = datetime.max.replace(tzinfo=timezone.utc)
    for key, members in clusters.items():
        founder = min(members, key=lambda m: (when[m] or latest, m))
        assert key == event_id_for_founder(founder)
    # No cluster spans more than the time gap between known publish times.
    when = {d.article_id: d.published_at for d in docs}
    for members in clusters.values():
        times = [when[m] for m in members if when[m] is not None]
        if times:
            assert max(times) - min(times) <= timedelta(hours=config.max_time_gap_hours)


# ------------------------------------------------------------------ event ids
@st.composite
def members(draw: st.DrawFn) -> list[EventMember]:
    n = draw(st.integers(1, 8))
    ids = draw(st.lists(st.text("abcxyz/-0123", min_size=1, max_size=6), min_size=n, max_size=n, unique=True))
    out = []
    for article_id in ids:
        hours = draw(st.one_of(st.none(), st.integers(0, 100)))
        published = None if hours is None else _T0 + timedelta(hours=hours)
        is_anchor = draw(st.booleans())
        out.append(EventMember(
            Article(article_id=article_id, text="Some text here.", clean_text="Some text here. More.",
                    published_at=published, source=draw(st.sampled_from([None, "A", "B"]))),
            DupInfo(article_id, "dup-" + article_id, article_id, 1.0, is_anchor),
            draw(st.floats(0, 1, allow_nan=False)),
        ))
    return out


@given(members(), st.randoms(use_true_random=False))
def test_event_id_and_rows_are_stable_under_permutation(ms: list[EventMember], rnd: random.Random) -> None:
    shuffled = list(ms)
    rnd.shuffle(shuffled)
    assert event_id_for(shuffled) == event_id_for(ms)
    assert build_event(shuffled) == build_event(ms)


@given(members(), members())
def test_event_id_depends_only_on_the_founder(ms: list[EventMember], later: list[EventMember]) -> None:
    """Articles published after the founder joining the event do not change its id."""
    founder = min(ms, key=lambda m: (m.article.published_at or datetime.max.replace(tzinfo=timezone.utc),
                                     m.article.article_id))
    if founder.article.published_at is None:
        return
    taken = {m.article.article_id for m in ms}
    joiners = [EventMember(
        Article(article_id="z" + m.article.article_id, text="t", published_at=founder.article.published_at
                + timedelta(hours=1)), m.dup, m.event_similarity) for m in later
        if "z" + m.article.article_id not in taken]
    assert event_id_for(ms + joiners) == event_id_for(ms)


# ------------------------------------------------------------------ same-id resolution
@st.composite
def same_id_records(draw: st.DrawFn) -> list[Article]:
    texts = draw(st.lists(st.sampled_from(["one text", "another text", "a third"]), min_size=1, max_size=6))
    slots = draw(st.lists(st.tuples(st.sampled_from(["a.jsonl", "b.jsonl", "c.jsonl"]), st.integers(1, 50)),
                          min_size=len(texts), max_size=len(texts), unique=True))
    return [Article("same", t, input_file=f, record_no=n) for t, (f, n) in zip(texts, slots)]


@given(same_id_records(), st.randoms(use_true_random=False))
def test_resolve_same_id_accounts_for_every_record_whatever_the_order(records: list[Article], rnd) -> None:
    kept, collapsed = resolve_same_id(records)
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert resolve_same_id(shuffled) == (kept, collapsed)
    assert len(kept) + len(collapsed) == len(records)
    assert len(kept) == len({r.text for r in records})
    assert len({k.article_id for k in kept}) == len(kept)
    assert sum(k.article_id == "same" for k in kept) == 1
