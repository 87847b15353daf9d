"""Exact answers of the clustering metrics on tiny literal partitions."""
from __future__ import annotations

import pytest

from evaluation.metrics import (
    PRF,
    adjusted_rand,
    align,
    b_cubed,
    clustering_report,
    pairwise,
)

# Gold: {a, b, c} {d, e}; predicted: {a, b} {c, d, e}.
GOLD = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"}
PRED = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 2}


def test_b_cubed_exact():
    # Precision per item: a,b 2/2; c 1/3; d,e 2/3 -> (1+1+1/3+2/3+2/3)/5 = 11/15.
    # Recall per item: a,b 2/3; c 1/3; d,e 2/2 -> (2/3+2/3+1/3+1+1)/5 = 11/15.
    result = b_cubed(PRED, GOLD)
    assert result.precision == pytest.approx(11 / 15)
    assert result.recall == pytest.approx(11 / 15)
    assert result.f1 == pytest.approx(11 / 15)


def test_pairwise_exact():
    # Predicted pairs: ab, cd, ce, de (4); gold pairs: ab, ac, bc, de (4); shared: ab, de.
    assert pairwise(PRED, GOLD) == PRF(0.5, 0.5, 0.5)


def test_perfect_and_all_singletons():
    assert b_cubed(GOLD, GOLD) == PRF(1.0, 1.0, 1.0)
    singletons = {k: k for k in GOLD}
    result = b_cubed(singletons, GOLD)
    assert result.precision == 1.0
    assert result.recall == pytest.approx((1 / 3 * 3 + 1 / 2 * 2) / 5)
    assert pairwise(singletons, GOLD) == PRF(1.0, 0.0, 0.0)


def test_one_big_cluster():
    together = {k: 0 for k in GOLD}
    result = b_cubed(together, GOLD)
    assert result.recall == 1.0
    assert result.precision == pytest.approx((3 * 3 / 5 + 2 * 2 / 5) / 5)
    assert pairwise(together, GOLD) == PRF(0.4, 1.0, pytest.approx(2 * 0.4 / 1.4))


def test_ari_exact():
    assert adjusted_rand(GOLD, GOLD) == 1.0
    # Same partition under other label names.
    assert adjusted_rand({k: v.upper() for k, v in GOLD.items()}, GOLD) == 1.0
    # Hand value: contingency [[2,1],[0,2]]: index 2, expected 16/10, max 4 -> (2-1.6)/(4-1.6).
    assert adjusted_rand(PRED, GOLD) == pytest.approx(0.4 / 2.4)


def test_lists_and_dicts_agree_and_mismatches_are_rejected():
    keys = sorted(GOLD)
    assert b_cubed([PRED[k] for k in keys], [GOLD[k] for k in keys]) == b_cubed(PRED, GOLD)
    with pytest.raises(ValueError):
        align({"a": 1}, {"b": 1})
    with pytest.raises(ValueError):
        align([1, 2], [1])
    with pytest.raises(TypeError):
        align({"a": 1}, [1])


def test_report_counts_clusters():
    report = clustering_report(PRED, GOLD)
    assert report["n_items"] == 5
    assert report["n_clusters"] == 2
    assert report["n_gold_clusters"] == 2
    assert report["b3_f1"] == pytest.approx(11 / 15)
    assert report["pairwise_f1"] == pytest.approx(0.5)
