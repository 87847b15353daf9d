"""Turning raw input bytes and records into :class:`Article` values, or into a reason why not.

Pure functions, no Beam. Every problem is either repaired (with a note kept on the article) or raised as
:class:`BadRecord` carrying a short machine-readable reason that the reading stage turns into a dead letter.
"""
from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit

from schemas.records import Article


class BadRecord(ValueError):
    """An input record that cannot become an article; ``reason`` is a short machine-readable slug."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ReadConfig:
    """Limits and rules for reading input. Validated on construction."""

    # Longer texts are cut to this many characters (with a repair note), so one huge "article" cannot
    # blow up memory or time in later stages.
    max_article_chars: int = 200_000
    # Files bigger than this are not read at all (dead letter), whatever their format says.
    max_file_bytes: int = 256 * 1024 * 1024
    # A published_at later than this far past the run's reference time is treated as unknown.
    max_future_skew: timedelta = timedelta(days=2)
    reference_time: datetime | None = None  # None: no future check

    def __post_init__(self) -> None:
        if self.max_article_chars < 1000:
            raise ValueError("max_article_chars must be at least 1000")
        if self.max_file_bytes < self.max_article_chars:
            raise ValueError("max_file_bytes must be at least max_article_chars")
        if self.reference_time is not None and self.reference_time.tzinfo is None:
            raise ValueError("reference_time must be timezone-aware")


_BINARY_MAGIC = {
    b"%PDF": "pdf",
    b"\x89PNG": "png",
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"GIF8": "gif",
    b"\xff\xd8\xff": "jpeg",
    b"BZh": "bzip2",
    b"\x7fELF": "elf",
}
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def sniff_binary(data: bytes) -> str | None:
    """The kind of binary payload ``data`` looks like, or None if it may be text."""
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            return kind
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 with a BOM: NUL bytes are expected
    if head and len(_CONTROL_BYTES.findall(head)) / len(head) > 0.10:
        return "binary"
    return None


def decode_text(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode article bytes, trying UTF-8 first and saying in the notes what else was needed.

    Raises BadRecord for binary payloads.
    """
    kind = sniff_binary(data)
    if kind is not None:
        raise BadRecord("binary_content", kind)
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
        notes.append("decoded_from:utf-8-bom")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
        notes.append("decoded_from:utf-16")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
                notes.append("decoded_from:cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
                notes.append("decoded_from:latin-1")
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("removed:nul_bytes")
    if "\ufffd" in text and not notes:
        notes.append("replaced:invalid_bytes")
    return text, tuple(notes)


def content_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def id_from_path(path: str, base: str) -> str:
    """Article id of a one-article-per-file input: its path relative to the glob's base, no extension."""
    rel = posixpath.relpath(path.replace("\\", "/"), base.replace("\\", "/")) if base else path
    rel = rel.lstrip("./") if rel.startswith("./") else rel
    for ext in (".txt.gz", ".txt"):
        if rel.endswith(ext):
            return rel[: -len(ext)]
    return rel


def glob_base(pattern: str) -> str:
    """The directory part of a glob before its first wildcard (``data/*/x.txt`` -> ``data``)."""
    cut = len(pattern)
    for ch in "*?[":
        i = pattern.find(ch)
        if i != -1:
            cut = min(cut, i)
    prefix = pattern[:cut]
    if cut == len(pattern):  # no wildcard: a single file
        return posixpath.dirname(prefix)
    return prefix.rsplit("/", 1)[0] if "/" in prefix else ""


def source_from_url(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else "//" + url).hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def parse_published_at(value: Any, config: ReadConfig) -> tuple[datetime | None, tuple[str, ...]]:
    """Parse an ISO 8601 string (or epoch milliseconds) into UTC. Bad values become None with a note."""
    if value is None or value == "":
        return None, ()
    try:
        if isinstance(value, bool):
            raise TypeError("bool")
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise ValueError("not finite")
            ts = datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
        elif isinstance(value, datetime):
            ts = value
        elif isinstance(value, str):
            ts = datetime.fromisoformat(value.strip())
        else:
            raise TypeError(type(value).__name__)
    except (ValueError, TypeError, OverflowError, OSError):
        return None, ("published_at:unparseable",)
    notes: tuple[str, ...] = ()
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
        notes = ("published_at:assumed_utc",)
    ts = ts.astimezone(timezone.utc)
    if config.reference_time is not None and ts > config.reference_time + config.max_future_skew:
        return None, ("published_at:in_future",)
    return ts, notes


def _optional_str(record: Mapping[str, Any], key: str, notes: list[str]) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        notes.append(f"{key}:coerced_to_string")
        return str(value)
    notes.append(f"{key}:dropped_wrong_type")
    return None


def cut_text(text: str, config: ReadConfig) -> tuple[str, tuple[str, ...]]:
    if len(text) <= config.max_article_chars:
        return text, ()
    return text[: config.max_article_chars], (f"truncated_from_chars:{len(text)}",)


def article_from_record(
    record: Any, input_file: str, record_no: int, config: ReadConfig
) -> Article:
    """A JSONL/Parquet record (a mapping) → Article. Raises BadRecord with a reason."""
    if not isinstance(record, Mapping):
        raise BadRecord("record_not_object", type(record).__name__)
    notes: list[str] = []
    text = record.get("text")
    if text is None:
        raise BadRecord("missing_text")
    if not isinstance(text, str):
        raise BadRecord("text_not_string", type(text).__name__)
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("removed:nul_bytes")
    if not text.strip():
        raise BadRecord("empty_text")
    text, cut_notes = cut_text(text, config)
    notes.extend(cut_notes)
    article_id = _optional_str(record, "id", notes)
    if article_id is None:
        article_id = "sha1:" + content_sha1(text)[:16]
        notes.append("id:from_content_hash")
    url = _optional_str(record, "url", notes)
    source = _optional_str(record, "source", notes)
    if source is None and url:
        source = source_from_url(url)
        if source:
            notes.append("source:from_url")
    published_at, ts_notes = parse_published_at(record.get("published_at"), config)
    notes.extend(ts_notes)
    return Article(
        article_id=article_id,
        text=text,
        title=_optional_str(record, "title", notes),
        url=url,
        source=source,
        published_at=published_at,
        language=_optional_str(record, "language", notes),
        input_file=input_file,
        record_no=record_no,
        repair_notes=tuple(notes),
    )


def article_from_jsonl_line(line: bytes, input_file: str, record_no: int, config: ReadConfig) -> Article:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRecord("malformed_json", str(e)) from None
    return article_from_record(record, input_file, record_no, config)


def article_from_text_file(data: bytes, input_file: str, article_id: str, config: ReadConfig) -> Article:
    """One raw article per file (the shape of the seeds). Raises BadRecord with a reason."""
    text, notes = decode_text(data)
    if not text.strip():
        raise BadRecord("empty_text")
    text, cut_notes = cut_text(text, config)
    return Article(
        article_id=article_id,
        text=text,
        input_file=input_file,
        record_no=0,
        repair_notes=notes + cut_notes,
    )
