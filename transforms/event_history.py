"""What a dated run adds to earlier ones: cumulative event rows, event merges and the next state.

``CumulateEvents`` turns tonight's event rows into rows that also say what the event is across every
partition so far (``first_seen_dt``, ``total_*``), records the earlier events tonight's evidence
merged (``event_merges``), and produces the next snapshot of the state (``schemas/state.py``): the
live events with their cumulative facts, the latest stories, the ids seen and the anchors that later
reprints may copy. All of it is keyed (event id, article id); only the bounded ``recent`` list is a
single value.
"""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any, Iterable

import apache_beam as beam

from schemas.state import EventFacts, event_row, recent_row
from schemas.tables import EventMergeRow, EventRow


def facts_of(row: EventRow, dt: str) -> EventFacts:
    """Tonight's part of an event, as cumulative facts."""
    return EventFacts(
        first_dt=dt,
        article_count=row.article_count,
        dup_group_count=row.dup_group_count,
        first_published_at=row.first_published_at,
        last_published_at=row.last_published_at,
        sources=tuple(row.sources),
    )


def _total(facts: Iterable[EventFacts]) -> EventFacts | None:
    total = None
    for f in sorted(facts, key=lambda f: (f.first_dt, f.article_count)):
        total = f if total is None else total.plus(f)
    return total


def _cumulative_row(element: tuple[str, dict], dt: str) -> Iterable[EventRow]:
    _, joined = element
    for row in joined["tonight"]:
        yield cumulative_row(row, joined["earlier"], dt)


def cumulative_row(row: EventRow, earlier: Iterable[EventFacts], dt: str) -> EventRow:
    """Tonight's row of an event with its totals over tonight and ``earlier`` (that event's earlier facts)."""
    total = _total([facts_of(row, dt)] + list(earlier))
    return dataclasses.replace(
        row,
        first_seen_dt=total.first_dt or None,
        total_article_count=total.article_count,
        total_dup_group_count=total.dup_group_count,
        total_first_published_at=total.first_published_at,
        total_last_published_at=total.last_published_at,
        total_sources=list(total.sources),
    )


def _state_event(element: tuple[str, dict], dt: str) -> Iterable[dict[str, Any]]:
    event_id, joined = element
    for unit in list(joined["unit"])[:1]:  # none: the event left the state (too old to be joined again)
        yield event_row(unit, _state_facts(event_id, joined, dt))


def _state_facts(event_id: str, joined: dict, dt: str) -> EventFacts:
    facts = [facts_of(r, dt) for r in joined["tonight"]] + list(joined["earlier"])
    total = _total(facts)
    if total is None:  # cannot happen: every live event has a past or a present
        raise RuntimeError(f"event {event_id} has no facts")
    return total


def _window_start(dt: str, days: int) -> str:
    return (date.fromisoformat(dt) - timedelta(days=days - 1)).isoformat()


class CumulateEvents(beam.PTransform):
    """{events: EventRow (tonight), merges: EventMerge, state_events: Unit (live, compact, from
    ClusterEvents), earlier_facts: (event_id, EventFacts)} → {events: EventRow with the cumulative
    columns, merges: EventMergeRow, state_events: state rows (``_state/events``)}.

    ``dt`` is the run's partition date (``YYYY-MM-DD``). The facts of an earlier event that tonight's
    evidence merged into another count toward the event it merged into. A ``one_off`` run (no partition
    date: it continues no earlier state and keeps none, so ``earlier_facts`` and ``merges`` are empty)
    totals tonight's rows alone and has no ``state_events``: the same rows without joins that find nothing.
    """

    def __init__(self, dt: str, one_off: bool = False) -> None:
        super().__init__()
        self._dt = dt
        self._one_off = one_off

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        dt = self._dt
        merges = inputs["merges"] | "MergeRows" >> beam.Map(
            lambda m: EventMergeRow(m.merged_id, m.into_id, dt))
        if self._one_off:
            events = inputs["events"] | "Cumulative" >> beam.Map(cumulative_row, (), dt)
            return {"events": events, "merges": merges,
                    "state_events": events | "NoState" >> beam.FlatMap(lambda _: [])}
        into = inputs["merges"] | "MergedInto" >> beam.Map(lambda m: (m.merged_id, ("into", m.into_id)))
        earlier = (
            {"facts": inputs["earlier_facts"], "into": into}
            | "JoinMerged" >> beam.CoGroupByKey()
            | "Rekey" >> beam.FlatMap(_rekey_facts)
        )
        tonight = inputs["events"] | "KeyTonight" >> beam.Map(lambda r: (r.event_id, r))
        events = (
            {"tonight": tonight, "earlier": earlier}
            | "JoinEarlier" >> beam.CoGroupByKey()
            | "Cumulative" >> beam.FlatMap(_cumulative_row, dt)
        )
        units = inputs["state_events"] | "KeyUnits" >> beam.Map(lambda u: (u.event_id, u))
        state_events = (
            {"unit": units, "tonight": tonight, "earlier": earlier}
            | "JoinState" >> beam.CoGroupByKey()
            | "StateRows" >> beam.FlatMap(_state_event, dt)
        )
        return {"events": events, "merges": merges, "state_events": state_events}


def _rekey_facts(element: tuple[str, dict]) -> Iterable[tuple[str, EventFacts]]:
    event_id, joined = element
    into = [i for _, i in joined["into"]]
    for facts in joined["facts"]:
        yield (into[0] if into else event_id), facts


def _resolved(element: tuple[str, dict]) -> Iterable[dict[str, Any]]:
    event_id, joined = element
    into = joined["into"]
    for row in joined["rows"]:
        yield dict(row, event_id=into[0]) if into else row


class NextState(beam.PTransform):
    """The rest of the next state snapshot: ``recent`` rows from ClusterEvents' latest stories;
    ``seen``: tonight's (article_id, text sha1) and the earlier ones of the last ``repeat_window_days``
    partitions; ``copies``: tonight's anchors that are not copies of earlier ones, with their
    shingles, group and event, and the earlier ones of the last ``copy_window_days`` partitions (their
    event ids resolved through tonight's merges), one row per anchor id (the latest).

    Inputs: {recent: DocFeatures, seen_tonight: (id, sha1), seen_earlier: state row,
    dups: (id, DupInfo), shingles: (anchor id, uint64[]), memberships: (anchor id, EventMembership),
    copies_earlier: state row, merges: EventMerge}.
    """

    def __init__(self, dt: str, repeat_window_days: int, copy_window_days: int) -> None:
        super().__init__()
        self._dt = dt
        self._repeat_from = _window_start(dt, repeat_window_days)
        self._copy_from = _window_start(dt, copy_window_days)

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        dt, repeat_from, copy_from = self._dt, self._repeat_from, self._copy_from
        recent = inputs["recent"] | "RecentRows" >> beam.Map(recent_row)
        seen = (
            (inputs["seen_tonight"] | "SeenRows" >> beam.Map(
                lambda kv: {"article_id": kv[0], "text_sha1": kv[1], "dt": dt}),
             inputs["seen_earlier"] | "SeenInWindow" >> beam.Filter(lambda r: repeat_from <= r["dt"] < dt))
            | "AllSeen" >> beam.Flatten()
        )
        anchors = inputs["dups"] | "Anchors" >> beam.FlatMap(
            lambda kv: [(kv[0], kv[1].dup_group_id)] if kv[1].is_anchor else [])
        tonight_copies = (
            {"group": anchors, "shingles": inputs["shingles"], "event": inputs["memberships"]}
            | "JoinAnchors" >> beam.CoGroupByKey()
            | "CopyRows" >> beam.FlatMap(_copy_row, dt)
        )
        into = inputs["merges"] | "MergedInto" >> beam.Map(lambda m: (m.merged_id, m.into_id))
        earlier_copies = (
            {"rows": inputs["copies_earlier"]
             | "CopiesInWindow" >> beam.Filter(lambda r: copy_from <= r["dt"] < dt)
             | "KeyByEvent" >> beam.Map(lambda r: (r["event_id"], r)),
             "into": into}
            | "JoinCopyMerges" >> beam.CoGroupByKey()
            | "ResolveEvents" >> beam.FlatMap(_resolved)
        )
        copies = (
            (tonight_copies, earlier_copies)
            | "AllCopies" >> beam.Flatten()
            | "ByAnchorId" >> beam.Map(lambda r: (r["article_id"], r))
            | "GroupAnchorIds" >> beam.GroupByKey()
            | "LatestText" >> beam.Map(_latest_text)
        )
        return {"recent": recent, "seen": seen, "copies": copies}


def _latest_text(element: tuple[str, Iterable[dict[str, Any]]]) -> dict[str, Any]:
    """One copies row per anchor id, the latest: an id can be tonight's anchor and an earlier one when it
    comes back after the repeat window but within the copy window (``best_earlier``)."""
    _, rows = element
    return max(rows, key=lambda r: r["dt"])


def _copy_row(element: tuple[str, dict], dt: str) -> Iterable[dict[str, Any]]:
    article_id, joined = element
    if not joined["group"] or not joined["shingles"] or not joined["event"]:
        return []  # not an anchor of tonight (a copy, or joined to an earlier group)
    membership = joined["event"][0]
    return [{
        "article_id": article_id,
        "dup_group_id": joined["group"][0],
        "event_id": membership.event_id,
        "event_similarity": float(membership.similarity),
        "published_at": None,
        "shingles": [int(h) for h in joined["shingles"][0]],
        "dt": dt,
    }]


__all__ = ["CumulateEvents", "NextState", "facts_of"]
