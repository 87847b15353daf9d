"""What the streaming job keeps in Beam state and writes besides the output tables: explicit schemas.

The streaming job (``pipelines/stream.py``) keeps the same state as incremental runs
(``schemas/state.py``), split where its two steps keep it:

- the engine step keeps ``events`` (the engine columns of ``_state/events``: summed vectors, span,
  names of every live event) and ``recent`` (``_state/recent`` as it is);
- the engine step also keeps ``copies`` (``_state/copies`` with the end of the window that stored each
  anchor instead of a partition date, and its LSH bucket keys so that no window recomputes them): the near-duplicate anchors of the last ``copy_window_days``, so a
  reprint in a later window is a copy of the earlier article;
- the cumulation step keeps ``facts`` (the reader-facing columns of ``_state/events``: first_dt and
  the cumulative counts, span and sources), keyed by event id.

Each is one Beam ``ValueState`` encoded as Arrow IPC with these schemas (``encode_rows`` /
``decode_rows``), so what Beam checkpoints is as explicit as the files of incremental runs.

``deliveries`` is the stream's message accounting, one row per window pane: every delivery is an
article row, a dead letter, a repeat of an article already ingested, or a duplicate delivery of a
message already processed.
"""
from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

from schemas.state import STATE_COPIES_SCHEMA, STATE_EVENTS_SCHEMA, STATE_RECENT_SCHEMA, other_major_version

STREAM_SCHEMA_VERSION = "1.0"

# The reader-facing columns of a ``_state/events`` row (``schemas.state.EventFacts``).
FACT_COLUMNS = ("first_dt", "article_count", "dup_group_count", "first_published_at",
                "last_published_at", "sources")


def _project(name: str, keep: Any) -> pa.Schema:
    fields = [f for f in STATE_EVENTS_SCHEMA if keep(f.name)]
    return pa.schema(fields, metadata={"storybeam.table": f"_stream_state/{name}",
                                       "storybeam.schema_version": STREAM_SCHEMA_VERSION})


_TS = pa.timestamp("us", tz="UTC")

STREAM_STATE_SCHEMAS: dict[str, pa.Schema] = {
    "events": _project("events", lambda n: n not in FACT_COLUMNS),
    "recent": STATE_RECENT_SCHEMA,
    "copies": pa.schema([f for f in STATE_COPIES_SCHEMA if f.name != "dt"]
                        + [pa.field("band_keys", pa.list_(pa.field("element", pa.binary())), nullable=False),
                           pa.field("window_end", _TS, nullable=False)],
                        metadata={"storybeam.table": "_stream_state/copies",
                                  "storybeam.schema_version": STREAM_SCHEMA_VERSION}),
    "facts": _project("facts", lambda n: n == "event_id" or n in FACT_COLUMNS),
}

DELIVERIES_SCHEMA = pa.schema(
    [
        pa.field("window_start", _TS, nullable=False),
        pa.field("window_end", _TS, nullable=False),
        pa.field("pane_index", pa.int64(), nullable=False),
        pa.field("deliveries", pa.int64(), nullable=False),  # messages received, redeliveries included
        pa.field("duplicate_deliveries", pa.int64(), nullable=False),  # same message id again
        pa.field("repeats", pa.int64(), nullable=False),  # same article id and text as an earlier message
        pa.field("dead_letters", pa.int64(), nullable=False),
        pa.field("articles", pa.int64(), nullable=False),
    ],
    metadata={"storybeam.table": "deliveries", "storybeam.schema_version": STREAM_SCHEMA_VERSION},
)
DELIVERY_CATEGORIES = ("deliveries", "duplicate_deliveries", "repeats", "dead_letters", "articles")


def encode_rows(tables: dict[str, list[dict[str, Any]]], schemas: dict[str, pa.Schema]) -> bytes:
    """Rows of several tables → one bytes value (per table: its length, then an Arrow IPC stream)."""
    out = io.BytesIO()
    for name in sorted(schemas):
        schema = schemas[name]
        rows = [{k: r[k] for k in schema.names} for r in tables.get(name, [])]
        sink = io.BytesIO()
        with ipc.new_stream(sink, schema) as writer:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
        data = sink.getvalue()
        out.write(len(data).to_bytes(8, "big"))
        out.write(data)
    return out.getvalue()


def decode_rows(data: bytes, schemas: dict[str, pa.Schema]) -> dict[str, list[dict[str, Any]]]:
    """The inverse of :func:`encode_rows`; refuses a stored schema version it does not know."""
    tables: dict[str, list[dict[str, Any]]] = {}
    view = memoryview(data)
    at = 0
    for name in sorted(schemas):
        size = int.from_bytes(view[at:at + 8], "big")
        at += 8
        table = ipc.open_stream(pa.BufferReader(view[at:at + size])).read_all()
        at += size
        other = other_major_version(table.schema, schemas[name])
        if other:
            raise ValueError(f"stream state {name!r} has schema version {other[0]!r}; this code reads {other[1]!r}")
        tables[name] = table.to_pylist()
    return tables
