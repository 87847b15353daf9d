"""Unit and property tests of the pure near-duplicate functions (transforms/minhash.py)."""
from __future__ import annotations

import hashlib
import random
import re

import numpy as np
import pytest
import xxhash
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.minhash import (
    DupAssignment,
    NearDupConfig,
    PairScore,
    band_keys,
    bucket_pairs,
    dup_group_id,
    group_duplicates,
    shingles,
    signature,
    to_datasketch,
    verify_pair,
)

CONFIG = NearDupConfig()


def _h(gram: str) -> np.uint64:
    return np.uint64(xxhash.xxh3_64_intdigest(gram.encode("utf-8")))


def _dup(a: str, b: str, jaccard: float = 0.9, containment: float = 0.95) -> PairScore:
    return PairScore(a, b, jaccard, containment, True)


def _not_dup(a: str, b: str) -> PairScore:
    return PairScore(a, b, 0.3, 0.4, False)


# --- NearDupConfig -----------------------------------------------------------------------------------


def test_default_config_values_and_derived_bands():
    assert (CONFIG.threshold, CONFIG.num_perm, CONFIG.shingle_size, CONFIG.seed) == (0.7, 128, 5, 1)
    assert (CONFIG.containment_threshold, CONFIG.containment_min_shingles) == (0.7, 20)  # evaluation/neardup_tuning.py
    # Containment on: bands tuned for Jaccard 0.4 with FP/FN weights 0.3/0.7.
    assert (CONFIG.candidate_threshold, CONFIG.bands, CONFIG.rows) == (0.4, 32, 4)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(threshold=0.7, containment_threshold=None), (0.7, 16, 8)),
        (dict(threshold=0.5, containment_threshold=None), (0.5, 25, 5)),
        (dict(threshold=0.8, containment_threshold=None), (0.8, 11, 11)),
        (dict(candidate_threshold=0.3), (0.3, 42, 3)),
        (dict(candidate_threshold=0.5), (0.5, 25, 5)),
    ],
)
def test_band_derivation_for_given_thresholds(kwargs, expected):
    config = NearDupConfig(**kwargs)
    assert (config.candidate_threshold, config.bands, config.rows) == expected
    assert config.bands * config.rows <= config.num_perm


def test_equal_weights_reproduce_datasketch_minhashlsh_parameters():
    config = NearDupConfig(
        threshold=0.7, containment_threshold=None, false_positive_weight=0.5, false_negative_weight=0.5
    )
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    assert (config.bands, config.rows) == (lsh.b, lsh.r) == (14, 9)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(threshold=0.0),
        dict(threshold=1.2),
        dict(num_perm=1),
        dict(shingle_size=0),
        dict(seed=-1),
        dict(max_bucket_size=1),
        dict(containment_threshold=0.0),
        dict(containment_min_shingles=0),
        dict(candidate_threshold=1.5),
        dict(false_positive_weight=0.6, false_negative_weight=0.6),
    ],
)
def test_config_rejects_invalid_values(kwargs):
    with pytest.raises(ValueError):
        NearDupConfig(**kwargs)


def test_config_is_frozen_and_derived_fields_are_not_arguments():
    with pytest.raises(AttributeError):
        CONFIG.threshold = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        NearDupConfig(bands=4)  # type: ignore[call-arg]


# --- shingles ----------------------------------------------------------------------------------------


def test_shingles_are_sorted_unique_hashes_of_lowercase_word_ngrams():
    result = shingles("The cat sat. The cat sat!", 3)
    expected = np.unique(np.array([_h("the cat sat"), _h("cat sat the"), _h("sat the cat")], dtype=np.uint64))
    assert result.dtype == np.uint64
    np.testing.assert_array_equal(result, expected)


def test_shingles_ignore_case_punctuation_and_spacing():
    np.testing.assert_array_equal(
        shingles("We’d buy a game,  then   REPEAT.", 2), shingles("we'd buy a game then repeat", 2)
    )


def test_short_text_gives_one_shingle_of_all_words_and_empty_text_none():
    np.testing.assert_array_equal(shingles("Breaking: news", 5), np.array([_h("breaking news")], dtype=np.uint64))
    np.testing.assert_array_equal(shingles("one two three four five", 5), [_h("one two three four five")])
    assert shingles("", 5).size == 0
    assert shingles(" -- !! ", 5).size == 0


# --- signature and band keys -------------------------------------------------------------------------


def test_signature_is_the_datasketch_minhash_of_the_shingle_hashes():
    hashes = shingles("a b c d e f g h i j k l", 3)
    reference = MinHash(num_perm=128, seed=1, hashfunc=lambda v: v, scheme="affine64")
    reference.update_batch([int(v) for v in hashes])
    sig = signature(hashes, CONFIG)
    assert sig.dtype == np.uint64 and sig.shape == (128,)
    np.testing.assert_array_equal(sig, reference.hashvalues)
    assert to_datasketch(sig, CONFIG).jaccard(reference) == 1.0


def test_signature_of_empty_set_is_empty_and_has_no_band_keys():
    sig = signature(np.empty(0, dtype=np.uint64), CONFIG)
    assert np.all(sig == np.iinfo(np.uint64).max)
    assert band_keys(sig, CONFIG) == []


def test_band_keys_one_per_band_with_band_index_prefix():
    sig = signature(shingles("one two three four five six seven", 2), CONFIG)
    keys = band_keys(sig, CONFIG)
    assert len(keys) == CONFIG.bands == 32
    assert [int.from_bytes(k[:2], "big") for k in keys] == list(range(32))
    assert all(len(k) == 18 for k in keys)
    assert band_keys(sig.copy(), CONFIG) == keys


def test_band_keys_differ_only_in_the_band_whose_rows_differ():
    sig = signature(shingles("one two three four five six seven", 2), CONFIG)
    changed = sig.copy()
    changed[CONFIG.rows * 3] ^= np.uint64(1)  # first row of band 3
    keys, changed_keys = band_keys(sig, CONFIG), band_keys(changed, CONFIG)
    assert [i for i, (k, c) in enumerate(zip(keys, changed_keys)) if k != c] == [3]


def test_identical_band_values_in_different_bands_give_different_keys():
    sig = np.zeros(128, dtype=np.uint64)
    keys = band_keys(sig, CONFIG)
    assert len(set(keys)) == CONFIG.bands


def test_band_keys_reject_wrong_signature_length():
    with pytest.raises(ValueError):
        band_keys(np.zeros(64, dtype=np.uint64), CONFIG)


# --- bucket_pairs ------------------------------------------------------------------------------------


def test_bucket_pairs_are_sorted_ordered_and_deduplicated():
    assert bucket_pairs(["c", "a", "b", "a"], 200) == ([("a", "b"), ("a", "c"), ("b", "c")], False)
    assert bucket_pairs(["a"], 200) == ([], False)
    assert bucket_pairs([], 200) == ([], False)


def test_oversized_bucket_pairs_each_member_only_with_the_first_ids():
    pairs, capped = bucket_pairs(["e", "d", "c", "b", "a"], 2)
    assert capped is True
    assert pairs == [("a", "b"), ("a", "c"), ("a", "d"), ("a", "e"), ("b", "c"), ("b", "d"), ("b", "e")]
    assert bucket_pairs(["b", "a"], 2) == ([("a", "b")], False)


# --- verify_pair -------------------------------------------------------------------------------------


def test_verify_pair_exact_jaccard_and_containment():
    a = np.arange(0, 10, dtype=np.uint64)  # 10 shingles
    b = np.arange(5, 20, dtype=np.uint64)  # 15 shingles, 5 in common
    assert verify_pair("x", a, "y", b, CONFIG) == PairScore("x", "y", 0.25, 0.5, False)


def test_verify_pair_orders_ids_and_is_symmetric():
    a = np.arange(0, 10, dtype=np.uint64)
    b = np.arange(1, 11, dtype=np.uint64)
    score = verify_pair("z", a, "m", b, CONFIG)
    assert (score.a, score.b) == ("m", "z")
    assert score == verify_pair("m", b, "z", a, CONFIG)
    assert score.jaccard == pytest.approx(9 / 11) and score.is_duplicate


def test_trimmed_reprint_is_a_copy_by_containment_only():
    page = np.arange(0, 100, dtype=np.uint64)
    reprint = np.arange(0, 40, dtype=np.uint64)  # the first 40 % of the page, nothing else
    score = verify_pair("page", page, "reprint", reprint, CONFIG)
    assert (score.jaccard, score.containment, score.is_duplicate) == (0.4, 1.0, True)
    off = NearDupConfig(containment_threshold=None)
    assert verify_pair("page", page, "reprint", reprint, off).is_duplicate is False


def test_containment_needs_enough_shingles_in_the_smaller_text():
    page = np.arange(0, 100, dtype=np.uint64)
    quote = np.arange(0, 19, dtype=np.uint64)  # one shared 23-word quote: 19 shingles
    assert verify_pair("page", page, "quote", quote, CONFIG).is_duplicate is False
    assert verify_pair("page", page, "quote", np.arange(0, 20, dtype=np.uint64), CONFIG).is_duplicate is True


def test_verify_pair_thresholds_are_inclusive():
    a = np.arange(0, 10, dtype=np.uint64)
    b = np.arange(3, 10, dtype=np.uint64)  # J = 0.7, containment 1.0 but only 7 shingles
    score = verify_pair("a", a, "b", b, CONFIG)
    assert (score.jaccard, score.is_duplicate) == (0.7, True)


def test_empty_texts_are_never_copies():
    empty = np.empty(0, dtype=np.uint64)
    assert verify_pair("a", empty, "b", empty, CONFIG) == PairScore("a", "b", 0.0, 0.0, False)
    assert verify_pair("a", np.arange(3, dtype=np.uint64), "b", empty, CONFIG).is_duplicate is False


def test_verify_pair_rejects_self_pair():
    with pytest.raises(ValueError):
        verify_pair("a", np.arange(3, dtype=np.uint64), "a", np.arange(3, dtype=np.uint64), CONFIG)


# --- group_duplicates --------------------------------------------------------------------------------


def _groups(assignments: list[DupAssignment]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for x in assignments:
        members.setdefault(x.dup_group_id, set()).add(x.article_id)
    return {frozenset(m) for m in members.values()}


def test_no_chaining_through_a_member():
    # A~B, B~C, A!~C; B has the most copies, so B anchors and takes both.
    verified = [_dup("A", "B"), _dup("B", "C"), _not_dup("A", "C")]
    assert _groups(group_duplicates("ABC", verified)) == {frozenset("ABC")}
    # By id alone A anchors: B joins A; C is near B only, so it stays out.
    result = group_duplicates("ABC", verified, prefer_most_duplicates=False)
    assert result == [
        DupAssignment("A", dup_group_id("A"), "A", 1.0, True, 1.0),
        DupAssignment("B", dup_group_id("A"), "A", 0.9, False, 0.95),
        DupAssignment("C", dup_group_id("C"), "C", 1.0, True, 1.0),
    ]


def test_priority_decides_the_anchor_before_copy_count():
    verified = [_dup("A", "B"), _dup("B", "C")]
    priority = {"A": (2,), "B": (3,), "C": (1,)}
    assert _groups(group_duplicates("ABC", verified, priority)) == {frozenset("BC"), frozenset("A")}
    anchors = {x.article_id: x.anchor_id for x in group_duplicates("ABC", verified, priority)}
    assert anchors == {"A": "A", "B": "C", "C": "C"}


def test_priority_must_cover_every_id():
    with pytest.raises(ValueError):
        group_duplicates("AB", [_dup("A", "B")], {"A": (1,)})


def test_pairs_with_unknown_ids_are_rejected():
    with pytest.raises(ValueError):
        group_duplicates("AB", [_dup("A", "Z")])


def test_singletons_non_duplicates_and_repeated_pairs():
    verified = [_dup("A", "B"), _dup("A", "B"), _not_dup("C", "D")]
    result = group_duplicates(["D", "C", "B", "A"], verified)
    assert _groups(result) == {frozenset("AB"), frozenset("C"), frozenset("D")}
    assert [x.article_id for x in result] == ["A", "B", "C", "D"]
    assert group_duplicates([], []) == []


def test_dup_group_id_is_stable():
    assert dup_group_id("article-1") == "dup-" + hashlib.sha1(b"article-1").hexdigest()[:16]
    assert len(dup_group_id("x")) == 20


# --- properties --------------------------------------------------------------------------------------


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    common=st.integers(min_value=0, max_value=300),
    only_a=st.integers(min_value=0, max_value=300),
    only_b=st.integers(min_value=0, max_value=300),
)
def test_minhash_estimate_is_within_0_15_of_true_jaccard(common, only_a, only_b):
    if common + only_a == 0 or common + only_b == 0:
        return
    words_a = [f"c{i}" for i in range(common)] + [f"a{i}" for i in range(only_a)]
    words_b = [f"c{i}" for i in range(common)] + [f"b{i}" for i in range(only_b)]
    a, b = shingles(" ".join(words_a), 1), shingles(" ".join(words_b), 1)
    true_jaccard = common / (common + only_a + only_b)
    estimate = float(np.mean(signature(a, CONFIG) == signature(b, CONFIG)))
    # Standard error at 128 permutations is at most 0.044; 0.15 is > 3 standard errors.
    assert abs(estimate - true_jaccard) <= 0.15
    assert verify_pair("a", a, "b", b, CONFIG).jaccard == pytest.approx(true_jaccard)


_ID = st.sampled_from([f"n{i}" for i in range(12)])


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    ids=st.sets(_ID, min_size=1),
    edges=st.lists(st.tuples(_ID, _ID, st.booleans()), max_size=40),
    use_priority=st.booleans(),
    shuffle_seed=st.integers(min_value=0, max_value=2**16),
)
def test_grouping_is_an_order_independent_anchor_partition(ids, edges, use_priority, shuffle_seed):
    ids = sorted(ids)
    verified = [
        PairScore(min(a, b), max(a, b), 0.8 if d else 0.2, 0.9 if d else 0.3, d)
        for a, b, d in edges
        if a != b and a in ids and b in ids
    ]
    priority = {i: (len(i) % 2, i[::-1]) for i in ids} if use_priority else None
    result = group_duplicates(ids, verified, priority)

    # A partition of exactly the input ids.
    assert sorted(x.article_id for x in result) == ids
    by_id = {x.article_id: x for x in result}
    duplicate_edges = {frozenset((s.a, s.b)) for s in verified if s.is_duplicate}
    anchors = {x.anchor_id for x in result}
    for x in result:
        assert by_id[x.anchor_id].is_anchor and x.dup_group_id == dup_group_id(x.anchor_id)
        # Every member is a verified copy of its own anchor (no chaining).
        assert x.is_anchor == (x.article_id == x.anchor_id)
        if not x.is_anchor:
            assert frozenset((x.article_id, x.anchor_id)) in duplicate_edges
    # Anchors are never copies of each other.
    assert not any(frozenset((a, b)) in duplicate_edges for a in anchors for b in anchors if a < b)

    # Independent of the order of ids and pairs.
    rng = random.Random(shuffle_seed)
    shuffled_ids, shuffled_pairs = ids[:], verified[:]
    rng.shuffle(shuffled_ids)
    rng.shuffle(shuffled_pairs)
    assert group_duplicates(iter(shuffled_ids), iter(shuffled_pairs), priority) == result


# --- the fast paths equal their definitions ----------------------------------------------------------


def _reference_shingles(text: str, size: int) -> np.ndarray:
    # The definition, written the slow and obvious way: \w+ words of the lowercased text, space-joined.
    words = re.findall(r"\w+", text.lower())
    if not words:
        return np.empty(0, dtype=np.uint64)
    grams = [" ".join(words)] if len(words) <= size else [
        " ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
    return np.unique(np.array([_h(g) for g in grams], dtype=np.uint64))


def _reference_signature(hashes: np.ndarray) -> np.ndarray:
    reference = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, hashfunc=lambda v: v, scheme="affine64")
    if len(hashes):
        reference.update_batch([int(v) for v in hashes])
    return reference.hashvalues


@pytest.mark.parametrize("text", [
    "Café déjà-vu: naïve\u00a0façade — İstanbul STRASSE straße ǅemal",  # accents, NBSP, dash, case folds
    "日本語のテキスト, 中文 text and ١٢٣ digits_with_underscores",
    "tab\tseparated\nlines\r\nand\x0bvertical\x0cfeed \x1f unit-sep",
    "a", "a b c d e", "a b c d e f", "", " -- !! — ",
])
def test_shingles_equal_the_regex_definition_on_awkward_text(text):
    for compiled in (True, False):
        np.testing.assert_array_equal(shingles(text, 5, compiled), _reference_shingles(text, 5))
        np.testing.assert_array_equal(shingles(text, 2, compiled), _reference_shingles(text, 2))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
       size=st.integers(min_value=1, max_value=6))
def test_shingles_equal_the_regex_definition(text, size):
    expected = _reference_shingles(text, size)
    np.testing.assert_array_equal(shingles(text, size, compiled=True), expected)
    np.testing.assert_array_equal(shingles(text, size, compiled=False), expected)


def test_long_grams_are_hashed_by_the_library():
    # A 5-gram of 300 bytes is past the compiled XXH3 paths (<= 240 bytes): the xxhash package takes it.
    text = " ".join(["a" * 60, "b" * 60, "c" * 60, "d" * 60, "e" * 56, "f"])
    np.testing.assert_array_equal(shingles(text, 5, compiled=True), _reference_shingles(text, 5))


def test_compiled_xxh3_equals_the_library_on_every_short_length():
    from transforms.shingle_hashing import _SECRET, xxh3_64

    rng = random.Random(5)
    for length in range(1, 241):
        for _ in range(8):
            data = bytes(rng.randrange(256) for _ in range(length + 3))
            start = rng.randrange(4)
            got = int(xxh3_64(np.frombuffer(data, dtype=np.uint8), start, length, _SECRET))
            assert got == xxhash.xxh3_64_intdigest(data[start : start + length]), length


@settings(derandomize=True, max_examples=100, deadline=None)
@given(hashes=st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=2500))
def test_compiled_and_numpy_signatures_equal_datasketch(hashes):
    values = np.unique(np.array(hashes, dtype=np.uint64))
    expected = _reference_signature(values)
    np.testing.assert_array_equal(signature(values, CONFIG, compiled=True), expected)
    np.testing.assert_array_equal(signature(values, CONFIG, compiled=False), expected)


def test_signature_of_long_article_spans_several_numpy_chunks():
    values = np.unique(np.random.default_rng(3).integers(0, 2**63, 5000, dtype=np.uint64))
    expected = _reference_signature(values)
    np.testing.assert_array_equal(signature(values, CONFIG, compiled=False), expected)
    np.testing.assert_array_equal(signature(values, CONFIG), expected)


def test_component_roots_are_the_smallest_id_of_each_component():
    from transforms.minhash import component_roots

    pairs = [("e", "f"), ("b", "c"), ("c", "d"), ("a", "d"), ("x", "y")]
    assert component_roots(pairs) == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "e", "f": "e",
                                      "x": "x", "y": "x"}
    assert component_roots([]) == {}
