"""Replay a labelled set as a stream: one ``advance`` of the event engine per night (or week) of
publish dates, in date order, each night seeing only the state the nights before it left.

The engine is the one the job runs (``transforms/event_state.advance`` is what ``ClusterEvents`` does
with a state); the replay scores the final article → event assignment against the gold labels, both
with the ids as each night wrote them and with merged ids resolved through the merges recorded, and
checks that no article's event changes after its night (it cannot: each article is assigned once).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from evaluation.events_eval import event_docs
from evaluation.metrics import clustering_report
from transforms.event_config import EventClusteringConfig
from transforms.event_features import doc_features
from transforms.event_state import EngineState, EventMerge, advance


@dataclass
class Replay:
    assignment: dict[str, str]           # article id -> event id as its night wrote it
    merges: list[EventMerge]
    night_seconds: list[float]
    night_sizes: list[int]
    live_events: list[int] = field(default_factory=list)  # events in the state after each night

    def resolved(self) -> dict[str, str]:
        return resolve_merges(self.assignment, {m.merged_id: m.into_id for m in self.merges})


def resolve_merges(assignment: dict[str, str], alias: dict[str, str]) -> dict[str, str]:
    """Each article's event id resolved through ``alias`` (merged id -> the id it was merged into),
    following chains of merges: what a reader does with the ``event_merges`` table."""
    def final(event_id: str) -> str:
        seen = set()
        while event_id in alias and event_id not in seen:
            seen.add(event_id)
            event_id = alias[event_id]
        return event_id

    return {a: final(e) for a, e in assignment.items()}


def replay(records: Sequence[dict], embeddings: np.ndarray, config: EventClusteringConfig | None = None,
           night_days: float = 7.0) -> Replay:
    """Feed ``records`` night by night (``night_days`` of publish time each; undated ones last)."""
    config = config or EventClusteringConfig()
    features = [doc_features(d) for d in event_docs(records, embeddings)]
    dated = sorted((f for f in features if np.isfinite(f.hours)), key=lambda f: (f.hours, f.article_id))
    start = dated[0].hours if dated else 0.0
    nights: dict[int, list] = {}
    for f in features:
        night = int((f.hours - start) // (24 * night_days)) if np.isfinite(f.hours) else 10**9
        nights.setdefault(night, []).append(f)
    state = EngineState()
    out = Replay({}, [], [], [])
    for night in sorted(nights):
        started = time.perf_counter()
        assignments, merges, state = advance(state, nights[night], config)
        out.night_seconds.append(time.perf_counter() - started)
        out.night_sizes.append(len(nights[night]))
        out.live_events.append(len(state.events))
        for a in assignments:
            if a.article_id in out.assignment:
                raise AssertionError(f"{a.article_id} assigned twice")
            out.assignment[a.article_id] = a.event_id
        out.merges.extend(merges)
    return out


def replay_report(records: Sequence[dict], result: Replay) -> dict:
    gold = {str(r["id"]): r["label"] for r in records}
    return {
        "nights": len(result.night_seconds),
        "b3_f1_as_written": clustering_report(result.assignment, gold)["b3_f1"],
        "b3_f1_merges_resolved": clustering_report(result.resolved(), gold)["b3_f1"],
        "merges": len(result.merges),
        "seconds_total": sum(result.night_seconds),
        "live_events_at_end": result.live_events[-1] if result.live_events else 0,
    }
