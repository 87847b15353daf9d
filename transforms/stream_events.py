"""The streaming job's two stateful steps: event assignment per window, and cumulative event rows.

``AdvanceEvents`` is ``transforms.event_state.advance`` applied to each window's stories, with the
engine state (live events and the latest stories) in Beam state, not in a worker's memory: the same
function the batch job (``ClusterEvents``) and incremental runs compute, so a window's ids and
decisions are the ones a dated run would make on the same stories and the same state; a one-window
stream gives exactly the batch job's events. Its size is bounded as in incremental runs: events whose
last story is older than ``max_time_gap_hours`` before the newest leave, and ``context_docs``
stories are kept. Before the engine, each anchor is looked up among the anchors of the last
``copy_window_days`` (the ``copies`` state, by the same LSH bands and verification as
``MatchEarlierCopies`` in nightly runs): a reprint in a later window joins the earlier group and event
and is not clustered again.

``CumulateStreamEvents`` turns each window's event rows (``CanonicalizeEvents``) into rows with the
cumulative columns (``first_seen_dt``, ``total_*``), with the per-event facts in Beam state (pruned to
the live events) and the facts of an event merged into another counted toward it, as
``CumulateEvents`` does for dated runs.

Both need every story of a window at once and one ordered history, so each groups its window's input
on one key and then runs in the global window (Beam state is per key and window: state in a fixed
window would be forgotten when the window closes). Outputs keep the window's end-of-window timestamp,
so the caller puts them back into their windows with the same ``WindowInto``. State schemas:
``schemas/stream.py``.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Tuple

import apache_beam as beam
import numpy as np
from apache_beam.coders import Coder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.transforms.window import GlobalWindows

from schemas.records import Article, EventMembership
from schemas.state import EventFacts, event_facts, event_row, event_unit, recent_doc, recent_row
from schemas.stream import STREAM_STATE_SCHEMAS, decode_rows, encode_rows
from schemas.tables import EventMergeRow, EventRow
from transforms.cluster_events import joined_doc_features
from transforms.earlier_copies import copies_after, match_window
from transforms.event_config import EventClusteringConfig
from transforms.event_features import DocFeatures
from transforms.event_history import _cumulative_row, _total
from transforms.event_state import EngineState, EventMerge, advance
from transforms.minhash import NearDupConfig, shingles
from transforms.write_window_tables import window_start

STAGE = "stream_events"
_KEY = "events"
MERGES, LIVE, COPIED = "merges", "live", "copied"
_ENGINE_TABLES = ("events", "recent")
_NO_FACTS = EventFacts("", 0, 0, None, None, ())


class StateRowsCoder(Coder):
    """A Beam coder for ``{table: rows}`` with explicit schemas (Arrow IPC, ``schemas/stream.py``)."""

    def __init__(self, tables: tuple[str, ...]) -> None:
        self._tables = tables

    def _schemas(self) -> dict:
        return {t: STREAM_STATE_SCHEMAS[t] for t in self._tables}

    def encode(self, value: dict[str, list[dict[str, Any]]]) -> bytes:
        return encode_rows(value, self._schemas())

    def decode(self, encoded: bytes) -> dict[str, list[dict[str, Any]]]:
        return decode_rows(encoded, self._schemas())

    def is_deterministic(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._tables == other._tables  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._tables))


def _features(element: tuple[str, dict], max_text_chars: int, shingle_size: int, window=beam.DoFn.WindowParam
              ) -> Iterable[tuple[DocFeatures, np.ndarray]]:
    # A story without a publish time is placed at its window's end (its arrival), as a dated run
    # places it at noon of its partition day.
    arrived = datetime.fromtimestamp(float(window.end), tz=timezone.utc)
    for doc in joined_doc_features(element, max_text_chars, arrived):
        yield doc, shingles(element[1]["articles"][0].clean_text or "", shingle_size)


class _Advance(beam.DoFn):
    """One window's anchors: those that copy an anchor of an earlier window (``copies`` state, the last
    ``copy_window_days``) join its group and event, as ``MatchEarlierCopies`` joins them in nightly runs;
    the others go through ``advance`` and become anchors later windows are matched against."""

    ENGINE = ReadModifyWriteStateSpec("engine", StateRowsCoder(_ENGINE_TABLES))
    COPIES = ReadModifyWriteStateSpec("copies", StateRowsCoder(("copies",)))

    def __init__(self, config: EventClusteringConfig, near_dup: NearDupConfig, copy_window_days: int) -> None:
        self._config = config
        self._near_dup = near_dup
        self._copy_window = timedelta(days=copy_window_days)

    def process(self, element: tuple[str, Iterable[tuple[DocFeatures, np.ndarray]]],
                timestamp: Any = beam.DoFn.TimestampParam,
                engine=beam.DoFn.StateParam(ENGINE), copies=beam.DoFn.StateParam(COPIES)) -> Iterable[Any]:
        _, items = element
        # The grouped window's timestamp (its end): anchors stored more than the copy window before it leave.
        now = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
        items = sorted(items, key=lambda item: item[0].article_id)
        window = match_window((copies.read() or {"copies": []})["copies"],
                              ((doc.article_id, hashes) for doc, hashes in items), now - self._copy_window,
                              self._near_dup)
        docs = [doc for doc, _ in items if doc.article_id not in window.copied]
        stored = engine.read() or {t: [] for t in _ENGINE_TABLES}
        state = EngineState([event_unit(r) for r in stored["events"]], [recent_doc(r) for r in stored["recent"]])
        assignments, merges, after = advance(state, docs, self._config)
        engine.write({"events": [event_row(u, _NO_FACTS) for u in after.events],
                      "recent": [recent_row(d) for d in after.recent]})
        into = {m.merged_id: m.into_id for m in merges}
        copies.write({"copies": copies_after(window, ((a.article_id, a.event_id, a.similarity) for a in assignments),
                                             into, now)})
        Metrics.counter(STAGE, "windows").inc()
        Metrics.counter(STAGE, "representatives").inc(len(docs))
        Metrics.counter(STAGE, "earlier_events_merged").inc(len(merges))
        Metrics.gauge(STAGE, "live_events").set(len(after.events))
        Metrics.counter(STAGE, "groups_joined_to_earlier_window").inc(len(window.copied))
        Metrics.gauge(STAGE, "copy_anchors").set(len(window.kept) + len(window.fresh))
        for a in assignments:
            yield a.article_id, EventMembership(a.article_id, a.event_id, a.similarity)
        earlier = {anchor.article_id: anchor for anchor, _ in window.copied.values()}
        for anchor_id, anchor in sorted(earlier.items()):  # once per earlier anchor, in its (merged) event
            yield anchor_id, EventMembership(anchor_id, into.get(anchor.event_id, anchor.event_id),
                                             anchor.event_similarity)
        for new_id, (anchor, jaccard) in sorted(window.copied.items()):
            yield beam.pvalue.TaggedOutput(COPIED, (new_id, (
                dataclasses.replace(anchor, shingles=np.zeros(0, dtype=np.uint64)), jaccard)))
        for merge in merges:
            yield beam.pvalue.TaggedOutput(MERGES, merge)
        yield beam.pvalue.TaggedOutput(LIVE, sorted(u.event_id for u in after.events))


class AdvanceEvents(beam.PTransform):
    """{anchors: Article, embeddings: (article_id, float32[dim])}, in fixed windows →
    {memberships: (anchor_id, EventMembership), merges: EventMerge, live: [event ids after the window],
    copied: (anchor_id, (EarlierAnchor, jaccard)) for the window's anchors that copy an earlier
    window's anchor (their memberships are the earlier anchor's, keyed by its id)}, in the same windows
    (``rewindow()`` returns the job's ``WindowInto``). Metrics: ``stream_events/windows``,
    ``representatives``, ``earlier_events_merged``, ``groups_joined_to_earlier_window``,
    ``live_events`` and ``copy_anchors`` (gauges).
    """

    def __init__(self, config: EventClusteringConfig, rewindow: Callable[[], beam.PTransform],
                 near_dup: NearDupConfig | None = None, copy_window_days: int = 7,
                 max_text_chars: int = 20_000) -> None:
        super().__init__()
        self._config = config
        self._rewindow = rewindow
        self._near_dup = near_dup or NearDupConfig()
        self._copy_window_days = copy_window_days
        self._max_text_chars = max_text_chars

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        keyed = inputs["anchors"] | "KeyAnchors" >> beam.Map(lambda a: (a.article_id, a))
        advanced = (
            {"articles": keyed, "embeddings": inputs["embeddings"]}
            | "JoinEmbeddings" >> beam.CoGroupByKey()
            | "Features" >> beam.FlatMap(_features, self._max_text_chars, self._near_dup.shingle_size)
            | "OneKey" >> beam.Map(lambda d: (_KEY, d))
            | "GroupWindow" >> beam.GroupByKey()
            | "Global" >> beam.WindowInto(GlobalWindows())
            | "Advance" >> beam.ParDo(_Advance(self._config, self._near_dup, self._copy_window_days)
                                      ).with_input_types(Tuple[str, Any]).with_outputs(
                                          MERGES, LIVE, COPIED, main="memberships")
        )
        return {name: advanced[name] | f"Rewindow:{name}" >> self._rewindow()
                for name in ("memberships", MERGES, LIVE, COPIED)}


class _Cumulate(beam.DoFn):
    FACTS = ReadModifyWriteStateSpec("facts", StateRowsCoder(("facts",)))

    def process(self, element: tuple[str, tuple[str, list[tuple[str, Any]]]],
                facts_state=beam.DoFn.StateParam(FACTS)) -> Iterable[Any]:
        _, (dt, tagged) = element
        stored = facts_state.read() or {"facts": []}
        facts = {r["event_id"]: event_facts(r) for r in stored["facts"]}
        rows = sorted((v for t, v in tagged if t == "row"), key=lambda r: r.event_id)
        merges = sorted((v for t, v in tagged if t == "merge"), key=lambda m: m.merged_id)
        live = [v for t, v in tagged if t == LIVE]
        earlier: dict[str, list[EventFacts]] = {}
        for event_id, f in facts.items():
            earlier.setdefault(event_id, []).append(f)
        for merge in merges:  # an earlier event merged into another counts toward it
            earlier.setdefault(merge.into_id, []).extend(earlier.pop(merge.merged_id, []))
            yield beam.pvalue.TaggedOutput(MERGES, EventMergeRow(merge.merged_id, merge.into_id, dt))
        after = {event_id: _total(fs) for event_id, fs in earlier.items() if fs}
        for row in rows:
            (cumulative,) = _cumulative_row((row.event_id, {"tonight": [row], "earlier": earlier.get(row.event_id, [])}), dt)
            after[row.event_id] = EventFacts(
                first_dt=cumulative.first_seen_dt or dt,
                article_count=cumulative.total_article_count,
                dup_group_count=cumulative.total_dup_group_count,
                first_published_at=cumulative.total_first_published_at,
                last_published_at=cumulative.total_last_published_at,
                sources=tuple(cumulative.total_sources or ()),
            )
            yield cumulative
        if live:  # only the events the engine still keeps can change again
            keep = set(live[-1])
            after = {k: v for k, v in after.items() if k in keep}
        facts_state.write({"facts": [dict(dataclasses.asdict(f), event_id=k, sources=list(f.sources))
                                     for k, f in sorted(after.items())]})
        Metrics.gauge(STAGE, "events_with_facts").set(len(after))


def _with_dt(element: tuple[str, Iterable[tuple[str, Any]]], window=beam.DoFn.WindowParam
             ) -> tuple[str, tuple[str, list[tuple[str, Any]]]]:
    key, tagged = element
    return key, (f"{window_start(window):%Y-%m-%d}", list(tagged))


class CumulateStreamEvents(beam.PTransform):
    """{events: EventRow (a window's part), merges: EventMerge, live: [event ids]}, in fixed windows →
    {events: EventRow with the cumulative columns (``first_seen_dt``: the date of the event's first
    window), merges: EventMergeRow}, back in the same windows."""

    def __init__(self, rewindow: Callable[[], beam.PTransform]) -> None:
        super().__init__()
        self._rewindow = rewindow

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        tagged = (
            (inputs["events"] | "TagRows" >> beam.Map(lambda r: (_KEY, ("row", r))),
             inputs["merges"] | "TagMerges" >> beam.Map(lambda m: (_KEY, ("merge", m))),
             inputs["live"] | "TagLive" >> beam.Map(lambda ids: (_KEY, (LIVE, ids))))
            | "All" >> beam.Flatten()
            | "GroupWindow" >> beam.GroupByKey()
            | "WithDate" >> beam.Map(_with_dt)
            | "Global" >> beam.WindowInto(GlobalWindows())
            | "Cumulate" >> beam.ParDo(_Cumulate()).with_input_types(Tuple[str, Any]).with_outputs(MERGES, main="events")
        )
        return {"events": tagged.events | "Rewindow:events" >> self._rewindow(),
                "merges": tagged[MERGES] | "Rewindow:merges" >> self._rewindow()}


__all__ = ["AdvanceEvents", "CumulateStreamEvents", "StateRowsCoder", "Article", "EventRow", "EventMerge"]
