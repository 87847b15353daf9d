"""ClusterEvents: embedded near-duplicate representatives → the event each belongs to.

The engine's two steps as Beam steps (``transforms/event_engine.py``): stories are keyed by time
block and each block is clustered on its own worker, with the block before it as context; then the
blocks' clusters (compact summaries: summed vectors, span, names), and the events of earlier runs
when there is a state, meet in one linking step. Each member's similarity to its final event is
computed back on the members' keys.
"""
from __future__ import annotations

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
    hour_of,
    latest,
    link_units,
    member_similarities,
)
from transforms.event_features import DocFeatures, EventDoc, doc_features

STAGE = "cluster_events"
_MEMBER, _CONTEXT = "member", "context"


def _doc_features(element: tuple[str, dict], max_text_chars: int) -> Iterable[DocFeatures]:
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
        published_at=article.published_at,
    ))]


def _to_blocks(doc: DocFeatures, hour_counts: dict[int, int], block_docs: int
               ) -> Iterable[tuple[int, tuple[str, DocFeatures]]]:
    # Every worker derives the same hour -> block map from the same small side input.
    block = block_of_hours(hour_counts, block_docs)[hour_of(doc)]
    yield block, (_MEMBER, doc)
    if block != UNDATED:
        yield block + 1, (_CONTEXT, doc)  # context of the next block


class _ClusterBlock(beam.DoFn):
    MEMBER_VECTORS = "member_vectors"

    def __init__(self, config: EventClusteringConfig) -> None:
        self._config = config

    def process(self, element: tuple[int, Iterable[tuple[str, DocFeatures]]]) -> Iterable[Any]:
        _, tagged = element
        members, context = [], []
        for tag, doc in tagged:
            (members if tag == _MEMBER else context).append(doc)
        if not members:  # the block after the last one: context only
            return
        result = cluster_block(members, latest(context, self._config.context_docs), self._config)
        Metrics.counter(STAGE, "blocks").inc()
        Metrics.counter(STAGE, "representatives").inc(len(members))
        for unit in result.units:
            yield unit
        for article_id, vectors in result.member_vectors.items():
            yield beam.pvalue.TaggedOutput(self.MEMBER_VECTORS, (article_id, vectors))


def _link(units: list[Unit], config: EventClusteringConfig) -> Iterable[tuple[str, Any]]:
    events = link_units(units, config)
    Metrics.counter(STAGE, "events").inc(sum(1 for e in events if e.members))
    for event in events:
        if not event.members:
            continue
        event_id = event_id_of(event)
        # Members learn their event; the event's raw sums go once to the similarity step.
        yield event_id, ("event", (event.raw_dense, event.raw_sparse, event.size))
        for article_id in event.members:
            yield article_id, ("member_of", event_id)


def _by_event(element: tuple[str, dict]) -> Iterable[tuple[str, tuple[str, Any]]]:
    article_id, joined = element
    (event_id,) = joined["event"]
    (vectors,) = joined["vectors"]
    yield event_id, (article_id, vectors)


def _similarities(element: tuple[str, dict]) -> Iterable[tuple[str, EventMembership]]:
    event_id, joined = element
    (sums,) = joined["sums"]
    members = sorted(joined["members"], key=lambda m: m[0])
    sims = member_similarities([v for _, v in members], *sums)
    for (article_id, _), s in zip(members, sims.tolist()):
        yield article_id, EventMembership(article_id, event_id, round(float(s), 6))


class ClusterEvents(beam.PTransform):
    """(anchors: Article, embeddings: (article_id, float32[dim])) → (anchor_id, EventMembership).

    Stories are keyed by time block (consecutive hours, at least ``block_docs`` stories each;
    undated stories form one block) and clustered per block with the previous block as context,
    in parallel; the blocks' clusters are linked in one step over their compact summaries (not
    the stories). Deterministic whatever the arrival order. Metrics: ``cluster_events/blocks``,
    ``representatives``, ``events``, ``skipped:missing_embedding``. No dead letters.
    """

    def __init__(self, config: EventClusteringConfig, max_text_chars: int = 20_000) -> None:
        super().__init__()
        self._config = config
        self._max_text_chars = max_text_chars

    def expand(self, inputs: dict[str, beam.PCollection]) -> beam.PCollection:
        config = self._config
        keyed = inputs["anchors"] | "KeyAnchors" >> beam.Map(lambda a: (a.article_id, a))
        docs = (
            {"articles": keyed, "embeddings": inputs["embeddings"]}
            | "JoinEmbeddings" >> beam.CoGroupByKey()
            | "Features" >> beam.FlatMap(_doc_features, self._max_text_chars)
        )
        hour_counts = (
            docs
            | "Hour" >> beam.Map(lambda d: (hour_of(d), 1))
            | "CountPerHour" >> beam.CombinePerKey(sum)
        )
        blocks = (
            docs
            | "ToBlocks" >> beam.FlatMap(_to_blocks, beam.pvalue.AsDict(hour_counts), config.block_docs)
            | "GroupBlocks" >> beam.GroupByKey()
            | "ClusterBlocks" >> beam.ParDo(_ClusterBlock(config)).with_outputs(
                _ClusterBlock.MEMBER_VECTORS, main="units")
        )
        linked = (
            blocks.units
            | "AllClusters" >> beam.combiners.ToList()
            | "Link" >> beam.FlatMap(_link, config)
        )
        event_sums = linked | "EventSums" >> beam.FlatMap(
            lambda kv: [(kv[0], kv[1][1])] if kv[1][0] == "event" else [])
        member_of = linked | "MemberOf" >> beam.FlatMap(
            lambda kv: [(kv[0], kv[1][1])] if kv[1][0] == "member_of" else [])
        members = (
            {"event": member_of, "vectors": blocks[_ClusterBlock.MEMBER_VECTORS]}
            | "JoinMembers" >> beam.CoGroupByKey()
            | "ByEvent" >> beam.FlatMap(_by_event)
        )
        return (
            {"sums": event_sums, "members": members}
            | "JoinEvents" >> beam.CoGroupByKey()
            | "Similarities" >> beam.FlatMap(_similarities)
        )

