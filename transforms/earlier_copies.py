"""MatchEarlierCopies: tonight's near-duplicate groups → the same groups, joined to an earlier night's
group where tonight's anchor copies an earlier anchor (a next-morning reprint of a wire story).

Tonight's groups are found first (``DetectNearDuplicates``); then each group's anchor is looked up
among the anchors of the last ``copy_window_days`` partitions (state table ``_state/copies``) with
the same MinHash LSH bands and the same verification as within a night. A matched group takes the
earlier group's id, anchor and event: its articles are copies (``is_duplicate``), none of them is
embedded or clustered again, and they join the earlier event. Keyed end to end (band keys, anchor
ids): nothing is gathered on one worker. An earlier anchor's keys are first checked against a Bloom filter
of tonight's (``transforms/band_filter.py``): only those that may be tonight's are grouped, so a quiet
night does not group the whole copy window's keys.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Iterable

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from schemas.records import Article, DupInfo, EventMembership
from transforms import band_filter
from transforms.band_filter import BandFilter
from transforms.minhash import NearDupConfig, band_keys, dup_group_id, shingles, signature, verify_pair

STAGE = "earlier_copies"
_NEW, _OLD = "new", "old"


@dataclasses.dataclass(frozen=True)
class EarlierAnchor:
    """An anchor of an earlier partition, as the copies state keeps it."""

    article_id: str
    dup_group_id: str
    event_id: str
    event_similarity: float
    shingles: np.ndarray


def earlier_anchor(row: dict[str, Any]) -> EarlierAnchor:
    return EarlierAnchor(row["article_id"], row["dup_group_id"], row["event_id"],
                         float(row["event_similarity"]), np.asarray(row["shingles"], dtype=np.uint64))


def _keys(hashes: np.ndarray, config: NearDupConfig) -> list[bytes]:
    """An anchor's LSH bucket keys (none for a text without words)."""
    return band_keys(signature(hashes, config), config) if len(hashes) else []


def _tagged(element: tuple[str, list[bytes]], tag: str) -> Iterable[tuple[bytes, tuple[str, str]]]:
    article_id, keys = element
    for key in keys:
        yield key, (tag, article_id)


class _OldBands(beam.DoFn):
    """An earlier anchor → its bucket keys that may be tonight's (``band_filter``; None: tonight has no
    anchor), tagged; and, on the ``CANDIDATE`` output, the anchor itself when any key passed (an anchor no
    key of which is tonight's can pair with nothing)."""

    CANDIDATE = "candidate"

    def __init__(self, config: NearDupConfig) -> None:
        self._config = config

    def process(self, element: tuple[str, EarlierAnchor], tonight: np.ndarray | None
                ) -> Iterable[tuple[bytes, tuple[str, str]] | beam.pvalue.TaggedOutput]:
        article_id, anchor = element
        # No anchor tonight: nothing to pair with (and no bare return: Beam warns of one in a generator).
        keys = _keys(anchor.shingles, self._config) if tonight is not None else []
        passed = [key for key, maybe in zip(keys, band_filter.may_contain(tonight, keys)) if maybe]
        if passed:
            yield beam.pvalue.TaggedOutput(self.CANDIDATE, element)
        for key in passed:
            yield key, (_OLD, article_id)


def _cross_pairs(element: tuple[bytes, Iterable[tuple[str, str]]], max_bucket: int
                 ) -> Iterable[tuple[str, str]]:
    _, tagged = element
    new = sorted({i for t, i in tagged if t == _NEW})
    old = sorted({i for t, i in tagged if t == _OLD})
    if len(new) * len(old) > max_bucket * max_bucket:  # an oversized bucket says nothing
        Metrics.counter(STAGE, "capped:oversized_bucket").inc()
        new = []
    for n in new:
        for o in old:
            yield n, o


def _attach_old(element: tuple[str, dict]) -> Iterable[tuple[str, tuple[EarlierAnchor, str]]]:
    _, joined = element
    if joined["anchor"]:
        (anchor,) = joined["anchor"][:1]
        for new_id in set(joined["pairs"]):
            yield new_id, (anchor, new_id)


def best_earlier(new_id: str, new_shingles: np.ndarray, candidates: Iterable[EarlierAnchor],
                 config: NearDupConfig) -> tuple[EarlierAnchor, float] | None:
    """The verified earlier anchor that ``new_id`` copies most (highest Jaccard, then lowest id) with its
    Jaccard rounded to 6 places, or None: the one decision of nightly runs and of the stream. An earlier
    anchor with ``new_id``'s own id is no candidate (an article does not copy itself; verifying it would
    raise): a revised text arrives renamed (``article_identity.renamed``), so the ids meet only when an id
    and its text come back after ``--repeat_window_days`` but within ``--copy_window_days``."""
    best = None
    for anchor in candidates:
        if anchor.article_id == new_id:
            continue
        score = verify_pair(new_id, new_shingles, anchor.article_id, anchor.shingles, config)
        if score.is_duplicate:
            rank = (-score.jaccard, anchor.article_id)
            if best is None or rank < best[0]:
                best = (rank, anchor, score.jaccard)
    return None if best is None else (best[1], round(best[2], 6))


class AnchorIndex:
    """Earlier anchors in memory, found by the same LSH bands as ``MatchEarlierCopies`` finds them: the
    streaming job's copies state (a bounded window of anchors) is matched with it, one window at a time."""

    def __init__(self, config: NearDupConfig) -> None:
        self._config = config
        self._bands: dict[bytes, list[EarlierAnchor]] = {}

    def keys(self, shingle_hashes: np.ndarray) -> list[bytes]:
        """The anchor's LSH bucket keys (none for a text without words)."""
        return _keys(shingle_hashes, self._config)

    def add(self, anchor: EarlierAnchor, keys: Iterable[bytes] | None = None) -> None:
        """Index ``anchor`` under ``keys`` (its ``keys()``, computed when not given)."""
        for key in (self.keys(anchor.shingles) if keys is None else keys):
            self._bands.setdefault(key, []).append(anchor)

    def best(self, new_id: str, new_shingles: np.ndarray, keys: Iterable[bytes] | None = None
             ) -> tuple[EarlierAnchor, float] | None:
        """``best_earlier`` among the indexed anchors that share an LSH bucket (``keys``, computed when not
        given) with ``new_shingles``."""
        candidates: dict[str, EarlierAnchor] = {}
        for key in (self.keys(new_shingles) if keys is None else keys):
            bucket = self._bands.get(key, ())
            if len(bucket) > self._config.max_bucket_size * self._config.max_bucket_size:
                Metrics.counter(STAGE, "capped:oversized_bucket").inc()  # says nothing, as in _cross_pairs
                continue
            candidates.update((a.article_id, a) for a in bucket)
        return best_earlier(new_id, new_shingles, candidates.values(), self._config)


@dataclasses.dataclass
class WindowCopies:
    """One stream window's anchors matched against the copies state (``match_window``)."""

    kept: list[dict[str, Any]]  # state rows still inside the copy window
    copied: dict[str, tuple[EarlierAnchor, float]]  # new anchor id -> (earlier anchor, Jaccard)
    fresh: dict[str, tuple[np.ndarray, list[bytes]]]  # unmatched new anchor id -> (shingles, bucket keys)


def match_window(rows: Iterable[dict[str, Any]], new: Iterable[tuple[str, np.ndarray]], since: datetime,
                 config: NearDupConfig) -> WindowCopies:
    """The stream's copy decision for one window: ``rows`` (copies state: ``_state/copies`` columns with
    ``band_keys`` and ``window_end``) stored after ``since`` are kept; each new anchor either copies one of
    them (``best_earlier`` through an ``AnchorIndex``) or is fresh. Signatures of the kept anchors are not
    recomputed (their bucket keys are in the state), and a new anchor's are computed once."""
    kept = [r for r in rows if r["window_end"] > since]
    index = AnchorIndex(config)
    for row in kept:
        index.add(earlier_anchor(row), row["band_keys"])
    copied, fresh = {}, {}
    for article_id, hashes in new:
        keys = index.keys(hashes)
        match = index.best(article_id, hashes, keys)
        if match is None:
            fresh[article_id] = (hashes, keys)
        else:
            copied[article_id] = match
    return WindowCopies(kept, copied, fresh)


def copies_after(window: WindowCopies, events: Iterable[tuple[str, str, float]], merged_into: dict[str, str],
                 now: datetime) -> list[dict[str, Any]]:
    """The copies state after a window: the kept rows (their events resolved through the window's merges)
    and the window's fresh anchors with the (article id, event id, similarity) the engine gave them. A
    fresh anchor replaces a kept row of the same id (see ``best_earlier`` for when ids meet)."""
    events = list(events)
    fresh = {article_id for article_id, _, _ in events if article_id in window.fresh}
    rows = [dict(r, event_id=merged_into.get(r["event_id"], r["event_id"]))
            for r in window.kept if r["article_id"] not in fresh]
    for article_id, event_id, similarity in events:
        if article_id in fresh:
            hashes, keys = window.fresh[article_id]
            rows.append({"article_id": article_id, "dup_group_id": dup_group_id(article_id), "event_id": event_id,
                         "event_similarity": float(similarity), "published_at": None,
                         "shingles": [int(h) for h in hashes], "band_keys": keys, "window_end": now})
    return rows


class _BestEarlier(beam.DoFn):
    """Per tonight's anchor: the verified earlier anchor it copies most (highest Jaccard, then id)."""

    def __init__(self, config: NearDupConfig) -> None:
        self._config = config

    def process(self, element: tuple[str, dict]) -> Iterable[tuple[str, tuple[EarlierAnchor, float]]]:
        new_id, joined = element
        if not joined["shingles"] or not joined["candidates"]:
            return
        best = best_earlier(new_id, joined["shingles"][0], (a for a, _ in joined["candidates"]), self._config)
        if best is not None:
            Metrics.counter(STAGE, "groups_joined_to_earlier").inc()
            yield new_id, best


def rewrite_dups(element: tuple[str, dict]) -> Iterable[tuple[str, DupInfo]]:
    """A group joined to an earlier one: every member is a copy of the earlier anchor, except a member
    with the earlier anchor's own id (see ``best_earlier`` for when ids meet): it stays the group's
    anchor, never a copy of itself."""
    _, joined = element
    matched = joined["matched"]
    for article_id, info in joined["members"]:
        if not matched:
            yield article_id, info
            continue
        anchor, jaccard = matched[0]
        similarity = jaccard if info.is_anchor else round(min(jaccard, info.similarity), 6)
        yield article_id, DupInfo(article_id, anchor.dup_group_id, anchor.article_id, similarity,
                                  article_id == anchor.article_id)


def _unmatched(element: tuple[str, dict]) -> Iterable[Article]:
    _, joined = element
    if not joined["matched"]:
        yield from joined["article"]


class JoinEarlierGroups(beam.PTransform):
    """{dups: (id, DupInfo), matched: (anchor id, (EarlierAnchor, Jaccard))} → (id, DupInfo): the members of a
    group whose anchor copies an earlier anchor become copies of that anchor (``rewrite_dups``)."""

    def expand(self, inputs: dict[str, beam.PCollection]) -> beam.PCollection:
        members = inputs["dups"] | "ByAnchor" >> beam.Map(lambda kv: (kv[1].anchor_id, kv))
        return ({"members": members, "matched": inputs["matched"]}
                | "JoinGroups" >> beam.CoGroupByKey()
                | "RewriteDups" >> beam.FlatMap(rewrite_dups))


class MatchEarlierCopies(beam.PTransform):
    """{dups: (id, DupInfo), representatives: Article, earlier: EarlierAnchor} →
    {dups: (id, DupInfo), representatives: Article (groups not joined to an earlier one),
    memberships: (earlier anchor id, EventMembership), shingles: (anchor id, uint64[]) of every
    representative (for the next copies state)}.

    With ``has_earlier=False`` (a run that continues no earlier partition: its ``earlier`` is known to be
    empty) nothing is matched and the groups pass through unchanged; only the shingles are computed.

    Metrics: ``earlier_copies/groups_joined_to_earlier``, ``capped:oversized_bucket``.
    """

    def __init__(self, config: NearDupConfig, has_earlier: bool = True) -> None:
        super().__init__()
        self._config = config
        self._has_earlier = has_earlier

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        config = self._config
        reps = inputs["representatives"]
        earlier = inputs["earlier"]
        new_shingles = reps | "Shingles" >> beam.Map(
            lambda a: (a.article_id, shingles(a.clean_text or "", config.shingle_size)))
        if not self._has_earlier:
            return {"dups": inputs["dups"], "representatives": reps, "shingles": new_shingles,
                    "memberships": reps | "NoEarlierEvents" >> beam.FlatMap(lambda _: [])}
        new_keys = new_shingles | "NewKeys" >> beam.Map(lambda kv: (kv[0], _keys(kv[1], config)))
        # Without a default: a night without anchors has no filter (None below) and no earlier key passes.
        tonight = (new_keys | "KeyLists" >> beam.Values()
                   | "TonightsBands" >> beam.CombineGlobally(BandFilter()).without_defaults())
        old = (earlier
               | "KeyEarlier" >> beam.Map(lambda e: (e.article_id, e))
               | "OldBands" >> beam.ParDo(_OldBands(config), beam.pvalue.AsSingleton(tonight, default_value=None))
               .with_outputs(_OldBands.CANDIDATE, main="bands"))
        pairs = (
            (new_keys | "NewBands" >> beam.FlatMap(_tagged, _NEW), old.bands)
            | "AllBands" >> beam.Flatten()
            | "GroupBands" >> beam.GroupByKey()
            | "CrossPairs" >> beam.FlatMap(_cross_pairs, config.max_bucket_size)
            | "DistinctPairs" >> beam.Distinct()
            | "ByOld" >> beam.Map(lambda p: (p[1], p[0]))
        )
        candidates = (
            {"pairs": pairs, "anchor": old[_OldBands.CANDIDATE]}
            | "JoinOld" >> beam.CoGroupByKey()
            | "AttachOld" >> beam.FlatMap(_attach_old)
        )
        matched = (
            {"shingles": new_shingles, "candidates": candidates}
            | "JoinNew" >> beam.CoGroupByKey()
            | "BestEarlier" >> beam.ParDo(_BestEarlier(config))
        )
        dups = {"dups": inputs["dups"], "matched": matched} | "JoinEarlierGroups" >> JoinEarlierGroups()
        representatives = (
            {"article": reps | "KeyReps" >> beam.Map(lambda a: (a.article_id, a)), "matched": matched}
            | "JoinReps" >> beam.CoGroupByKey()
            | "Unmatched" >> beam.FlatMap(_unmatched)
        )
        # Two of tonight's groups may copy the same earlier anchor: its event is stated once.
        memberships = (
            matched
            | "EarlierEvent" >> beam.Map(lambda kv: (kv[1][0].article_id, EventMembership(
                kv[1][0].article_id, kv[1][0].event_id, kv[1][0].event_similarity)))
            | "GroupEarlierAnchor" >> beam.GroupByKey()
            | "OncePerAnchor" >> beam.Map(lambda kv: (kv[0], next(iter(kv[1]))))
        )
        return {"dups": dups, "representatives": representatives, "memberships": memberships,
                "shingles": new_shingles}
