"""The engine's memory between runs: the events so far and the latest stories. Pure, no Beam.

``advance(state, new stories) -> (assignments, merges, next state)`` is one night (or one stream
window): the night's stories are clustered in time blocks with the state's latest stories as the
first block's context, then linked to the state's events exactly as a one-shot run's blocks are
linked to each other (``transforms/event_engine.py``). A one-shot run is ``advance`` on an empty state.

What the state holds, and why it stays small
---------------------------------------------
- **events**: per live event its id, founder, member count, publish-time span, summed signal
  vectors (dense in full; sparse cut to the ``state_features`` largest weights) and its names with
  counts (the index that lets a follow-up months later find it). An event whose last story is older
  than ``max_time_gap_hours`` before the newest story can never be joined again and leaves the state.
- **recent**: the latest ``context_docs`` stories' features (embedding, hashed words, names), the
  context of the next night's first block.

Its size is bounded by the events of one ``max_time_gap_hours`` window and ``context_docs`` stories,
not by history. Rows and schema: ``schemas/state.py``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from transforms.event_clustering import EventAssignment, assignments_of, event_id_of
from transforms.event_config import EventClusteringConfig
from transforms.event_engine import (
    SparseVec,
    Unit,
    cluster_block,
    latest,
    plan_blocks,
)
from transforms.event_features import DocFeatures
from transforms.event_linking import link_units

__all__ = ["EngineState", "EventMerge", "advance", "compact_event"]


@dataclass(frozen=True)
class EventMerge:
    """New evidence showed two earlier events are one: ``merged_id`` now reads as ``into_id``."""

    merged_id: str
    into_id: str


@dataclass
class EngineState:
    events: list[Unit] = field(default_factory=list)
    recent: list[DocFeatures] = field(default_factory=list)


def _top(vector: SparseVec, n: int) -> SparseVec:
    if len(vector.ids) <= n:
        return vector
    keep = np.sort(np.argpartition(-np.abs(vector.values), n - 1)[:n])
    return SparseVec(vector.ids[keep], vector.values[keep])


def compact_event(event: Unit, config: EventClusteringConfig) -> Unit:
    """An event as the state keeps it: its id fixed, no member list, sparse sums cut to size."""
    return replace(
        event,
        key=event_id_of(event),
        event_id=event_id_of(event),
        sparse=_top(event.sparse, config.state_features),
        raw_sparse=_top(event.raw_sparse, config.state_features),
        members=[],
        absorbed=[],
    )


def advance(state: EngineState, docs: Sequence[DocFeatures], config: EventClusteringConfig,
            ) -> tuple[list[EventAssignment], list[EventMerge], EngineState]:
    """Cluster ``docs`` against ``state``: their events (earlier ids where they continue earlier
    events), the earlier events they showed to be one, and the state after them."""
    prior = latest(state.recent, config.context_docs)
    blocks = [cluster_block(block, context, config)
              for block, context in plan_blocks(docs, config, prior=prior)]
    events = link_units([u for b in blocks for u in b.units] + list(state.events), config)
    merges = sorted((EventMerge(merged, event.event_id) for event in events if event.event_id
                     for merged in event.absorbed), key=lambda m: m.merged_id)
    # Events that can never be joined again leave: last story older than max_time_gap_hours
    # before the newest, or no known time at all (nothing places them in time).
    newest = max((e.t_max for e in events if math.isfinite(e.t_max)), default=math.nan)
    live = [compact_event(e, config) for e in events
            if math.isfinite(e.t_max) and not newest - e.t_max > config.max_time_gap_hours]
    tonight = {d.article_id for d in docs}
    recent = latest([d for d in state.recent if d.article_id not in tonight] + list(docs), config.context_docs)
    return assignments_of(events, blocks), merges, EngineState(sorted(live, key=lambda e: e.key), recent)
