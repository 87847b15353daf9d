"""The state incremental runs keep between nights: explicit pyarrow schemas and row conversions.

Stored under ``OUTPUT/_state/<table>/dt=DATE/`` as a full snapshot after the run for DATE; the run
for a later date reads the latest snapshot before it (``pipelines/state_store.py``). Versioned like
the output tables (``storybeam.schema_version`` in each file): a reader refuses a major version it
does not know.

- ``events``: one row per live event (see ``transforms/event_state.py``): the engine's summary of the
  event (summed signal vectors, span, names) and the cumulative facts readers see in the ``events``
  table (``first_seen_dt`` and the ``total_*`` columns: counts, span, sources).
- ``recent``: the latest stories' features, the context of the next night's first block.
- ``seen``: every article id ingested in the last ``repeat_window_days`` partitions and the sha1 of
  its text, so a record delivered again on a later night is counted as a repeat, not a new article.
- ``copies``: the near-duplicate anchors of the last ``copy_window_days`` partitions with their
  group, event and word-shingle hashes, so a reprint on a later night is recognised as a copy.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from transforms.event_engine import SparseVec, Unit
from transforms.event_features import DocFeatures, name_feature_ids

STATE_SCHEMA_VERSIONS = {"events": "1.0", "recent": "1.0", "seen": "1.0", "copies": "1.0"}

_TS = pa.timestamp("us", tz="UTC")
_F32 = pa.list_(pa.field("element", pa.float32()))
_I64 = pa.list_(pa.field("element", pa.int64()))
_STR = pa.list_(pa.field("element", pa.string()))
_COUNTED = pa.list_(pa.field("element", pa.struct([("name", pa.string()), ("count", pa.int32())])))
_MENTION = pa.list_(pa.field("element", pa.struct(
    [("surface", pa.string()), ("kind", pa.string()), ("count", pa.int32())])))


def _meta(table: str) -> dict[str, str]:
    return {"storybeam.table": f"_state/{table}", "storybeam.schema_version": STATE_SCHEMA_VERSIONS[table]}


STATE_EVENTS_SCHEMA = pa.schema([
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("founder_id", pa.string(), nullable=False),
    pa.field("founder_published_at", _TS),
    pa.field("representatives", pa.int32(), nullable=False),  # stories the engine clustered
    pa.field("t_min", _TS),
    pa.field("t_max", _TS),
    pa.field("dense", _F32, nullable=False),
    pa.field("sparse_ids", _I64, nullable=False),
    pa.field("sparse_values", _F32, nullable=False),
    pa.field("raw_dense", _F32, nullable=False),
    pa.field("raw_sparse_ids", _I64, nullable=False),
    pa.field("raw_sparse_values", _F32, nullable=False),
    pa.field("names", _COUNTED, nullable=False),
    # What readers see of the event, cumulative over every partition so far (the events table's
    # first_seen_dt and total_* columns).
    pa.field("first_dt", pa.string(), nullable=False),
    pa.field("article_count", pa.int32(), nullable=False),
    pa.field("dup_group_count", pa.int32(), nullable=False),
    pa.field("first_published_at", _TS),
    pa.field("last_published_at", _TS),
    pa.field("sources", _STR, nullable=False),
], metadata=_meta("events"))

STATE_RECENT_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("published_at", _TS),
    pa.field("embedding", _F32, nullable=False),
    pa.field("term_ids", _I64, nullable=False),
    pa.field("term_counts", pa.list_(pa.field("element", pa.int32())), nullable=False),
    pa.field("names", _STR, nullable=False),
    pa.field("words", pa.int32(), nullable=False),
], metadata=_meta("recent"))

STATE_SEEN_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("text_sha1", pa.string(), nullable=False),
    pa.field("dt", pa.string(), nullable=False),
], metadata=_meta("seen"))

STATE_COPIES_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("dup_group_id", pa.string(), nullable=False),
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_similarity", pa.float32(), nullable=False),
    pa.field("published_at", _TS),
    pa.field("shingles", pa.list_(pa.field("element", pa.uint64())), nullable=False),
    pa.field("dt", pa.string(), nullable=False),
], metadata=_meta("copies"))

STATE_SCHEMAS: dict[str, pa.Schema] = {
    "events": STATE_EVENTS_SCHEMA,
    "recent": STATE_RECENT_SCHEMA,
    "seen": STATE_SEEN_SCHEMA,
    "copies": STATE_COPIES_SCHEMA,
}


# --- reading ---------------------------------------------------------------------------------------

def other_major_version(stored: pa.Schema, wanted: pa.Schema) -> tuple[str, str] | None:
    """(stored version, wanted version) when a stored table's ``storybeam.schema_version`` is of another
    major version than this code's schema ``wanted`` (a missing version counts as another); else None."""
    versions = tuple((s.metadata or {}).get(b"storybeam.schema_version", b"").decode() for s in (stored, wanted))
    return None if versions[0].split(".")[0] == versions[1].split(".")[0] else versions


def check_state_schema(table: str, schema: pa.Schema, where: str) -> None:
    """Raise ValueError unless ``schema`` (a stored file's) is of this code's major version of ``table`` and
    has every column this code reads."""
    wanted = STATE_SCHEMAS[table]
    other = other_major_version(schema, wanted)
    if other:
        raise ValueError(f"{where}: state table {table!r} has schema version {other[0] or 'none'!r}; "
                         f"this code reads {other[1]!r}")
    missing = [name for name in wanted.names if name not in schema.names]
    if missing:
        raise ValueError(f"{where}: state table {table!r} lacks the columns {missing}")


def _number_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) and (pa.types.is_integer(kind.value_type) or pa.types.is_floating(kind.value_type))


def _arrays(column: pa.ListArray) -> list[np.ndarray | None]:
    """Each row's list of numbers as its own numpy array (of the column's element type)."""
    offsets = column.offsets.to_numpy()
    values = column.values.to_numpy(zero_copy_only=False)
    valid = column.is_valid().to_numpy(zero_copy_only=False) if column.null_count else None
    return [values[offsets[i]:offsets[i + 1]].copy() if valid is None or valid[i] else None
            for i in range(len(column))]


def state_rows(table: str, batch: pa.RecordBatch) -> Iterator[dict[str, Any]]:
    """The rows of a record batch of a state table, as dicts of this code's columns. Lists of numbers come
    as numpy arrays (vectors, term ids, shingle hashes: one array per row, not a Python object per
    number); every other value as ``pyarrow``'s ``to_pylist`` gives it."""
    columns = {}
    for name in STATE_SCHEMAS[table].names:
        column = batch.column(name)
        columns[name] = _arrays(column) if _number_list(column.type) else column.to_pylist()
    for i in range(batch.num_rows):
        yield {name: values[i] for name, values in columns.items()}


# --- conversions ---------------------------------------------------------------------------------

def _time(hours: float) -> datetime | None:
    return datetime.fromtimestamp(hours * 3600.0, tz=timezone.utc) if math.isfinite(hours) else None


def _hours(moment: datetime | None) -> float:
    return moment.timestamp() / 3600.0 if moment is not None else math.nan


def recent_row(doc: DocFeatures) -> dict[str, Any]:
    return {
        "article_id": doc.article_id,
        "published_at": _time(doc.hours),
        "embedding": doc.embedding.astype(np.float32).tolist(),
        "term_ids": doc.term_ids.tolist(),
        "term_counts": doc.term_counts.tolist(),
        "names": list(doc.names),
        "words": int(doc.words),
    }


def recent_doc(row: dict[str, Any]) -> DocFeatures:
    names = tuple(row["names"])
    return DocFeatures(
        article_id=row["article_id"],
        hours=_hours(row["published_at"]),
        embedding=np.asarray(row["embedding"], dtype=np.float32),
        term_ids=np.asarray(row["term_ids"], dtype=np.int64),
        term_counts=np.asarray(row["term_counts"], dtype=np.int32),
        names=names,
        name_ids=name_feature_ids(names),
        words=int(row["words"]),
    )


@dataclass(frozen=True)
class EventFacts:
    """What readers see of an event, cumulative over every partition so far (a state row's tail)."""

    first_dt: str
    article_count: int
    dup_group_count: int
    first_published_at: datetime | None
    last_published_at: datetime | None
    sources: tuple[str, ...]

    def plus(self, other: "EventFacts") -> "EventFacts":
        """Both together (an event that absorbed another, or tonight's part of an earlier event)."""
        def pick(f, x, y):
            return f(v for v in (x, y) if v is not None) if (x is not None or y is not None) else None
        return EventFacts(
            first_dt=min(self.first_dt, other.first_dt),
            article_count=self.article_count + other.article_count,
            dup_group_count=self.dup_group_count + other.dup_group_count,
            first_published_at=pick(min, self.first_published_at, other.first_published_at),
            last_published_at=pick(max, self.last_published_at, other.last_published_at),
            sources=tuple(sorted(set(self.sources) | set(other.sources))),
        )


def event_row(unit: Unit, facts: EventFacts) -> dict[str, Any]:
    """A state row of an event the engine keeps (``unit.event_id`` set) and its reader facts."""
    assert unit.event_id is not None, "only events with their final id are kept"
    return {
        "event_id": unit.event_id,
        "founder_id": unit.founder[1],
        "founder_published_at": _time(unit.founder[0]),
        "representatives": int(unit.size),
        "t_min": _time(unit.t_min),
        "t_max": _time(unit.t_max),
        "dense": unit.dense.astype(np.float32).tolist(),
        "sparse_ids": unit.sparse.ids.tolist(),
        "sparse_values": unit.sparse.values.astype(np.float32).tolist(),
        "raw_dense": unit.raw_dense.astype(np.float32).tolist(),
        "raw_sparse_ids": unit.raw_sparse.ids.tolist(),
        "raw_sparse_values": unit.raw_sparse.values.astype(np.float32).tolist(),
        "names": [{"name": n, "count": int(c)} for n, c in sorted(unit.names.items())],
        "first_dt": facts.first_dt,
        "article_count": facts.article_count,
        "dup_group_count": facts.dup_group_count,
        "first_published_at": facts.first_published_at,
        "last_published_at": facts.last_published_at,
        "sources": list(facts.sources),
    }


def event_unit(row: dict[str, Any]) -> Unit:
    founder_hours = _hours(row["founder_published_at"])
    return Unit(
        key=row["event_id"],
        size=int(row["representatives"]),
        dense=np.asarray(row["dense"], dtype=np.float64),
        sparse=SparseVec(np.asarray(row["sparse_ids"], dtype=np.int64),
                         np.asarray(row["sparse_values"], dtype=np.float64)),
        raw_dense=np.asarray(row["raw_dense"], dtype=np.float64),
        raw_sparse=SparseVec(np.asarray(row["raw_sparse_ids"], dtype=np.int64),
                             np.asarray(row["raw_sparse_values"], dtype=np.float64)),
        t_min=_hours(row["t_min"]),
        t_max=_hours(row["t_max"]),
        founder=(founder_hours if math.isfinite(founder_hours) else math.inf, row["founder_id"]),
        names=Counter({n["name"]: int(n["count"]) for n in row["names"]}),
        event_id=row["event_id"],
    )


def event_facts(row: dict[str, Any]) -> EventFacts:
    return EventFacts(
        first_dt=row["first_dt"],
        article_count=int(row["article_count"]),
        dup_group_count=int(row["dup_group_count"]),
        first_published_at=row["first_published_at"],
        last_published_at=row["last_published_at"],
        sources=tuple(row["sources"]),
    )
