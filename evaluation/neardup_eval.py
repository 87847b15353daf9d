"""Quality of near-duplicate grouping against labelled data, for storybeam and its peers.

Beam-free. A *grouping* maps every article id to a group id; a grouping function takes the records
(mappings with at least ``id`` and ``text``) and returns one, so the Beam stage can be plugged in later
(``evaluate(records, lambda rs: run_the_pipeline_and_read_groups(rs))``).

Peers computed on the same input:
- exact hashing: sha1 of ``normalize_text(text)``;
- datasketch ``MinHashLSH`` at a threshold + connected components of the query results, *without*
  exact verification (the classic "MinHash dedup" recipe), on the same signatures storybeam uses.

Run ``python -m evaluation.neardup_eval`` to print the comparison on the shared labelled sets.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from datasketch import MinHashLSH

from evaluation.labelled_data import read_jsonl
from transforms.minhash import (
    NearDupConfig,
    band_keys,
    bucket_pairs,
    group_duplicates,
    shingles,
    signature,
    to_datasketch,
    verify_pair,
)
from transforms.normalization import normalize_text

Record = Mapping[str, object]
Grouping = Mapping[str, str]
GroupingFn = Callable[[Sequence[Record]], Grouping]

ZYTE_VARIANTS = Path("eval/neardup/zyte_extractor_variants.jsonl")
ECBPLUS = Path("eval/events/ecbplus_topics_1-35.jsonl")


def shared_dir() -> Path:
    """``$STORYBEAM_SHARED`` or the ``shared`` folder beside the repository."""
    env = os.environ.get("STORYBEAM_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


# --- metrics -----------------------------------------------------------------------------------------


def pairwise_scores(groups: Grouping, labels: Mapping[str, str]) -> dict:
    """Pairwise precision / recall / F1 over unordered pairs of articles, and the false merges.

    A pair is predicted when both articles share a group and true when they share a label;
    ``false_merges`` counts predicted pairs whose labels differ.
    """
    _check_same_ids(groups, labels)
    cells = Counter((groups[i], labels[i]) for i in labels)
    true_positive = sum(_pairs(n) for n in cells.values())
    predicted = sum(_pairs(n) for n in Counter(groups.values()).values())
    gold = sum(_pairs(n) for n in Counter(labels.values()).values())
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / gold if gold else 1.0
    return {
        "pair_precision": precision,
        "pair_recall": recall,
        "pair_f1": _f1(precision, recall),
        "predicted_pairs": predicted,
        "gold_pairs": gold,
        "true_pairs": true_positive,
        "false_merges": predicted - true_positive,
    }


def bcubed_scores(groups: Grouping, labels: Mapping[str, str]) -> dict:
    """B-cubed precision / recall / F1 (Bagga & Baldwin), averaged over articles."""
    _check_same_ids(groups, labels)
    cells = Counter((groups[i], labels[i]) for i in labels)
    group_sizes = Counter(groups.values())
    label_sizes = Counter(labels.values())
    n = len(labels)
    if n == 0:
        return {"bcubed_precision": 1.0, "bcubed_recall": 1.0, "bcubed_f1": 1.0}
    # Each of the `count` articles in a cell has `count` same-label articles in its group.
    precision = sum(count * count / group_sizes[g] for (g, _), count in cells.items()) / n
    recall = sum(count * count / label_sizes[lab] for (_, lab), count in cells.items()) / n
    return {"bcubed_precision": precision, "bcubed_recall": recall, "bcubed_f1": _f1(precision, recall)}


def grouping_scores(groups: Grouping, labels: Mapping[str, str]) -> dict:
    """Pairwise and B-cubed scores plus group counts."""
    sizes = Counter(groups.values())
    return {
        **pairwise_scores(groups, labels),
        **bcubed_scores(groups, labels),
        "groups": len(sizes),
        "groups_of_2_or_more": sum(1 for n in sizes.values() if n > 1),
        "largest_group": max(sizes.values(), default=0),
        "labels": len(set(labels.values())),
    }


def evaluate(records: Sequence[Record], grouping_fn: GroupingFn, label_key: str = "label") -> dict:
    """Score ``grouping_fn(records)`` against ``record[label_key]``; adds the wall time in seconds."""
    labels = {str(r["id"]): str(r[label_key]) for r in records}
    start = time.perf_counter()
    groups = grouping_fn(records)
    seconds = time.perf_counter() - start
    return {**grouping_scores(groups, labels), "seconds": seconds}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _check_same_ids(groups: Grouping, labels: Mapping[str, str]) -> None:
    if set(groups) != set(labels):
        raise ValueError(f"grouping covers {len(groups)} ids, labels {len(labels)}; they must be the same ids")


# --- storybeam, through the pure API -----------------------------------------------------------------


def storybeam_run(
    records: Sequence[Record],
    config: NearDupConfig | None = None,
    priority_rule: str = "none",
    prefer_most_duplicates: bool = True,
) -> dict:
    """The whole near-duplicate stage via ``transforms.minhash``, no Beam; returns groups and counts.

    ``priority_rule``: ``"none"`` (no priority: most verified copies first, then smallest id, the
    default the golden test pins), ``"longest"`` (most shingles first) or ``"shortest"``;
    ``prefer_most_duplicates`` is passed on to ``group_duplicates``.
    """
    config = config or NearDupConfig()
    ids = [str(r["id"]) for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("article ids must be unique")
    shingle_sets = {i: shingles(str(r["text"]), config.shingle_size) for i, r in zip(ids, records)}
    buckets: dict[bytes, list[str]] = defaultdict(list)
    for article_id, shingle_hashes in shingle_sets.items():
        for key in band_keys(signature(shingle_hashes, config), config):
            buckets[key].append(article_id)
    candidates: set[tuple[str, str]] = set()
    capped_buckets = 0
    for members in buckets.values():
        if len(members) > 1:
            pairs, capped = bucket_pairs(members, config.max_bucket_size)
            candidates.update(pairs)
            capped_buckets += capped
    verified = [verify_pair(a, shingle_sets[a], b, shingle_sets[b], config) for a, b in sorted(candidates)]
    priority = _priority(priority_rule, shingle_sets)
    assignments = group_duplicates(ids, verified, priority, prefer_most_duplicates)
    return {
        "groups": {x.article_id: x.dup_group_id for x in assignments},
        "assignments": assignments,
        "verified": verified,
        "candidate_pairs": len(candidates),
        "duplicate_pairs": sum(score.is_duplicate for score in verified),
        "capped_buckets": capped_buckets,
    }


def _priority(rule: str, shingle_sets: Mapping[str, np.ndarray]) -> dict | None:
    if rule == "none":
        return None
    if rule == "longest":
        return {i: (-len(s),) for i, s in shingle_sets.items()}
    if rule == "shortest":
        return {i: (len(s),) for i, s in shingle_sets.items()}
    raise ValueError(f"unknown priority rule {rule!r}")


def storybeam_grouping(config: NearDupConfig | None = None, priority_rule: str = "none") -> GroupingFn:
    return lambda records: storybeam_run(records, config, priority_rule)["groups"]


# --- peers -------------------------------------------------------------------------------------------


def exact_hash_grouping(records: Sequence[Record]) -> Grouping:
    """Exact copies only: group id = sha1 of the normalised text."""
    return {
        str(r["id"]): hashlib.sha1(normalize_text(str(r["text"])).encode("utf-8")).hexdigest() for r in records
    }


def minhash_lsh_components(threshold: float, config: NearDupConfig | None = None) -> GroupingFn:
    """datasketch ``MinHashLSH(threshold)`` candidates taken as copies, grouped by connected components."""
    config = config or NearDupConfig()

    def grouping(records: Sequence[Record]) -> Grouping:
        ids = [str(r["id"]) for r in records]
        lsh = MinHashLSH(threshold=threshold, num_perm=config.num_perm)
        minhashes = {}
        for article_id, r in zip(ids, records):
            minhashes[article_id] = to_datasketch(
                signature(shingles(str(r["text"]), config.shingle_size), config), config
            )
        with lsh.insertion_session() as session:
            for article_id, minhash in minhashes.items():
                session.insert(article_id, minhash)
        parent = {i: i for i in ids}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for article_id, minhash in minhashes.items():
            for other in lsh.query(minhash):
                ra, rb = find(article_id), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        return {i: find(i) for i in ids}

    return grouping


def compare(records: Sequence[Record], config: NearDupConfig | None = None) -> dict[str, dict]:
    """storybeam and the peers on one labelled set."""
    runs: dict[str, GroupingFn] = {
        "storybeam": storybeam_grouping(config),
        "exact_sha1": exact_hash_grouping,
    }
    for threshold in (0.5, 0.7, 0.9):
        runs[f"minhash_lsh_cc@{threshold}"] = minhash_lsh_components(threshold, config)
    return {name: evaluate(records, fn) for name, fn in runs.items()}


def main(argv: Sequence[str] | None = None) -> int:
    shared = Path(argv[0]) if argv else shared_dir()
    for name, path in (("zyte_variants", ZYTE_VARIANTS), ("ecbplus", ECBPLUS)):
        records = read_jsonl(shared / path)
        print(f"== {name} ({len(records)} records)")
        for method, scores in compare(records).items():
            print(
                f"{method:24s} pairP={scores['pair_precision']:.4f} pairR={scores['pair_recall']:.4f} "
                f"pairF1={scores['pair_f1']:.4f} b3F1={scores['bcubed_f1']:.4f} "
                f"false_merges={scores['false_merges']} groups={scores['groups']} {scores['seconds']:.1f}s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
