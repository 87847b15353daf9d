"""Unit tests of the pure event clustering, with small hand-made embeddings."""
from __future__ import annotations

import math
import random
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

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
# Embedding only, no local scaling, no short-text rule: similarities are exactly the cosines
# written in each test.
EMBEDDING_ONLY = EventClusteringConfig(
    threshold=0.6, lexical_weight=0.0, names_weight=0.0, scale_neighbours=0, full_text_words=0
)


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def doc(article_id: str, embedding: np.ndarray, text: str = "", hours: float | None = None,
        title: str | None = None) -> EventDoc:
    when = None if hours is None else T0 + timedelta(hours=hours)
    return EventDoc(article_id, embedding, title, text, when)


def clusters(assignments: list[EventAssignment]) -> set[frozenset[str]]:
    by_key: dict[str, set[str]] = {}
    for a in assignments:
        by_key.setdefault(a.cluster_key, set()).add(a.article_id)
    return {frozenset(m) for m in by_key.values()}


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"threshold": 0.0}, {"threshold": 6.0}, {"max_time_gap_hours": 0}, {"embedding_weight": -1.0},
    {"embedding_weight": 0.0, "lexical_weight": 0.0, "names_weight": 0.0},
    {"max_neighbours": 0}, {"block_size": 0}, {"scale_neighbours": -1}, {"min_scale": 0.0},
    {"full_text_words": -1}, {"short_threshold": 0.0}, {"short_threshold": 6.0},
])
def test_config_rejects_invalid_values(kwargs):
    with pytest.raises(ValueError):
        EventClusteringConfig(**kwargs)


def test_config_normalises_weights():
    config = EventClusteringConfig(embedding_weight=1.0, lexical_weight=1.0, names_weight=2.0)
    assert config.normalised_weights == (0.25, 0.25, 0.5)


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


# --- clustering ------------------------------------------------------------------------------

def test_empty_input_gives_empty_output():
    assert cluster_events([], EventClusteringConfig()) == []


def test_single_doc_is_its_own_cluster_with_similarity_one():
    assert cluster_events([doc("a", unit(1, 0))], EMBEDDING_ONLY) == [EventAssignment("a", "a", 1.0)]


def test_exact_clusters_and_similarities():
    docs = [
        doc("b", unit(1, 0, 0)), doc("a", unit(1, 0.1, 0)), doc("c", unit(0, 1, 0)),
        doc("d", unit(0, 1, 0.2)), doc("e", unit(0, 0, 1)),
    ]
    result = cluster_events(docs, EMBEDDING_ONLY)
    assert [a.article_id for a in result] == ["a", "b", "c", "d", "e"]
    assert [a.cluster_key for a in result] == ["a", "a", "c", "c", "e"]
    ab = float(unit(1, 0.1, 0) @ unit(1, 0, 0))
    cd = float(unit(0, 1, 0) @ unit(0, 1, 0.2))
    assert [a.similarity for a in result] == pytest.approx([ab, ab, cd, cd, 1.0], abs=1e-6)


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


def test_time_gap_keeps_distant_stories_apart():
    same = unit(1, 0)
    docs = [doc("a", same, hours=0), doc("b", same, hours=10), doc("c", same, hours=200)]
    assert clusters(cluster_events(docs, EMBEDDING_ONLY)) == {frozenset("ab"), frozenset("c")}


def test_time_gap_bounds_the_span_of_a_cluster_not_just_its_pairs():
    same = unit(1, 0)
    docs = [doc("a", same, hours=0), doc("b", same, hours=50), doc("c", same, hours=100)]
    assert clusters(cluster_events(docs, EMBEDDING_ONLY)) == {frozenset("ab"), frozenset("c")}


def test_unknown_time_merges_with_any_time():
    same = unit(1, 0)
    docs = [doc("a", same, hours=0), doc("b", same, hours=None), doc("c", same, hours=60)]
    assert clusters(cluster_events(docs, EMBEDDING_ONLY)) == {frozenset("abc")}


def test_names_tell_look_alike_events_apart():
    # One topic (same embedding, same topic words), two events told apart only by names/numbers.
    same = unit(1, 0)
    chile = "A strong earthquake struck near Valparaiso in Chile, killing 12 people, officials said."
    peru = "A strong earthquake struck near Arequipa in Peru, killing 40 people, officials said."
    docs = [doc("c1", same, chile), doc("c2", same, chile + " Rescuers from Santiago helped."),
            doc("p1", same, peru), doc("p2", same, peru + " Rescuers from Lima helped.")]
    config = EventClusteringConfig(threshold=0.75, scale_neighbours=0, full_text_words=0)
    assert clusters(cluster_events(docs, config)) == {frozenset({"c1", "c2"}), frozenset({"p1", "p2"})}


def test_local_scaling_makes_the_threshold_relative_to_each_storys_neighbours():
    # Raw cosines of 0.5 within each pair and 0.1 across: too low for threshold 0.7 unscaled,
    # but each story's best neighbour sets its scale, so each pair is its own event.
    theta = math.acos(0.5)
    a, b = unit(1, 0, 0, 0), unit(math.cos(theta), math.sin(theta), 0, 0)
    c = unit(0.1, 0, 1, 0)
    d = unit(0.1, 0, 0.5, math.sqrt(0.74))
    docs = [doc("a", a), doc("b", b), doc("c", c), doc("d", d)]
    raw = EventClusteringConfig(threshold=0.7, lexical_weight=0, names_weight=0, scale_neighbours=0,
                                full_text_words=0)
    scaled = EventClusteringConfig(threshold=0.7, lexical_weight=0, names_weight=0, scale_neighbours=1,
                                   full_text_words=0)
    assert len(clusters(cluster_events(docs, raw))) == 4
    assert clusters(cluster_events(docs, scaled)) == {frozenset("ab"), frozenset("cd")}


# --- short texts ---------------------------------------------------------------------------------

RAW_EMBEDDING = {"lexical_weight": 0.0, "names_weight": 0.0, "scale_neighbours": 0}


def test_short_texts_are_held_to_a_lower_threshold_interpolated_on_their_length():
    # Raw cosine 0.5 < threshold 0.7. Two 5-word headlines: share 5/50 = 0.1, own threshold
    # 0.25 + 0.45 * 0.1 = 0.295, so the pair is held to 0.295 and merges; reported similarity is
    # on the threshold's scale: 0.5 * 0.7 / 0.295.
    theta = math.acos(0.5)
    a, b = unit(1, 0), unit(math.cos(theta), math.sin(theta))
    headline = "quake strikes near coastal town"
    docs = [doc("a", a, headline), doc("b", b, headline)]
    result = cluster_events(docs, EventClusteringConfig(threshold=0.7, **RAW_EMBEDDING))
    assert clusters(result) == {frozenset("ab")}
    assert [r.similarity for r in result] == pytest.approx([0.5 * 0.7 / 0.295] * 2, abs=1e-6)
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
    config = EventClusteringConfig(threshold=0.5, scale_neighbours=0, short_threshold=0.5)
    short = [doc("a", a, "alpha beta gamma 1234"), doc("b", b, "delta epsilon zeta 1234")]
    assert len(clusters(cluster_events(short, config))) == 2
    off = EventClusteringConfig(threshold=0.5, scale_neighbours=0, full_text_words=0)
    assert clusters(cluster_events(short, off)) == {frozenset("ab")}


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError):
        cluster_events([doc("a", unit(1, 0)), doc("a", unit(0, 1))], EMBEDDING_ONLY)


def test_naive_datetimes_are_rejected():
    naive = EventDoc("a", unit(1, 0), None, "", datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        cluster_events([naive], EMBEDDING_ONLY)


def test_result_does_not_depend_on_input_order_or_block_size():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 8))
    docs = [
        doc(f"id{k:02d}", (centres[k % 4] + 0.4 * rng.normal(size=8)).astype(np.float32)
            / 1.0, text=f"Story about Topic{k % 4} in City{k % 4} number {k % 4}", hours=float(k))
        for k in range(24)
    ]
    docs = [EventDoc(d.article_id, d.embedding / np.linalg.norm(d.embedding), d.title, d.text,
                     d.published_at) for d in docs]
    shuffled = docs[:]
    random.Random(3).shuffle(shuffled)
    # Defaults (8-word texts: the short-text rule applies) and the rule off (4 clean topics).
    for base in (EventClusteringConfig(), EventClusteringConfig(full_text_words=0)):
        expected = cluster_events(docs, base)
        assert cluster_events(shuffled, base) == expected
        assert cluster_events(docs, replace(base, block_size=5)) == expected
    assert len(clusters(expected)) == 4


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
@given(docs=doc_sets(), seed=st.integers(0, 1000),
       threshold=st.sampled_from([0.3, 0.5, 0.7, 0.9]), scale=st.sampled_from([0, 2, 10]))
def test_output_is_an_order_independent_partition(docs, seed, threshold, scale):
    config = EventClusteringConfig(threshold=threshold, scale_neighbours=scale)
    result = cluster_events(docs, config)
    assert sorted(a.article_id for a in result) == sorted(d.article_id for d in docs)
    members: dict[str, list[str]] = {}
    for a in result:
        members.setdefault(a.cluster_key, []).append(a.article_id)
    assert all(key == min(ids) for key, ids in members.items())
    shuffled = docs[:]
    random.Random(seed).shuffle(shuffled)
    assert cluster_events(shuffled, config) == result
    # No cluster spans more than the time gap.
    when = {d.article_id: d.published_at for d in docs}
    for ids in members.values():
        known = [when[i] for i in ids if when[i] is not None]
        if known:
            assert max(known) - min(known) <= timedelta(hours=config.max_time_gap_hours)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scipy_average_link_on_the_full_matrix(seed):
    # The sparse candidate graph + cluster sums must give exactly textbook average link.
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, 6))
    vectors = centres[rng.integers(0, 5, 40)] + 0.7 * rng.normal(size=(40, 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = [doc(f"d{k:02d}", vectors[k].astype(np.float32)) for k in range(40)]
    config = EventClusteringConfig(threshold=0.5, lexical_weight=0, names_weight=0, scale_neighbours=0,
                                   full_text_words=0)
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
