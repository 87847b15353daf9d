"""Event clustering of one run, start to end, with no earlier state: the engine's one-shot form.

Pure functions, no Beam. :func:`cluster_events` takes every representative of a run and returns the
event of each. It is exactly what the Beam stage does (blocks in parallel, then links), in one
process: features → time blocks with their context → :func:`~transforms.event_engine.cluster_block`
per block → :func:`~transforms.event_linking.link_units` → ids and similarities. How stories are
compared and grouped is described in :mod:`transforms.event_engine`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transforms.event_config import EventClusteringConfig
from transforms.event_engine import (
    BlockResult,
    Unit,
    cluster_block,
    event_id_for_founder,
    member_similarities,
    plan_blocks,
)
from transforms.event_features import EventDoc, doc_features, embedding_input, name_tokens
from transforms.event_linking import link_units

__all__ = [
    "EventAssignment",
    "EventClusteringConfig",
    "EventDoc",
    "assignments_of",
    "cluster_events",
    "embedding_input",
    "name_tokens",
]


@dataclass(frozen=True)
class EventAssignment:
    """Which event an article went to, and how close it is to it.

    event_id: the event's stable id (``evt-`` + sha1 of its founder: the member published first,
        unknown times last, ties to the smallest id), or the id of the earlier event it joined.
    similarity: the article's mean similarity to the other members of its event on a 0–1 scale (a
        weighted mean of three cosines: centred embedding, TF-IDF, names); 1.0 alone.
    """

    article_id: str
    event_id: str
    similarity: float


def event_id_of(event: Unit) -> str:
    return event.event_id or event_id_for_founder(event.founder[1])


def assignments_of(events: Sequence[Unit], blocks: Sequence[BlockResult]) -> list[EventAssignment]:
    """Every new member of ``events`` with its event id and similarity, sorted by article id."""
    vectors = {}
    for block in blocks:
        vectors.update(block.member_vectors)
    out = []
    for event in events:
        if not event.members:
            continue
        sims = member_similarities([vectors[m] for m in event.members], event.raw_dense,
                                   event.raw_sparse, event.size)
        out.extend(EventAssignment(m, event_id_of(event), round(float(s), 6))
                   for m, s in zip(event.members, sims.tolist()))
    return sorted(out, key=lambda a: a.article_id)


def cluster_events(docs: Sequence[EventDoc], config: EventClusteringConfig) -> list[EventAssignment]:
    """Partition stories into events; one assignment per input doc, ordered by article_id.

    The result does not depend on the order of ``docs``. Raises ValueError on duplicate article ids
    or naive datetimes.
    """
    ids = [d.article_id for d in docs]
    if len(set(ids)) != len(ids):
        raise ValueError("article_id values must be unique")
    features = [doc_features(d) for d in docs]
    blocks = [cluster_block(block, context, config) for block, context in plan_blocks(features, config)]
    events = link_units([u for b in blocks for u in b.units], config)
    return assignments_of(events, blocks)

