"""The output tables: one explicit pyarrow schema per table, a typed record each, and its row form.

This module is the single source of truth for what leaves the pipeline. Writers are handed these
schemas; nothing infers one. Bump a table's ``SCHEMA_VERSION`` when a column changes meaning or type;
adding a nullable column at the end is a minor (compatible) change.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

SCHEMA_VERSIONS = {"articles": "1.1", "events": "1.2", "dead_letters": "1.0", "event_merges": "1.0"}

_TS = pa.timestamp("us", tz="UTC")

REMOVAL_REASON = pa.struct([("reason", pa.string()), ("lines", pa.int32())])

ARTICLES_SCHEMA = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("url", pa.string()),
        pa.field("title", pa.string()),
        pa.field("published_at", _TS),
        pa.field("language", pa.string()),
        pa.field("input_file", pa.string()),
        pa.field("content_sha1", pa.string(), nullable=False),
        pa.field("clean_text", pa.string(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("removed_line_count", pa.int32(), nullable=False),
        pa.field("removal_reasons", pa.list_(pa.field("element", REMOVAL_REASON))),
        pa.field("repair_notes", pa.list_(pa.field("element", pa.string()))),
        pa.field("dup_group_id", pa.string(), nullable=False),
        pa.field("dup_anchor_id", pa.string(), nullable=False),
        pa.field("dup_similarity", pa.float32(), nullable=False),
        pa.field("is_duplicate", pa.bool_(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("event_similarity", pa.float32(), nullable=False),
        pa.field("is_canonical", pa.bool_(), nullable=False),
        # 1.1: what the page says about itself (nullable: partitions written by 1.0 lack them).
        pa.field("authors", pa.list_(pa.field("element", pa.string()))),
        pa.field("dateline", pa.string()),
        pa.field("source_inferred", pa.bool_()),
        pa.field("published_at_inferred", pa.bool_()),
    ],
    metadata={"storybeam.table": "articles", "storybeam.schema_version": SCHEMA_VERSIONS["articles"]},
)

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("headline", pa.string(), nullable=False),
        pa.field("summary", pa.string(), nullable=False),
        pa.field("canonical_article_id", pa.string(), nullable=False),
        pa.field("article_ids", pa.list_(pa.field("element", pa.string())), nullable=False),
        pa.field("sources", pa.list_(pa.field("element", pa.string())), nullable=False),
        pa.field("article_count", pa.int32(), nullable=False),
        pa.field("source_count", pa.int32(), nullable=False),
        pa.field("dup_group_count", pa.int32(), nullable=False),
        pa.field("first_published_at", _TS),
        pa.field("last_published_at", _TS),
        pa.field("cohesion", pa.float32(), nullable=False),
        pa.field("languages", pa.list_(pa.field("element", pa.string())), nullable=False),
        pa.field("key_names", pa.list_(pa.field("element", pa.string())), nullable=False),
        pa.field("key_places", pa.list_(pa.field("element", pa.string())), nullable=False),
        # 1.2: the event across every partition so far (dated runs; in a run without --date they equal
        # the columns above and first_seen_dt is null). The columns above are this partition's.
        pa.field("first_seen_dt", pa.string()),
        pa.field("total_article_count", pa.int32()),
        pa.field("total_dup_group_count", pa.int32()),
        pa.field("total_first_published_at", _TS),
        pa.field("total_last_published_at", _TS),
        pa.field("total_sources", pa.list_(pa.field("element", pa.string()))),
    ],
    metadata={"storybeam.table": "events", "storybeam.schema_version": SCHEMA_VERSIONS["events"]},
)

DEAD_LETTERS_SCHEMA = pa.schema(
    [
        pa.field("stage", pa.string(), nullable=False),
        pa.field("article_id", pa.string()),
        pa.field("input_file", pa.string()),
        pa.field("record_no", pa.int64()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("payload_excerpt", pa.string()),
    ],
    metadata={"storybeam.table": "dead_letters", "storybeam.schema_version": SCHEMA_VERSIONS["dead_letters"]},
)

# A dated run that found two earlier events to be one: readers resolve merged_event_id to
# into_event_id (published partitions are never rewritten). Empty in a run without --date.
EVENT_MERGES_SCHEMA = pa.schema(
    [
        pa.field("merged_event_id", pa.string(), nullable=False),
        pa.field("into_event_id", pa.string(), nullable=False),
        pa.field("dt", pa.string(), nullable=False),
    ],
    metadata={"storybeam.table": "event_merges", "storybeam.schema_version": SCHEMA_VERSIONS["event_merges"]},
)

SCHEMAS: dict[str, pa.Schema] = {
    "articles": ARTICLES_SCHEMA,
    "events": EVENTS_SCHEMA,
    "dead_letters": DEAD_LETTERS_SCHEMA,
    "event_merges": EVENT_MERGES_SCHEMA,
}


def _row(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


@dataclass(frozen=True)
class ArticleRow:
    article_id: str
    source: str | None
    url: str | None
    title: str | None
    published_at: datetime | None
    language: str | None
    input_file: str | None
    content_sha1: str
    clean_text: str
    word_count: int
    removed_line_count: int
    removal_reasons: list[dict[str, Any]]
    repair_notes: list[str]
    dup_group_id: str
    dup_anchor_id: str
    dup_similarity: float
    is_duplicate: bool
    event_id: str
    event_similarity: float
    is_canonical: bool
    authors: list[str]
    dateline: str | None
    source_inferred: bool
    published_at_inferred: bool

    def to_row(self) -> dict[str, Any]:
        return _row(self)


@dataclass(frozen=True)
class EventRow:
    event_id: str
    headline: str
    summary: str
    canonical_article_id: str
    article_ids: list[str]
    sources: list[str]
    article_count: int
    source_count: int
    dup_group_count: int
    first_published_at: datetime | None
    last_published_at: datetime | None
    cohesion: float
    languages: list[str]
    key_names: list[str]
    key_places: list[str]
    first_seen_dt: str | None = None
    total_article_count: int | None = None
    total_dup_group_count: int | None = None
    total_first_published_at: datetime | None = None
    total_last_published_at: datetime | None = None
    total_sources: list[str] | None = None

    def to_row(self) -> dict[str, Any]:
        return _row(self)


@dataclass(frozen=True)
class EventMergeRow:
    merged_event_id: str
    into_event_id: str
    dt: str

    def to_row(self) -> dict[str, Any]:
        return _row(self)


@dataclass(frozen=True)
class DeadLetter:
    stage: str
    reason: str
    article_id: str | None = None
    input_file: str | None = None
    record_no: int | None = None
    error: str | None = None
    payload_excerpt: str | None = None

    # Enough of the payload to see what it was and replay it by hand, never the whole 50 MB.
    EXCERPT_CHARS = 500

    @staticmethod
    def excerpt(payload: str | bytes | None) -> str | None:
        if payload is None:
            return None
        if isinstance(payload, bytes):
            payload = payload[: DeadLetter.EXCERPT_CHARS * 2].decode("utf-8", errors="backslashreplace")
        return payload[: DeadLetter.EXCERPT_CHARS]

    def to_row(self) -> dict[str, Any]:
        return _row(self)


# Schema and record must agree: a column added to one and not the other fails at import, not at write.
for _name, _cls in (("articles", ArticleRow), ("events", EventRow), ("dead_letters", DeadLetter)):
    _fields = [f.name for f in dataclasses.fields(_cls)]
    assert sorted(_fields) == sorted(SCHEMAS[_name].names), (_name, _fields, SCHEMAS[_name].names)
del _name, _cls, _fields
