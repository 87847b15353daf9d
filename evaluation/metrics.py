"""Clustering quality against gold labels: B-cubed, pairwise, ARI, cluster counts.

Pure functions over two equally long label sequences (predicted, gold) or two dicts keyed by item id.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from sklearn.metrics import adjusted_rand_score

__all__ = ["PRF", "align", "b_cubed", "clustering_report", "pairwise", "adjusted_rand"]


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def align(
    pred: Mapping[Hashable, Hashable] | Sequence[Hashable],
    gold: Mapping[Hashable, Hashable] | Sequence[Hashable],
) -> tuple[list[Hashable], list[Hashable]]:
    """Two label lists in the same item order; dicts must cover the same ids."""
    if isinstance(pred, Mapping) or isinstance(gold, Mapping):
        if not (isinstance(pred, Mapping) and isinstance(gold, Mapping)):
            raise TypeError("pass two dicts or two sequences")
        if set(pred) != set(gold):
            raise ValueError("pred and gold must label the same items")
        keys = sorted(gold, key=repr)
        return [pred[k] for k in keys], [gold[k] for k in keys]
    if len(pred) != len(gold):
        raise ValueError("pred and gold must have the same length")
    return list(pred), list(gold)


def b_cubed(pred, gold) -> PRF:
    """B-cubed (Bagga & Baldwin 1998): per item, share of its predicted cluster that shares its gold
    label (precision) and share of its gold cluster that shares its predicted cluster (recall),
    averaged over items."""
    p, g = align(pred, gold)
    if not p:
        return PRF(0.0, 0.0, 0.0)
    joint = Counter(zip(p, g))
    pred_size, gold_size = Counter(p), Counter(g)
    precision = sum(c * c / pred_size[pl] for (pl, _), c in joint.items()) / len(p)
    recall = sum(c * c / gold_size[gl] for (_, gl), c in joint.items()) / len(p)
    return PRF(precision, recall, _f1(precision, recall))


def pairwise(pred, gold) -> PRF:
    """Precision/recall over unordered item pairs put together; 1.0 where no pair exists on a side."""
    p, g = align(pred, gold)
    pairs = lambda sizes: sum(c * (c - 1) // 2 for c in sizes.values())  # noqa: E731
    together = pairs(Counter(zip(p, g)))
    in_pred, in_gold = pairs(Counter(p)), pairs(Counter(g))
    precision = together / in_pred if in_pred else 1.0
    recall = together / in_gold if in_gold else 1.0
    return PRF(precision, recall, _f1(precision, recall))


def adjusted_rand(pred, gold) -> float:
    p, g = align(pred, gold)
    return float(adjusted_rand_score(g, p))


def clustering_report(pred, gold) -> dict[str, float | int]:
    """All figures the project reports, as one flat dict."""
    p, g = align(pred, gold)
    b3, pw = b_cubed(p, g), pairwise(p, g)
    return {
        "n_items": len(p),
        "b3_precision": b3.precision,
        "b3_recall": b3.recall,
        "b3_f1": b3.f1,
        "pairwise_precision": pw.precision,
        "pairwise_recall": pw.recall,
        "pairwise_f1": pw.f1,
        "ari": adjusted_rand(p, g),
        "n_clusters": len(set(p)),
        "n_gold_clusters": len(set(g)),
    }
