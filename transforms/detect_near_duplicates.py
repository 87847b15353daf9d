"""DetectNearDuplicates: clean articles → near-duplicate group of every article (MinHash LSH, verified)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Mapping

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from schemas.records import Article, DupInfo
from transforms.article_parsing import content_sha1
from transforms.band_buckets import BandPack, pack_keys, shard_buckets
from transforms.minhash import (
    NearDupConfig,
    PairScore,
    band_keys,
    bucket_pairs,
    component_roots,
    group_duplicates,
    shingles,
    signature,
    verify_pair,
)

STAGE = "near_duplicates"
# Articles whose band keys travel together (one element per shard per batch; see band_buckets).
BAND_BATCH = 1024
_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


def anchor_priority(article: Article) -> tuple:
    """Which copy anchors a group (smallest first): the earliest published (unknown last); among equals
    ``group_duplicates`` then prefers the copy with the most verified copies, then the smallest id.
    Not the longest text: on the Zyte variants the longest copies carry the most boilerplate, and
    longest-first anchoring lost 3 points of pairwise recall (0.967 vs 0.995)."""
    return (article.published_at or _FAR_FUTURE,)


class _Shingle(beam.DoFn):
    def __init__(self, config: NearDupConfig) -> None:
        self._config = config

    def process(self, article: Article) -> Iterable[tuple[str, np.ndarray]]:
        yield article.article_id, shingles(article.clean_text or "", self._config.shingle_size)


class _PackBands(beam.DoFn):
    """A batch of (article id, shingles) → its band keys packed per shard (``transforms/band_buckets.py``)."""

    def __init__(self, config: NearDupConfig) -> None:
        self._config = config

    def process(self, batch: list[tuple[str, np.ndarray]]) -> Iterable[tuple[int, BandPack]]:
        keyed = []
        for article_id, shingle_hashes in batch:
            if len(shingle_hashes) == 0:
                Metrics.counter(STAGE, "skipped:no_shingles").inc()
                continue
            keyed.append((article_id, band_keys(signature(shingle_hashes, self._config), self._config)))
        yield from pack_keys(keyed)


class _BucketPairs(beam.DoFn):
    def __init__(self, max_bucket_size: int) -> None:
        self._max = max_bucket_size
        self._capped = Metrics.counter(STAGE, "capped:oversized_bucket")
        self._pairs = Metrics.counter(STAGE, "candidate_pairs")

    def process(self, element: tuple[int, Iterable[BandPack]]) -> Iterable[tuple[str, str]]:
        _, packs = element
        for ids in shard_buckets(packs):
            pairs, capped = bucket_pairs(sorted(set(ids)), self._max)
            if capped:
                self._capped.inc()
            self._pairs.inc(len(pairs))
            yield from pairs


def _both_ends(pair: tuple[str, str]) -> Iterable[tuple[str, tuple[str, str]]]:
    yield pair[0], pair
    yield pair[1], pair


def _send_shingles(element: tuple[str, dict]) -> Iterable[tuple[tuple[str, str], tuple[str, np.ndarray]]]:
    # Each article's shingles go to every candidate pair it is in: one join over all shingles, not two.
    article_id, joined = element
    if joined["shingles"]:
        hashes = joined["shingles"][0]
        for pair in set(joined["pairs"]):
            yield pair, (article_id, hashes)


class _Verify(beam.DoFn):
    def __init__(self, config: NearDupConfig) -> None:
        self._config = config
        self._kept = Metrics.counter(STAGE, "verified:duplicate")
        self._rejected = Metrics.counter(STAGE, "rejected:below_threshold")

    def process(self, element: tuple[tuple[str, str], Iterable[tuple[str, np.ndarray]]]) -> Iterable[PairScore]:
        (a_id, b_id), ends = element
        hashes = dict(ends)
        if len(hashes) != 2:  # an end without shingles: never a candidate, nothing to verify
            return
        score = verify_pair(a_id, hashes[a_id], b_id, hashes[b_id], self._config)
        if score.is_duplicate:
            self._kept.inc()
            yield score
        else:
            self._rejected.inc()


# Rounds of min-label propagation before the convergence check. Each round reaches one hop further;
# copy groups are near-cliques, so almost every component settles in the first rounds, and the few that
# do not (long chains of partial copies) are finished by one union-find over just their own pairs.
LABEL_ROUNDS = 3


def _both_ways(score: PairScore) -> Iterable[tuple[str, str]]:
    yield score.a, score.b
    yield score.b, score.a


def _first_label(element: tuple[str, Iterable[str]]) -> tuple[str, str]:
    node, neighbours = element
    return node, min(node, *neighbours)


def _send_label(element: tuple[str, dict]) -> Iterable[tuple[str, str]]:
    node, joined = element
    (label,) = joined["label"]
    (neighbours,) = joined["adjacent"]
    yield node, label
    for neighbour in neighbours:
        yield neighbour, label


def _label_of_a(element: tuple[str, dict]) -> Iterable[tuple[str, tuple[PairScore, str]]]:
    _, joined = element
    (label,) = joined["label"]
    return [(score.b, (score, label)) for score in joined["pairs"]]


def _labels_of_both(element: tuple[str, dict]) -> Iterable[tuple[PairScore, str, str]]:
    _, joined = element
    (label_b,) = joined["label"]
    return [(score, label_a, label_b) for score, label_a in joined["pairs"]]


RESIDUAL = "residual"


class _KeyByComponent(beam.DoFn):
    """A pair whose component has settled goes on under its label; the pairs of components that have
    not settled (every label of such a component shows on one of its disagreeing pairs) are set aside."""

    def __init__(self) -> None:
        self._residual = Metrics.counter(STAGE, "grouping:unsettled_pairs")

    def process(self, element: tuple[PairScore, str, str], unsettled: Mapping[str, bool]):
        score, label_a, label_b = element
        if label_a in unsettled or label_b in unsettled:
            self._residual.inc()
            yield beam.pvalue.TaggedOutput(RESIDUAL, score)
        else:
            yield label_a, score


def _settle(scores: list[PairScore]) -> Iterable[tuple[str, PairScore]]:
    roots = component_roots((s.a, s.b) for s in scores)
    return [(roots[s.a], s) for s in scores]


def _members(element: tuple[str, PairScore]) -> Iterable[tuple[str, str]]:
    label, score = element
    yield score.a, label
    yield score.b, label


def _member_priority(element: tuple[str, dict]) -> Iterable[tuple[str, tuple[str, tuple]]]:
    article_id, joined = element
    if not joined["label"]:
        return []
    (label,) = set(joined["label"])
    (priority,) = joined["priority"]
    return [(label, (article_id, priority))]


def _group_component(element: tuple[str, dict]) -> Iterable[tuple[str, DupInfo]]:
    _, joined = element
    priorities = dict(joined["members"])
    for assignment in group_duplicates(priorities, joined["pairs"], priorities):
        yield assignment.article_id, DupInfo(
            article_id=assignment.article_id,
            dup_group_id=assignment.dup_group_id,
            anchor_id=assignment.anchor_id,
            similarity=float(assignment.similarity_to_anchor),
            is_anchor=assignment.is_anchor,
        )


class _GroupByComponent(beam.PTransform):
    """{pairs: verified duplicate PairScore, priorities: (article_id, anchor priority)} →
    (article_id, DupInfo) for every article in a verified pair.

    Connected components by min-label propagation (``rounds`` keyed rounds, then a convergence check;
    unsettled components are finished by a union-find over their own pairs only), then
    ``group_duplicates`` once per component, keyed by the component's smallest id: the same groups as
    one global call, without gathering every pair or every article on one worker."""

    def __init__(self, rounds: int = LABEL_ROUNDS) -> None:
        super().__init__()
        self._rounds = rounds

    def expand(self, inputs: dict[str, beam.PCollection]) -> beam.PCollection:
        pairs = inputs["pairs"]
        adjacency = pairs | "Adjacency" >> beam.FlatMap(_both_ways) | "GroupAdjacent" >> beam.GroupByKey()
        labels = adjacency | "FirstLabel" >> beam.Map(_first_label)
        for i in range(self._rounds):
            labels = (
                {"label": labels, "adjacent": adjacency}
                | f"JoinLabels{i}" >> beam.CoGroupByKey()
                | f"SendLabels{i}" >> beam.FlatMap(_send_label)
                | f"MinLabel{i}" >> beam.CombinePerKey(min)
            )
        labelled = (
            {"label": labels, "pairs": pairs | "ByA" >> beam.Map(lambda s: (s.a, s))}
            | "JoinLabelA" >> beam.CoGroupByKey()
            | "LabelA" >> beam.FlatMap(_label_of_a)
        )
        labelled = (
            {"label": labels, "pairs": labelled}
            | "JoinLabelB" >> beam.CoGroupByKey()
            | "LabelB" >> beam.FlatMap(_labels_of_both)
        )
        unsettled = (
            labelled
            | "Disagreeing" >> beam.FlatMap(lambda x: [(x[1], True), (x[2], True)] if x[1] != x[2] else [])
            | "UnsettledLabels" >> beam.CombinePerKey(any)
        )
        keyed = labelled | "KeyByComponent" >> beam.ParDo(
            _KeyByComponent(), beam.pvalue.AsDict(unsettled)).with_outputs(RESIDUAL, main="settled")
        settled_late = (
            keyed[RESIDUAL]
            # without defaults: no empty list where nothing is unsettled, and it works in windows (streaming)
            | "UnsettledPairs" >> beam.combiners.ToList().without_defaults()
            | "UnionFind" >> beam.FlatMap(_settle)
        )
        by_component = (keyed.settled, settled_late) | "ComponentPairs" >> beam.Flatten()
        members = (
            {"label": by_component | "Members" >> beam.FlatMap(_members), "priority": inputs["priorities"]}
            | "JoinPriority" >> beam.CoGroupByKey()
            | "MemberPriority" >> beam.FlatMap(_member_priority)
        )
        return (
            {"pairs": by_component, "members": members}
            | "JoinComponent" >> beam.CoGroupByKey()
            | "GroupComponent" >> beam.FlatMap(_group_component)
        )


def _with_singletons(element: tuple[str, dict]) -> Iterable[tuple[str, DupInfo]]:
    article_id, joined = element
    if joined["grouped"]:
        return [(article_id, joined["grouped"][0])]
    (single,) = group_duplicates([article_id], [])
    Metrics.counter(STAGE, "singletons").inc()
    return [(article_id, DupInfo(article_id, single.dup_group_id, article_id, 1.0, True))]


EXACT_COPIES = "exact_copies"


class _SplitExactCopies(beam.DoFn):
    """Articles with the same clean text: one goes on through LSH, the others wait for its group.

    Thousands of identical articles would otherwise fill every band's bucket and cost
    ``max_bucket_size`` pairs each; an exact copy needs no MinHash to be known as one."""

    def __init__(self) -> None:
        self._collapsed = Metrics.counter(STAGE, "collapsed:exact_copy")

    def process(self, element: tuple[str, Iterable[Article]]) -> Iterable:
        _, same_text = element
        ordered = sorted(same_text, key=lambda a: (anchor_priority(a), a.article_id))
        yield ordered[0]
        for copy in ordered[1:]:
            self._collapsed.inc()
            yield beam.pvalue.TaggedOutput(EXACT_COPIES, (ordered[0].article_id, copy.article_id))


def _copy_infos(element: tuple[str, dict]) -> Iterable[tuple[str, DupInfo]]:
    _, joined = element
    if not joined["copies"]:
        return []
    (info,) = joined["dups"]
    return [(copy_id, DupInfo(copy_id, info.dup_group_id, info.anchor_id, info.similarity, False))
            for copy_id in joined["copies"]]


def _representative(element: tuple[str, dict]) -> Iterable[Article]:
    _, joined = element
    (dup,) = joined["dups"]
    if dup.is_anchor:
        yield joined["articles"][0]


class DetectNearDuplicates(beam.PTransform):
    """Article (with clean_text) → {dups: (article_id, DupInfo) for every article,
    representatives: the Article that anchors each group (the only one that gets embedded)}.

    Word-shingle MinHash signatures (datasketch) are cut into LSH bands; the band values travel packed per
    shard of a band (``transforms/band_buckets.py``), shards are Beam keys, and candidates meet where a
    shard's digests are equal. Buckets larger than ``max_bucket_size`` are capped (each member is
    paired only with the bucket's first members) and counted. Every candidate pair is verified on the exact
    shingle sets before it counts. Groups are then formed around anchors (``anchor_priority``): a copy joins
    a group only if it verified against the anchor itself, so groups never chain. The grouping runs per
    connected component of the verified pairs, keyed by the component (``_GroupByComponent``), so no step
    holds every article or every pair; ``label_rounds`` is the number of label-propagation rounds before
    the unsettled rest is finished by a union-find over its own pairs (tests lower it to exercise that).
    Metrics: ``near_duplicates/candidate_pairs``, ``verified:duplicate``, ``rejected:below_threshold``,
    ``capped:oversized_bucket``, ``skipped:no_shingles``, ``singletons``, ``grouping:unsettled_pairs``.
    No dead letters: every article gets a group.
    """

    def __init__(self, config: NearDupConfig, label_rounds: int = LABEL_ROUNDS) -> None:
        super().__init__()
        self._config = config
        self._label_rounds = label_rounds

    def expand(self, all_articles: beam.PCollection) -> dict[str, beam.PCollection]:
        config = self._config
        split = (
            all_articles
            | "KeyByText" >> beam.Map(lambda a: (content_sha1(a.clean_text or ""), a))
            | "GroupSameText" >> beam.GroupByKey()
            | "SplitExactCopies" >> beam.ParDo(_SplitExactCopies()).with_outputs(EXACT_COPIES, main="articles")
        )
        articles = split.articles
        shingled = articles | "Shingle" >> beam.ParDo(_Shingle(config))
        pairs = (
            shingled
            | "Batch" >> beam.BatchElements(min_batch_size=BAND_BATCH, max_batch_size=BAND_BATCH)
            | "PackBands" >> beam.ParDo(_PackBands(config))
            | "GroupShards" >> beam.GroupByKey()
            | "BucketPairs" >> beam.ParDo(_BucketPairs(config.max_bucket_size))
            | "DistinctPairs" >> beam.Distinct()
        )
        verified = (
            {"pairs": pairs | "BothEnds" >> beam.FlatMap(_both_ends), "shingles": shingled}
            | "JoinShingles" >> beam.CoGroupByKey()
            | "SendShingles" >> beam.FlatMap(_send_shingles)
            | "MeetPerPair" >> beam.GroupByKey()
            | "Verify" >> beam.ParDo(_Verify(config))
        )
        priorities = articles | "Priority" >> beam.Map(lambda a: (a.article_id, anchor_priority(a)))
        grouped = {"pairs": verified, "priorities": priorities} | "Group" >> _GroupByComponent(self._label_rounds)
        keyed = articles | "KeyById" >> beam.Map(lambda a: (a.article_id, a))
        # The ids alone: a runner holds a grouping's whole input until it runs (the in-process one as
        # Python objects), and this join needs no article.
        ids = articles | "Ids" >> beam.Map(lambda a: (a.article_id, None))
        distinct_dups = (
            {"ids": ids, "grouped": grouped}
            | "JoinGroups" >> beam.CoGroupByKey()
            | "Singletons" >> beam.FlatMap(_with_singletons)
        )
        copy_dups = (
            {"dups": distinct_dups, "copies": split[EXACT_COPIES]}
            | "JoinExactCopies" >> beam.CoGroupByKey()
            | "ExactCopyGroups" >> beam.FlatMap(_copy_infos)
        )
        dups = (distinct_dups, copy_dups) | "AllDups" >> beam.Flatten()
        representatives = (
            {"articles": keyed, "dups": distinct_dups}
            | "JoinRepresentatives" >> beam.CoGroupByKey()
            | "Representatives" >> beam.FlatMap(_representative)
        )
        return {"dups": dups, "representatives": representatives}
