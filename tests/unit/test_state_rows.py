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


# --- reading a snapshot's files -------------------------------------------------------------------

def _copies_rows() -> list[dict]:
    return [{"article_id": f"a{i}", "dup_group_id": f"g{i}", "event_id": f"e{i % 2}", "event_similarity": 0.5 + i,
             "published_at": T0 if i else None, "shingles": [2**64 - 1 - i, i, 7 * i][:i + 1], "dt": "2026-03-18"}
            for i in range(3)]


def _write(path, schema: pa.Schema, rows: list[dict]) -> str:
    from transforms.write_tables import write_parquet

    with open(path, "wb") as sink:
        write_parquet(sink, schema, rows, rows_per_group=2)
    return str(path)


def test_state_rows_are_pyarrow_rows_with_lists_of_numbers_as_numpy_arrays(tmp_path):
    import pyarrow.parquet as pq

    from pipelines.state_store import read_state_file
    from schemas.state import STATE_COPIES_SCHEMA

    rows = _copies_rows()
    path = _write(tmp_path / "copies.parquet", STATE_COPIES_SCHEMA, rows)
    read = list(read_state_file(path, "copies", rows_per_batch=2))  # two batches: the second starts at row 2
    as_lists = [{**r, "shingles": r["shingles"].tolist()} for r in read]
    assert as_lists == rows == pq.read_table(path).to_pylist()  # pyarrow's own rows, but for the arrays
    assert all(r["shingles"].dtype == np.uint64 and r["shingles"].flags.writeable for r in read)
    assert read[2]["shingles"].tolist() == [2**64 - 3, 2, 14]  # the full 64 bits

    recent = [recent_row(d) for d in _state_after_one_night().recent]
    path = _write(tmp_path / "recent.parquet", STATE_RECENT_SCHEMA, recent)
    back = list(read_state_file(path, "recent"))
    assert [r["embedding"].dtype for r in back[:1]] == [np.float32]
    assert [r["term_counts"].dtype for r in back[:1]] == [np.int32]
    assert [r["names"] for r in back] == [r["names"] for r in recent]  # lists of strings stay lists
    docs = _state_after_one_night().recent
    assert len(back) == len(docs) == 6
    for row, doc in zip(back, docs):
        assert _same_doc(recent_doc(row), doc)


def _state_after_one_night():
    config = EventClusteringConfig(scale_neighbours=0, centre_embeddings=False)
    return advance(EngineState(), [doc_features(d) for d in _docs()], config)[2]


def _same_doc(a, b) -> bool:
    return (a.article_id, a.hours, a.names, a.words) == (b.article_id, b.hours, b.names, b.words) \
        and np.array_equal(a.embedding, b.embedding.astype(np.float32)) and np.array_equal(a.term_ids, b.term_ids) \
        and np.array_equal(a.term_counts, b.term_counts) and np.array_equal(a.name_ids, b.name_ids)


def test_a_state_file_of_another_major_version_or_without_a_column_is_refused(tmp_path):
    import pytest

    from pipelines.state_store import read_state_file
    from schemas.state import STATE_COPIES_SCHEMA

    rows = _copies_rows()
    newer = STATE_COPIES_SCHEMA.with_metadata({**STATE_COPIES_SCHEMA.metadata, b"storybeam.schema_version": b"2.0"})
    path = _write(tmp_path / "newer.parquet", newer, rows)
    with pytest.raises(ValueError, match=r"state table 'copies' has schema version '2.0'; this code reads '1.0'"):
        list(read_state_file(path, "copies"))
    older = STATE_COPIES_SCHEMA.remove(STATE_COPIES_SCHEMA.get_field_index("dt"))
    path = _write(tmp_path / "older.parquet", older, [{k: v for k, v in r.items() if k != "dt"} for r in rows])
    with pytest.raises(ValueError, match=r"state table 'copies' lacks the columns \['dt'\]"):
        list(read_state_file(path, "copies"))


def test_read_state_reads_every_file_of_the_snapshot_and_refuses_an_unreadable_one_before_any_work(tmp_path):
    import apache_beam as beam
    import pytest
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.testing.util import assert_that, equal_to

    from pipelines.options import ConfigError
    from pipelines.state_store import read_state, state_prefix
    from schemas.state import STATE_SCHEMAS

    rows = _copies_rows()
    for table, schema in STATE_SCHEMAS.items():
        folder = tmp_path / "_state" / table / "dt=2026-03-18"
        folder.mkdir(parents=True)
        assert state_prefix(str(tmp_path), table, "dt=2026-03-18") == f"{folder}/part"
        if table == "copies":  # two shards
            _write(folder / "part-00000-of-00002.parquet", schema, rows[:1])
            _write(folder / "part-00001-of-00002.parquet", schema, rows[1:])
        else:
            _write(folder / "part-00000-of-00001.parquet", schema, [])
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        state = read_state(pipeline, str(tmp_path), "2026-03-18")
        assert_that(state["copies"] | beam.Map(lambda r: (r["article_id"], r["shingles"].tolist())),
                    equal_to([(r["article_id"], r["shingles"]) for r in rows]), label="copies")
        assert_that(state["events"], equal_to([]), label="events")
    # Refused when the graph is built, before any work, with one message.
    newer = STATE_SCHEMAS["copies"].with_metadata({**STATE_SCHEMAS["copies"].metadata,
                                                    b"storybeam.schema_version": b"2.0"})
    second = tmp_path / "_state" / "copies" / "dt=2026-03-18" / "part-00001-of-00002.parquet"
    _write(second, newer, rows[1:])
    with pytest.raises(ConfigError, match=rf"{second}: state table 'copies' has schema version '2.0'"):
        read_state(beam.Pipeline(runner=FnApiRunner()), str(tmp_path), "2026-03-18")
    (tmp_path / "_state" / "seen" / "dt=2026-03-18" / "part-00000-of-00001.parquet").unlink()
    with pytest.raises(ConfigError, match="the state snapshot of 2026-03-18 has no files for 'seen'"):
        read_state(beam.Pipeline(runner=FnApiRunner()), str(tmp_path), "2026-03-18")
