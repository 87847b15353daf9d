"""Unit tests of the pure event engine, with small hand-made embeddings."""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.event_clustering import (
    EventAssignment,
    EventClusteringConfig,
    EventDoc,
    cluster_events,
    embedding_input,
    name_tokens,
)
from transforms.event_engine import (
    UNDATED,
    SparseVec,
    Unit,
    block_of_hours,
    cluster_block,
    event_id_for_founder,
    plan_blocks,
    sparse_sum,
)
from transforms.event_features import doc_features
from transforms.event_linking import link_units

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
# Embedding only, not centred, no local scaling, no short-text rule: similarities are exactly the
# cosines written in each test.
EMBEDDING_ONLY = EventClusteringConfig(
    threshold=0.6, lexical_weight=0.0, names_weight=0.0, scale_neighbours=0, full_text_words=0,
    centre_embeddings=False,
)


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def doc(article_id: str, embedding: np.ndarray, text: str = "", hours: float | None = None,
        title: str | None = None) -> EventDoc:
    when = None if hours is None else T0 + timedelta(hours=hours)
    return EventDoc(article_id, embedding, title, text, when)


def clusters(assignments: list[EventAssignment]) -> set[frozenset[str]]:
    by_event: dict[str, set[str]] = {}
    for a in assignments:
        by_event.setdefault(a.event_id, set()).add(a.article_id)
    return {frozenset(m) for m in by_event.values()}


def evt(founder: str) -> str:
    return event_id_for_founder(founder)


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"threshold": 0.0}, {"threshold": 6.0}, {"max_time_gap_hours": 0}, {"embedding_weight": -1.0},
    {"embedding_weight": 0.0, "lexical_weight": 0.0, "names_weight": 0.0}, {"gap_penalty": -0.1},
    {"gap_penalty": math.inf}, {"max_neighbours": 0}, {"block_docs": 0}, {"rare_name_clusters": 0},
    {"scale_neighbours": -1}, {"min_scale": 0.0}, {"full_text_words": -1}, {"short_threshold": 0.0},
    {"short_threshold": 6.0}, {"context_docs": -1}, {"near_days": -1.0}, {"centre_prior_docs": -1},
])
def test_config_rejects_invalid_values(kwargs):
    with pytest.raises(ValueError):
        EventClusteringConfig(**kwargs)


def test_config_normalises_weights():
    config = EventClusteringConfig(embedding_weight=1.0, lexical_weight=1.0, names_weight=2.0)
    assert config.normalised_weights == (0.25, 0.25, 0.5)


def test_required_similarity_grows_with_the_log_of_the_gap_in_days():
    config = EventClusteringConfig(threshold=0.6, gap_penalty=0.5)
    assert config.required(0.0) == 0.6
    assert config.required(math.nan) == 0.6  # a time unknown: no penalty
    assert config.required(24.0) == pytest.approx(0.6 * (1 + 0.5 * math.log(2)))
    assert config.required(24.0 * 30) == pytest.approx(0.6 * (1 + 0.5 * math.log(31)))


# --- inputs --------------------------------------------------------------------------------------

def test_embedding_input_joins_title_and_lead_and_cuts_at_a_word():
    assert embedding_input("Quake hits Chile", "A strong earthquake struck.") == (
        "Quake hits Chile\nA strong earthquake struck."
    )
    assert embedding_input(None, "alpha beta gamma", max_chars=12) == "alpha beta"
    assert embedding_input("  ", "body") == "body"


def test_name_tokens_keeps_inner_capitals_and_numbers_only():
    text = "The quake struck Chile on Monday, killing 1,200 people.\nRescuers from Peru arrived."
    assert name_tokens(text) == ["chile", "monday", "1200", "peru"]


def test_name_tokens_ignores_capitals_of_title_case_lines():
    assert name_tokens("Fed Official Says Weak Data Caused By Weather In 2014") == ["2014"]


def test_doc_features_hash_words_and_names_into_separate_spaces():
    f = doc_features(doc("a", unit(1, 0), "The blaze in Brennick hurt 3 workers; the blaze spread.",
                         hours=5.0))
    assert f.hours == pytest.approx(T0.timestamp() / 3600 + 5)
    assert f.names == ("3", "brennick")
    assert sorted(f.term_counts.tolist()) == [1, 1, 1, 1, 2]  # blaze x2, brennick, hurt, workers, spread
    assert not set(f.term_ids.tolist()) & set(f.name_ids.tolist())
    assert f.words == 10


def test_sparse_vectors_add_and_dot_by_feature_id():
    a = SparseVec(np.array([1, 5, 9]), np.array([1.0, 2.0, 3.0]))
    b = SparseVec(np.array([5, 7]), np.array([10.0, 1.0]))
    total = sparse_sum([a, b])
    assert total.ids.tolist() == [1, 5, 7, 9] and total.values.tolist() == [1.0, 12.0, 1.0, 3.0]
    assert a.dot(b) == 20.0


# --- clustering ------------------------------------------------------------------------------

def test_empty_input_gives_empty_output():
    assert cluster_events([], EventClusteringConfig()) == []


def test_single_doc_is_its_own_event_with_similarity_one():
    assert cluster_events([doc("a", unit(1, 0))], EMBEDDING_ONLY) == [EventAssignment("a", evt("a"), 1.0)]


def test_exact_clusters_and_similarities():
    docs = [
        doc("b", unit(1, 0, 0)), doc("a", unit(1, 0.1, 0)), doc("c", unit(0, 1, 0)),
        doc("d", unit(0, 1, 0.2)), doc("e", unit(0, 0, 1)),
    ]
    result = cluster_events(docs, EMBEDDING_ONLY)
    assert [a.article_id for a in result] == ["a", "b", "c", "d", "e"]
    # No times: the founder is the smallest id.
    assert [a.event_id for a in result] == [evt("a"), evt("a"), evt("c"), evt("c"), evt("e")]
    ab = float(unit(1, 0.1, 0) @ unit(1, 0, 0))
    cd = float(unit(0, 1, 0) @ unit(0, 1, 0.2))
    assert [a.similarity for a in result] == pytest.approx([ab, ab, cd, cd, 1.0], abs=1e-6)


def test_event_is_named_after_its_first_published_member():
    same = unit(1, 0)
    result = cluster_events([doc("a", same, hours=5), doc("b", same, hours=1), doc("c", same)], EMBEDDING_ONLY)
    assert {a.event_id for a in result} == {evt("b")}


def test_no_chaining_a_near_b_near_c_with_a_far_from_c():
    # cos(A,B) = cos(B,C) = 0.707, cos(A,C) = 0: single link would make one cluster of three.
    docs = [doc("A", unit(1, 0)), doc("B", unit(1, 1)), doc("C", unit(0, 1))]
    assert clusters(cluster_events(docs, EMBEDDING_ONLY)) == {frozenset("AB"), frozenset("C")}


def test_average_link_admits_a_member_close_to_the_cluster_as_a_whole():
    # D is 0.8-0.9 from each of A, B, C: its mean similarity to the cluster clears the threshold.
    a, b, c = unit(1, 0.05, 0), unit(1, 0, 0.05), unit(1, 0.05, 0.05)
    d = unit(1, 0.6, 0.6)
    docs = [doc("A", a), doc("B", b), doc("C", c), doc("D", d)]
    assert clusters(cluster_events(docs, EMBEDDING_ONLY)) == {frozenset("ABCD")}


def test_evidence_required_grows_with_the_time_gap():
    # cos 0.8, threshold 0.6, penalty 0.5: same day needs 0.6, a day 0.808, a month 1.63.
    config = replace(EMBEDDING_ONLY, gap_penalty=0.5)
    theta = math.acos(0.8)
    a, b = unit(1, 0), unit(math.cos(theta), math.sin(theta))
    assert len(clusters(cluster_events([doc("a", a, hours=0), doc("b", b, hours=3)], config))) == 1
    assert len(clusters(cluster_events([doc("a", a, hours=0), doc("b", b, hours=24)], config))) == 2
    # Identical stories (cos 1) still link a day apart, not a month apart.
    assert len(clusters(cluster_events([doc("a", a, hours=0), doc("b", a, hours=24)], config))) == 1
    assert len(clusters(cluster_events([doc("a", a, hours=0), doc("b", a, hours=24 * 30)], config))) == 2


def test_gap_is_measured_between_the_clusters_time_spans():
    # a (day 0) and c (day 6) are too far apart for each other, but b (day 3) fills the gap:
    # {a, b} spans days 0-3 and c is 3 days from its end, not 6.
    config = replace(EMBEDDING_ONLY, threshold=0.5, gap_penalty=0.5)
    same = unit(1, 0)
    docs = [doc("a", same, hours=0), doc("b", same, hours=72), doc("c", same, hours=144)]
    assert clusters(cluster_events(docs, config)) == {frozenset("abc")}


def test_max_time_gap_caps_the_span_of_an_event():
    config = replace(EMBEDDING_ONLY, gap_penalty=0.0, max_time_gap_hours=72.0)
    same = unit(1, 0)
    docs = [doc("a", same, hours=0), doc("b", same, hours=50), doc("c", same, hours=100)]
    assert clusters(cluster_events(docs, config)) == {frozenset("ab"), frozenset("c")}


def test_unknown_time_merges_with_any_time():
    same = unit(1, 0)
    docs = [doc("a", same, hours=0), doc("b", same, hours=None), doc("c", same, hours=60)]
    config = replace(EMBEDDING_ONLY, gap_penalty=0.0)
    assert clusters(cluster_events(docs, config)) == {frozenset("abc")}


def test_names_tell_look_alike_events_apart():
    # One topic (same embedding, same topic words), two events told apart only by names/numbers.
    same = unit(1, 0)
    chile = "A strong earthquake struck near Valparaiso in Chile, killing 12 people, officials said."
    peru = "A strong earthquake struck near Arequipa in Peru, killing 40 people, officials said."
    docs = [doc("c1", same, chile), doc("c2", same, chile + " Rescuers from Santiago helped."),
            doc("p1", same, peru), doc("p2", same, peru + " Rescuers from Lima helped.")]
    config = EventClusteringConfig(threshold=0.75, scale_neighbours=0, full_text_words=0,
                                   centre_embeddings=False)
    assert clusters(cluster_events(docs, config)) == {frozenset({"c1", "c2"}), frozenset({"p1", "p2"})}


def test_a_follow_up_weeks_later_joins_when_its_names_agree():
    # Two shootings told in the same words; the follow-up 10 days later names the first one's
    # victim, age, street and town (raw similarity 0.70 to it, 0 to the other): it needs
    # 0.5 x (1 + 0.15 ln 11) = 0.68 and joins.
    same = unit(1, 0)
    first = ("Police said Marcus Delane, 24, was shot on Orchard Street in Tallow Creek late Friday. "
             "Officers found Delane wounded outside a store.")
    other = ("Police said Ray Hollis, 31, was shot on Birch Avenue in Dunford late Saturday. "
             "Officers found Hollis wounded outside a bar.")
    follow = ("A man was charged in the shooting of Marcus Delane, 24, on Orchard Street in Tallow "
              "Creek. Delane survived.")
    docs = [doc("a", same, first, hours=0), doc("b", same, other, hours=2),
            doc("c", same, follow, hours=24 * 10)]
    config = EventClusteringConfig(threshold=0.5, scale_neighbours=0, full_text_words=0,
                                   centre_embeddings=False, embedding_weight=0.0, names_weight=1.0,
                                   gap_penalty=0.15)
    assert clusters(cluster_events(docs, config)) == {frozenset("ac"), frozenset("b")}
    # A month later it would need 0.5 x (1 + 0.15 ln 31) = 0.76: the names do not suffice.
    later = [docs[0], docs[1], doc("c", same, follow, hours=24 * 30)]
    assert len(clusters(cluster_events(later, config))) == 3
    # Without a gap penalty it joins a month later, but never beyond max_time_gap_hours.
    flat = replace(config, gap_penalty=0.0)
    assert clusters(cluster_events(later, flat)) == {frozenset("ac"), frozenset("b")}
    late = [docs[0], docs[1], doc("c", same, follow, hours=24 * 400)]
    assert len(clusters(cluster_events(late, flat))) == 3


def _look_alikes(rng: np.random.Generator, events: int, dim: int, shared: float) -> list[np.ndarray]:
    """Two unit vectors per event: mostly one shared direction ("a shooting report", weight ``shared``),
    plus the event's own specifics and a little noise."""
    direction = np.zeros(dim)
    direction[0] = shared
    specifics = rng.normal(size=(events, dim)) * 0.5
    specifics[:, 0] = 0
    vectors = [direction + specifics[k // 2] + 0.05 * rng.normal(size=dim) for k in range(2 * events)]
    return [(v / np.linalg.norm(v)).astype(np.float32) for v in vectors]


def test_centring_takes_out_what_every_story_shares():
    # Every story is mostly one shared direction ("a shooting report"), plus its own specifics:
    # raw cosines are all > 0.9, so uncentred they are one event; centred, the specifics decide.
    rng = np.random.default_rng(0)
    docs = [doc(f"d{k}", v) for k, v in enumerate(_look_alikes(rng, events=4, dim=16, shared=3.0))]
    base = EventClusteringConfig(threshold=0.6, lexical_weight=0, names_weight=0, scale_neighbours=0,
                                 full_text_words=0, centre_prior_docs=0)
    assert len(clusters(cluster_events(docs, replace(base, centre_embeddings=False)))) == 1
    assert clusters(cluster_events(docs, base)) == {
        frozenset({"d0", "d1"}), frozenset({"d2", "d3"}), frozenset({"d4", "d5"}), frozenset({"d6", "d7"})}


def test_full_texts_are_centred_on_their_look_alikes_not_on_a_mixed_context():
    # Four look-alike stories (one shared direction, two events) among twelve stories on other topics:
    # the context's mean is mostly the other topics, so centred on it the look-alikes stay alike and
    # merge; centred on their own nearest stories, the specifics decide.
    rng = np.random.default_rng(1)
    alike = _look_alikes(rng, events=2, dim=32, shared=6.0)
    others = [3.0 * np.eye(32)[1 + k] + 0.3 * rng.normal(size=32) for k in range(12)]
    docs = [doc(f"a{k}", v) for k, v in enumerate(alike)] + \
        [doc(f"o{k:02d}", (v / np.linalg.norm(v)).astype(np.float32)) for k, v in enumerate(others)]
    base = EventClusteringConfig(threshold=0.6, lexical_weight=0, names_weight=0, scale_neighbours=0,
                                 full_text_words=0, centre_prior_docs=0, centre_neighbours=3)
    found = clusters(cluster_events(docs, base))
    assert {frozenset({"a0", "a1"}), frozenset({"a2", "a3"})} <= found
    assert frozenset({"a0", "a1", "a2", "a3"}) in clusters(cluster_events(docs, replace(base, centre_neighbours=0)))
    # Shorter texts (below full_text_words) keep the context's mean: the look-alikes merge again.
    assert frozenset({"a0", "a1", "a2", "a3"}) in clusters(cluster_events(docs, replace(base, full_text_words=50)))


def test_local_scaling_makes_the_threshold_relative_to_each_storys_neighbours():
    # Raw cosines of 0.5 within each pair and 0.1 across: too low for threshold 0.7 unscaled,
    # but each story's best neighbour sets its scale, so each pair is its own event.
    theta = math.acos(0.5)
    a, b = unit(1, 0, 0, 0), unit(math.cos(theta), math.sin(theta), 0, 0)
    c = unit(0.1, 0, 1, 0)
    d = unit(0.1, 0, 0.5, math.sqrt(0.74))
    docs = [doc("a", a), doc("b", b), doc("c", c), doc("d", d)]
    raw = replace(EMBEDDING_ONLY, threshold=0.7)
    scaled = replace(raw, scale_neighbours=1)
    assert len(clusters(cluster_events(docs, raw))) == 4
    result = cluster_events(docs, scaled)
    assert clusters(result) == {frozenset("ab"), frozenset("cd")}
    # Similarities stay on the raw 0-1 scale whatever the scaling.
    assert [r.similarity for r in result if r.article_id in "ab"] == pytest.approx([0.5, 0.5], abs=1e-6)


# --- short texts ---------------------------------------------------------------------------------

RAW_EMBEDDING = {"lexical_weight": 0.0, "names_weight": 0.0, "scale_neighbours": 0,
                 "centre_embeddings": False}


def test_short_texts_are_held_to_a_lower_threshold_interpolated_on_their_length():
    # Raw cosine 0.5 < threshold 0.7. Two 5-word headlines: share 5/50 = 0.1, own threshold
    # 0.25 + 0.45 * 0.1 = 0.295, so the pair is held to 0.295 and merges; the reported
    # similarity is the raw cosine.
    theta = math.acos(0.5)
    a, b = unit(1, 0), unit(math.cos(theta), math.sin(theta))
    headline = "quake strikes near coastal town"
    docs = [doc("a", a, headline), doc("b", b, headline)]
    result = cluster_events(docs, EventClusteringConfig(threshold=0.7, **RAW_EMBEDDING))
    assert clusters(result) == {frozenset("ab")}
    assert [r.similarity for r in result] == pytest.approx([0.5, 0.5], abs=1e-6)
    # Rule off, or full-length texts (>= full_text_words words): the threshold is 0.7, they stay apart.
    off = EventClusteringConfig(threshold=0.7, full_text_words=0, **RAW_EMBEDDING)
    assert len(clusters(cluster_events(docs, off))) == 2
    article = " ".join(["quake strikes near coastal town"] * 10)  # 50 words
    long_docs = [doc("a", a, article), doc("b", b, article)]
    assert len(clusters(cluster_events(long_docs, EventClusteringConfig(threshold=0.7, **RAW_EMBEDDING)))) == 2


def test_short_threshold_above_threshold_counts_as_threshold():
    theta = math.acos(0.65)
    docs = [doc("a", unit(1, 0), "short"), doc("b", unit(math.cos(theta), math.sin(theta)), "short")]
    config = EventClusteringConfig(threshold=0.6, short_threshold=0.9, **RAW_EMBEDDING)
    assert clusters(cluster_events(docs, config)) == {frozenset("ab")}


def test_names_weigh_less_in_short_texts():
    # Different embeddings and words, one shared rare number: in full articles the names signal
    # (weight 2 of 4) makes them one event; in headlines it fades with the length share.
    a, b = unit(1, 0), unit(0, 1)
    config = EventClusteringConfig(threshold=0.5, scale_neighbours=0, short_threshold=0.5,
                                   names_weight=2.0, centre_embeddings=False)
    short = [doc("a", a, "alpha beta gamma 1234"), doc("b", b, "delta epsilon zeta 1234")]
    assert len(clusters(cluster_events(short, config))) == 2
    off = replace(config, full_text_words=0)
    assert clusters(cluster_events(short, off)) == {frozenset("ab")}


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError):
        cluster_events([doc("a", unit(1, 0)), doc("a", unit(0, 1))], EMBEDDING_ONLY)


def test_naive_datetimes_are_rejected():
    naive = EventDoc("a", unit(1, 0), None, "", datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        cluster_events([naive], EMBEDDING_ONLY)


# --- blocks and linking --------------------------------------------------------------------------

def test_hours_are_grouped_into_blocks_of_at_least_block_docs_stories():
    counts = {10: 2, 11: 1, 13: 4, 20: 1, 21: 1, UNDATED: 7}
    assert block_of_hours(counts, 3) == {10: 0, 11: 0, 13: 1, 20: 2, 21: 2, UNDATED: UNDATED}
    assert set(block_of_hours(counts, 100).values()) == {0, UNDATED}


def test_each_block_has_the_latest_stories_of_the_block_before_as_context():
    feats = [doc_features(doc(f"d{k}", unit(1, k), hours=float(k))) for k in range(6)]
    feats.append(doc_features(doc("u", unit(0, 1))))
    plan = plan_blocks(feats, replace(EMBEDDING_ONLY, block_docs=2, context_docs=1))
    assert [([d.article_id for d in b], [d.article_id for d in c]) for b, c in plan] == [
        (["u"], []), (["d0", "d1"], []), (["d2", "d3"], ["d1"]), (["d4", "d5"], ["d3"])]


def test_an_event_across_blocks_is_linked_whole():
    same = unit(1, 0)
    docs = [doc(f"s{k}", same, hours=float(k)) for k in range(6)] + [
        doc(f"o{k}", unit(0, 1), hours=float(k) + 0.5) for k in range(6)]
    config = replace(EMBEDDING_ONLY, block_docs=3, gap_penalty=0.0)
    assert clusters(cluster_events(docs, config)) == {
        frozenset(f"s{k}" for k in range(6)), frozenset(f"o{k}" for k in range(6))}


def test_far_apart_clusters_are_compared_only_through_a_shared_rare_name():
    # 10 days apart (beyond near_days), identical embeddings: linked only when they share a name.
    same = unit(1, 0)
    config = replace(EMBEDDING_ONLY, block_docs=1, gap_penalty=0.0, near_days=3.0)
    named = [doc("a", same, "Officers met Delane there.", hours=0),
             doc("b", same, "Officers met Delane again.", hours=240)]
    unnamed = [doc("a", same, "Officers met him there.", hours=0),
               doc("b", same, "Officers met him again.", hours=240)]
    assert len(clusters(cluster_events(named, config))) == 1
    assert len(clusters(cluster_events(unnamed, config))) == 2


def _earlier_event(event_id: str, founder: str, vector: np.ndarray, size: int, hours: float) -> Unit:
    hours += T0.timestamp() / 3600  # hours after T0, like doc()
    dense = vector.astype(np.float64) * size
    return Unit(key=event_id, size=size, dense=dense, sparse=SparseVec.empty(), raw_dense=dense.copy(),
                raw_sparse=SparseVec.empty(), t_min=hours, t_max=hours, founder=(hours, founder),
                names=Counter(), event_id=event_id)


def test_new_stories_join_earlier_events_and_keep_their_id():
    a, b = unit(1, 0), unit(0, 1)
    config = replace(EMBEDDING_ONLY, gap_penalty=0.0)
    block = cluster_block([doc_features(doc("n1", a, hours=30)), doc_features(doc("n2", b, hours=31))],
                          [], config)
    earlier = _earlier_event("evt-old", "x", a, 3, 10.0)
    events = link_units(block.units + [earlier], config)
    by_id = {e.event_id or event_id_for_founder(e.founder[1]): sorted(e.members) for e in events}
    assert by_id == {"evt-old": ["n1"], evt("n2"): ["n2"]}
    joined = next(e for e in events if e.event_id == "evt-old")
    t0 = T0.timestamp() / 3600
    assert (joined.size, joined.t_min - t0, joined.t_max - t0) == (4, 10.0, 30.0)


def test_a_new_story_that_bridges_two_earlier_events_merges_them_into_the_first_founded():
    v = unit(1, 0)
    config = replace(EMBEDDING_ONLY, gap_penalty=0.0)
    block = cluster_block([doc_features(doc("n1", v, hours=30))], [], config)
    first = _earlier_event("evt-first", "f", v, 1, 5.0)
    second = _earlier_event("evt-second", "s", v, 1, 8.0)
    # Never compared on their own (they were apart before), merged through the new story.
    assert len(link_units([first, second], config)) == 2
    (event,) = link_units(block.units + [first, second], config)
    assert (event.event_id, event.size, event.members) == ("evt-first", 3, ["n1"])


# --- properties ------------------------------------------------------------------------------

WORDS = ["quake", "Chile", "Peru", "fire", "Paris", "election", "12", "2019", "coach", "Boston"]


@st.composite
def doc_sets(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    docs = []
    for k in range(n):
        vector = np.array(draw(st.lists(st.integers(-3, 3), min_size=4, max_size=4)), dtype=np.float32)
        if not vector.any():
            vector[k % 4] = 1.0
        words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=6))
        hours = draw(st.one_of(st.none(), st.integers(0, 200)))
        docs.append(doc(f"d{k}", vector / np.linalg.norm(vector), "The " + " ".join(words),
                        None if hours is None else float(hours)))
    return docs


@settings(max_examples=60, deadline=None)
@given(docs=doc_sets(), seed=st.integers(0, 1000), threshold=st.sampled_from([0.3, 0.5, 0.7, 0.9]),
       scale=st.sampled_from([0, 2, 10]), block_docs=st.sampled_from([1, 4, 500]))
def test_output_is_an_order_independent_partition(docs, seed, threshold, scale, block_docs):
    config = EventClusteringConfig(threshold=threshold, scale_neighbours=scale, block_docs=block_docs,
                                   max_time_gap_hours=100.0)
    result = cluster_events(docs, config)
    assert sorted(a.article_id for a in result) == sorted(d.article_id for d in docs)
    assert all(0.0 <= a.similarity <= 1.0 for a in result)
    shuffled = docs[:]
    random.Random(seed).shuffle(shuffled)
    assert cluster_events(shuffled, config) == result
    # No event spans more than max_time_gap_hours.
    when = {d.article_id: d.published_at for d in docs}
    for ids in clusters(result):
        known = [when[i] for i in ids if when[i] is not None]
        if known:
            assert max(known) - min(known) <= timedelta(hours=config.max_time_gap_hours)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scipy_average_link_on_the_full_matrix(seed):
    # The candidate graph + cluster sums must give exactly textbook average link.
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, 6))
    vectors = centres[rng.integers(0, 5, 40)] + 0.7 * rng.normal(size=(40, 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = [doc(f"d{k:02d}", vectors[k].astype(np.float32)) for k in range(40)]
    config = replace(EMBEDDING_ONLY, threshold=0.5)
    mine = clusters(cluster_events(docs, config))
    used = np.stack([d.embedding for d in docs]).astype(np.float64)
    used /= np.linalg.norm(used, axis=1, keepdims=True)
    distance = 1.0 - used @ used.T
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip((distance + distance.T) / 2, 0, None), checks=False), "average")
    labels = fcluster(tree, 1.0 - 0.5, "distance")
    reference: dict[int, set[str]] = {}
    for k, label in enumerate(labels):
        reference.setdefault(int(label), set()).add(f"d{k:02d}")
    assert mine == {frozenset(m) for m in reference.values()}
