"""ClusterEvents: embedded near-duplicate representatives → the event each belongs to."""
from __future__ import annotations

from typing import Iterable

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from schemas.records import Article, EventMembership
from transforms.event_clustering import EventClusteringConfig, EventDoc, cluster_events

STAGE = "cluster_events"


def _event_doc(element: tuple[str, dict], max_text_chars: int) -> Iterable[EventDoc]:
    article_id, joined = element
    if not joined["articles"] or not joined["embeddings"]:
        Metrics.counter(STAGE, "skipped:missing_embedding").inc()
        return []
    article: Article = joined["articles"][0]
    return [EventDoc(
        article_id=article_id,
        embedding=np.asarray(joined["embeddings"][0], dtype=np.float32),
        title=article.title,
        text=(article.clean_text or "")[:max_text_chars],
        published_at=article.published_at,
    )]


def _cluster(docs: list[EventDoc], config: EventClusteringConfig) -> Iterable[tuple[str, EventMembership]]:
    assignments = cluster_events(docs, config)
    Metrics.counter(STAGE, "representatives").inc(len(assignments))
    Metrics.counter(STAGE, "events").inc(len({a.cluster_key for a in assignments}))
    for a in assignments:
        yield a.article_id, EventMembership(a.article_id, a.cluster_key, float(a.similarity))


class ClusterEvents(beam.PTransform):
    """(anchors: Article, embeddings: (article_id, float32[dim])) → (anchor_id, EventMembership).

    All representatives meet in one global step (the clustering needs them together; 100k × 384 floats is
    ~150 MB) and ``cluster_events`` partitions them deterministically, whatever order they arrive in.
    Metrics: ``cluster_events/representatives``, ``events``, ``skipped:missing_embedding``. No dead letters.
    """

    def __init__(self, config: EventClusteringConfig, max_text_chars: int = 20_000) -> None:
        super().__init__()
        self._config = config
        self._max_text_chars = max_text_chars

    def expand(self, inputs: dict[str, beam.PCollection]) -> beam.PCollection:
        keyed = inputs["anchors"] | "KeyAnchors" >> beam.Map(lambda a: (a.article_id, a))
        return (
            {"articles": keyed, "embeddings": inputs["embeddings"]}
            | "JoinEmbeddings" >> beam.CoGroupByKey()
            | "EventDocs" >> beam.FlatMap(_event_doc, self._max_text_chars)
            | "AllDocs" >> beam.combiners.ToList()
            | "Cluster" >> beam.FlatMap(_cluster, self._config)
        )
