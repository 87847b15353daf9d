"""ClusterEvents: embedded near-duplicate representatives → the event each belongs to.

The engine's two steps as Beam steps (``transforms/event_engine.py``): stories are keyed by time
block and each block is clustered on its own worker, with the block before it as context; then the
blocks' clusters (compact summaries: summed vectors, span, names), and the events of earlier runs
when there is a state, meet in one linking step. Each member's similarity to its final event is
computed back on the members' keys. Stories, clusters and members' vectors travel packed into one bytes
value each (``transforms/packed_values.py``): the runner holds what a grouping step groups.

With the state of earlier runs (``earlier_events``: the live events as compact Units,
``earlier_recent``: the latest stories' features) this is ``transforms.event_state.advance`` as Beam
steps: the earlier stories are the first block's context, the earlier events join the linking, and
the outputs include the next state (``events``, ``recent``) and the ``merges`` of earlier events.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterable

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from schemas.records import Article, EventMembership
from transforms.event_clustering import EventClusteringConfig, event_id_of
from transforms.event_engine import (
    UNDATED,
    Unit,
    block_of_hours,
    cluster_block,
    hour_at,
    latest,
    member_similarities,
)
from transforms.event_features import DocFeatures, EventDoc, doc_features
from transforms.event_state import EventMerge, compact_event
from transforms.link_clusters import LinkClusters
from transforms.packed_values import (
    pack_doc,
    pack_unit,
    pack_vectors,
    packed_hours,
    unpack_doc,
    unpack_unit,
    unpack_vectors,
)
from transforms.sharded_grouping import ShardedGroupByKey

STAGE = "cluster_events"
_MEMBER, _CONTEXT = "member", "context"


def joined_doc_features(element: tuple[str, dict], max_text_chars: int,
                        undated_at: datetime | None) -> Iterable[DocFeatures]:
    """(article id, {articles: [Article], embeddings: [vector]}) → the story's features (none, counted,
    when the embedding is missing). Shared with the streaming engine."""
    article_id, joined = element
    if not joined["articles"] or not joined["embeddings"]:
        Metrics.counter(STAGE, "skipped:missing_embedding").inc()
        return []
    article: Article = joined["articles"][0]
    return [doc_features(EventDoc(
        article_id=article_id,
        embedding=np.asarray(joined["embeddings"][0], dtype=np.float32),
        title=article.title,
        text=(article.clean_text or "")[:max_text_chars],
        published_at=article.published_at or undated_at,
    ))]


def _hour(packed: bytes) -> int:
    return hour_at(packed_hours(packed))


def _to_blocks(packed: bytes, hour_counts: dict[int, int], block_docs: int
               ) -> Iterable[tuple[int, tuple[str, bytes]]]:
    # Every worker derives the same hour -> block map from the same small side input.
    block = block_of_hours(hour_counts, block_docs)[_hour(packed)]
    yield block, (_MEMBER, packed)
    if block != UNDATED:
        yield block + 1, (_CONTEXT, packed)  # context of the next block


class _ClusterBlock(beam.DoFn):
    MEMBER_VECTORS = "member_vectors"

    def __init__(self, config: EventClusteringConfig) -> None:
        self._config = config

    def process(self, element: tuple[int, Iterable[tuple[str, bytes]]]) -> Iterable[Any]:
        _, tagged = element
        members, context = [], []
        for tag, packed in tagged:
            (members if tag == _MEMBER else context).append(unpack_doc(packed))
        if not members:  # the block after the last one: context only
            return
        result = cluster_block(members, latest(context, self._config.context_docs), self._config)
        Metrics.counter(STAGE, "blocks").inc()
        Metrics.counter(STAGE, "representatives").inc(len(members))
        for unit in result.units:
            yield pack_unit(unit)
        for article_id, vectors in result.member_vectors.items():
            yield beam.pvalue.TaggedOutput(self.MEMBER_VECTORS, (article_id, pack_vectors(*vectors)))


def _first_block_context(doc: DocFeatures, hour_counts: dict[int, int], block_docs: int
                         ) -> Iterable[tuple[int, tuple[str, bytes]]]:
    # An earlier run's latest stories are the context of this run's first block (and the undated one).
    blocks = set(block_of_hours(hour_counts, block_docs).values())
    dated = [b for b in blocks if b != UNDATED]
    packed = pack_doc(doc)
    for block in ([min(dated)] if dated else []) + ([UNDATED] if UNDATED in blocks else []):
        yield block, (_CONTEXT, packed)


def _event_outputs(event: Unit, newest: float, config: EventClusteringConfig, keep_state: bool = True
                   ) -> Iterable[Any]:
    if event.members:
        Metrics.counter(STAGE, "events").inc()
    # The next state: events that can still be joined (last story within max_time_gap_hours of the
    # newest; an event with no known time cannot be placed and leaves), and earlier events merged.
    if keep_state and math.isfinite(event.t_max) and not newest - event.t_max > config.max_time_gap_hours:
        yield beam.pvalue.TaggedOutput(ClusterEvents.EVENTS, compact_event(event, config))
    if event.event_id:
        for merged in event.absorbed:
            Metrics.counter(STAGE, "earlier_events_merged").inc()
            yield beam.pvalue.TaggedOutput(ClusterEvents.MERGES, EventMerge(merged, event.event_id))
    if not event.members:
        return
    event_id = event_id_of(event)
    # Members learn their event; the event's raw sums go once to the similarity step.
    yield event_id, ("event", (pack_vectors(event.raw_dense, event.raw_sparse), event.size))
    for article_id in event.members:
        yield article_id, ("member_of", event_id)


def _by_event(element: tuple[str, dict]) -> Iterable[tuple[str, tuple[str, Any]]]:
    article_id, joined = element
    (event_id,) = joined["event"]
    (vectors,) = joined["vectors"]
    yield event_id, (article_id, vectors)


def _similarities(element: tuple[str, dict]) -> Iterable[tuple[str, EventMembership]]:
    event_id, joined = element
    ((sums, size),) = joined["sums"]
    members = sorted(joined["members"], key=lambda m: m[0])
    sims = member_similarities([unpack_vectors(v) for _, v in members], *unpack_vectors(sums), size)
    for (article_id, _), s in zip(members, sims.tolist()):
        yield article_id, EventMembership(article_id, event_id, round(float(s), 6))


class ClusterEvents(beam.PTransform):
    """{anchors: Article, embeddings: (article_id, float32[dim]), optional earlier_events: Unit,
    earlier_recent: DocFeatures} → {memberships: (anchor_id, EventMembership), events: Unit (the live
    events after this run, compact), recent: DocFeatures (the latest ``context_docs`` stories),
    merges: EventMerge}.

    Stories are keyed by time block (consecutive hours, at least ``block_docs`` stories each;
    undated stories form one block; ``undated_at``, when given, dates them instead: a dated run's
    partition day) and clustered per block with the previous block as context, in parallel; the
    blocks' clusters are linked over their compact summaries (not the stories) by steps keyed by time
    window, name and component (:class:`~transforms.link_clusters.LinkClusters`): no step holds every
    cluster. Deterministic whatever the arrival order. A ``one_off`` run (no partition date) has no
    earlier state and keeps none: ``earlier_events`` / ``earlier_recent`` are not read, ``events`` and
    ``recent`` are empty, and the stories and clusters go to their groupings without being flattened
    with earlier ones (the in-process runner copies every input of a flatten into one more buffer: at
    100,000 articles, every story twice). ``shards``: the time blocks are grouped in that many grouping
    steps (``transforms/sharded_grouping.py``; the same blocks, each step holding its share), and so
    are the clusters' copies grouped by name for linking. Metrics:
    ``cluster_events/blocks``, ``representatives``, ``events``, ``skipped:missing_embedding``. No dead
    letters.
    """

    EVENTS, MERGES, MEMBERS = "events", "merges", "members"

    def __init__(self, config: EventClusteringConfig, max_text_chars: int = 20_000,
                 undated_at: datetime | None = None, one_off: bool = False, shards: int = 1) -> None:
        super().__init__()
        self._shards = shards
        self._config = config
        self._max_text_chars = max_text_chars
        self._undated_at = undated_at
        self._one_off = one_off

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        config = self._config
        pipeline = inputs["anchors"].pipeline
        keyed = inputs["anchors"] | "KeyAnchors" >> beam.Map(lambda a: (a.article_id, a))
        docs = (
            {"articles": keyed, "embeddings": inputs["embeddings"]}
            | "JoinEmbeddings" >> beam.CoGroupByKey()
            | "Features" >> beam.FlatMap(joined_doc_features, self._max_text_chars, self._undated_at)
            | "Pack" >> beam.Map(pack_doc)
        )
        hour_counts = (
            docs
            | "Hour" >> beam.Map(lambda packed: (_hour(packed), 1))
            | "CountPerHour" >> beam.CombinePerKey(sum)
        )
        to_blocks = docs | "ToBlocks" >> beam.FlatMap(_to_blocks, beam.pvalue.AsDict(hour_counts), config.block_docs)
        if not self._one_off:
            earlier_events = inputs.get("earlier_events") or (pipeline | "NoEarlierEvents" >> beam.Create([]))
            earlier_recent = inputs.get("earlier_recent") or (pipeline | "NoEarlierStories" >> beam.Create([]))
            earlier_context = (
                earlier_recent
                | "LatestEarlier" >> beam.combiners.ToList()
                | "EarlierContext" >> beam.FlatMap(lambda docs: latest(docs, config.context_docs))
                | "ToFirstBlock" >> beam.FlatMap(_first_block_context, beam.pvalue.AsDict(hour_counts),
                                                 config.block_docs)
            )
            to_blocks = (to_blocks, earlier_context) | "WithEarlierContext" >> beam.Flatten()
        blocks = to_blocks | "ClusterBlocks" >> ShardedGroupByKey(
            self._shards, lambda: beam.ParDo(_ClusterBlock(config)).with_outputs(_ClusterBlock.MEMBER_VECTORS,
                                                                                 main="units"),
            outputs=("units", _ClusterBlock.MEMBER_VECTORS))
        units = blocks["units"]
        if not self._one_off:
            units = (units, earlier_events | "PackEarlierEvents" >> beam.Map(pack_unit)
                     ) | "WithEarlierEvents" >> beam.Flatten()
        linked_clusters = units | "LinkClusters" >> LinkClusters(config, self._shards)
        linked = linked_clusters["events"] | "EventOutputs" >> beam.FlatMap(
            _event_outputs, beam.pvalue.AsSingleton(linked_clusters["newest"], default_value=math.nan), config,
            not self._one_off).with_outputs(self.EVENTS, self.MERGES, main=self.MEMBERS)
        if self._one_off:
            recent = docs | "NoState" >> beam.FlatMap(lambda _: [])
        else:
            recent = (
                (docs | "Tonight" >> beam.Map(lambda packed: (1, unpack_doc(packed))),
                 earlier_recent | "Earlier" >> beam.Map(lambda d: (0, d)))
                | "AllStories" >> beam.Flatten()
                | "Latest" >> beam.combiners.Top.Of(config.context_docs, key=_recency)
                | "NextRecent" >> beam.FlatMap(_next_recent, config.context_docs)
            )
        linked_members = linked[self.MEMBERS]
        event_sums = linked_members | "EventSums" >> beam.FlatMap(
            lambda kv: [(kv[0], kv[1][1])] if kv[1][0] == "event" else [])
        member_of = linked_members | "MemberOf" >> beam.FlatMap(
            lambda kv: [(kv[0], kv[1][1])] if kv[1][0] == "member_of" else [])
        members = (
            {"event": member_of, "vectors": blocks[_ClusterBlock.MEMBER_VECTORS]}
            | "JoinMembers" >> beam.CoGroupByKey()
            | "ByEvent" >> beam.FlatMap(_by_event)
        )
        memberships = (
            {"sums": event_sums, "members": members}
            | "JoinEvents" >> beam.CoGroupByKey()
            | "Similarities" >> beam.FlatMap(_similarities)
        )
        return {"memberships": memberships, "events": linked[self.EVENTS], "merges": linked[self.MERGES],
                "recent": recent}


def _recency(tagged: tuple[int, DocFeatures]) -> tuple:
    tonight, doc = tagged
    return (doc.hours if math.isfinite(doc.hours) else -math.inf, doc.article_id, tonight)


def _next_recent(tagged: list[tuple[int, DocFeatures]], n: int) -> list[DocFeatures]:
    # The same id tonight and earlier (a new text under an old id): tonight's story is kept.
    by_id: dict[str, DocFeatures] = {}
    for _, doc in sorted(tagged, key=lambda t: t[0]):
        by_id[doc.article_id] = doc
    return latest(list(by_id.values()), n)

