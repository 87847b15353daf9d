"""The state between runs: rows round-trip through their explicit schemas, facts add up."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

from schemas.state import (
    STATE_EVENTS_SCHEMA,
    STATE_RECENT_SCHEMA,
    EventFacts,
    event_facts,
    event_row,
    event_unit,
    recent_doc,
    recent_row,
)
from transforms.event_clustering import cluster_events
from transforms.event_config import EventClusteringConfig
from transforms.event_features import EventDoc, doc_features
from transforms.event_state import EngineState, advance

T0 = datetime(2026, 3, 18, 9, tzinfo=timezone.utc)


def _docs() -> list[EventDoc]:
    fire = "Fire crews fought a blaze at the Brennick plastics plant in Korvel on Tuesday, officials said."
    bridge = "Port Halvern closed the Sallow Street Bridge after inspectors found cracks, the council said."
    vec = {"f": np.array([1.0, 0.0, 0.0], dtype=np.float32), "b": np.array([0.0, 1.0, 0.0], dtype=np.float32)}
    return [EventDoc(f"{k}{i}", vec[k], None, text + f" Update {i}.", T0.replace(hour=9 + i))
            for i in range(3) for k, text in (("f", fire), ("b", bridge))]


def test_event_and_recent_rows_round_trip_through_their_schemas():
    config = EventClusteringConfig(scale_neighbours=0, centre_embeddings=False)
    _, _, state = advance(EngineState(), [doc_features(d) for d in _docs()], config)
    assert len(state.events) == 2
    facts = EventFacts("2026-03-18", 3, 2, T0, T0.replace(hour=11), ("Harbor Ledger", "Riverbend Times"))
    rows = [event_row(e, facts) for e in state.events]
    table = pa.Table.from_pylist(rows, schema=STATE_EVENTS_SCHEMA)  # the schema accepts every row
    for event, row in zip(state.events, table.to_pylist()):
        back = event_unit(row)
        assert back.event_id == event.event_id and back.size == event.size
        assert back.founder == event.founder and back.names == event.names
        assert np.allclose(back.dense, event.dense, atol=1e-6)
        assert np.array_equal(back.sparse.ids, event.sparse.ids)
        assert (back.t_min, back.t_max) == (event.t_min, event.t_max)
        assert event_facts(row) == facts
    recent = pa.Table.from_pylist([recent_row(d) for d in state.recent], schema=STATE_RECENT_SCHEMA)
    for doc, row in zip(state.recent, recent.to_pylist()):
        back = recent_doc(row)
        assert back.article_id == doc.article_id and back.hours == doc.hours and back.names == doc.names
        assert np.array_equal(back.term_ids, doc.term_ids) and np.array_equal(back.name_ids, doc.name_ids)


def test_a_state_read_back_from_rows_continues_like_the_one_in_memory():
    config = EventClusteringConfig(scale_neighbours=0, centre_embeddings=False)
    docs = [doc_features(d) for d in _docs()]
    night1, night2 = docs[:3], docs[3:]
    _, _, state = advance(EngineState(), night1, config)
    facts = EventFacts("2026-03-18", 1, 1, None, None, ())
    rows = pa.Table.from_pylist([event_row(e, facts) for e in state.events], schema=STATE_EVENTS_SCHEMA).to_pylist()
    recent = pa.Table.from_pylist([recent_row(d) for d in state.recent], schema=STATE_RECENT_SCHEMA).to_pylist()
    stored = EngineState([event_unit(r) for r in rows], [recent_doc(r) for r in recent])
    in_memory, _, _ = advance(state, night2, config)
    from_rows, _, _ = advance(stored, night2, config)
    assert [(a.article_id, a.event_id) for a in from_rows] == [(a.article_id, a.event_id) for a in in_memory]
    # and both nights give the one-shot events and ids
    one_shot = {a.article_id: a.event_id for a in cluster_events(_docs(), config)}
    first, _, _ = advance(EngineState(), night1, config)
    assert {a.article_id: a.event_id for a in list(first) + list(from_rows)} == one_shot


def test_facts_add_up_across_nights():
    a = EventFacts("2026-03-18", 3, 2, T0, T0.replace(hour=12), ("B", "A"))
    b = EventFacts("2026-03-19", 2, 1, None, T0.replace(day=19), ("C", "A"))
    total = a.plus(b)
    assert total == EventFacts("2026-03-18", 5, 3, T0, T0.replace(day=19), ("A", "B", "C"))
    assert b.plus(a) == total
