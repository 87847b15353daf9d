"""Turning raw input bytes and records into :class:`Article` values, or into a reason why not.

Pure functions, no Beam. Every problem is either repaired (with a note kept on the article) or raised as
:class:`BadRecord` carrying a short machine-readable reason that the reading stage turns into a dead letter.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any, Mapping
from urllib.parse import urlsplit

from schemas.records import Article


class BadRecord(ValueError):
    """An input record that cannot become an article; ``reason`` is a short machine-readable slug."""

    def __init__(self, reason: str, detail: str = "", article_id: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.article_id = article_id  # the id the record named, if any: its dead letter carries it


@dataclass(frozen=True)
class ReadConfig:
    """Limits and rules for reading input. Validated on construction."""

    # Longer texts are cut to this many characters (with a repair note), so one huge "article" cannot
    # blow up memory or time in later stages.
    max_article_chars: int = 200_000
    # Text and Parquet files bigger than this are not read at all (dead letter): they are read whole.
    # JSONL files are read line by line whatever their size; a record longer than this is a dead letter.
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
            if "\ufffd" in text:
                notes.append("replaced:invalid_bytes")  # replaced upstream, before it reached us
        except UnicodeDecodeError:
            text, note = _decode_not_utf8(data)
            notes.append(note)
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("removed:nul_bytes")
    return text, tuple(notes)


_NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")


def _decode_not_utf8(data: bytes) -> tuple[str, str]:
    """Bytes that are not valid UTF-8: UTF-8 with a few broken bytes, or a legacy single-byte encoding.

    Text that is mostly well-formed UTF-8 (more valid non-ASCII characters than broken bytes) keeps
    UTF-8 with U+FFFD for the broken bytes; decoding it as cp1252 would garble every accented letter.
    """
    repaired = data.decode("utf-8", errors="replace")
    if len(_NON_ASCII.findall(repaired)) > repaired.count("\ufffd"):
        return repaired, "replaced:invalid_bytes"
    try:
        return data.decode("cp1252"), "decoded_from:cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "decoded_from:latin-1"


# Tags that only markup has; one or two of them in prose ("<p>" quoted in a story) are not a page.
_HTML_TAG = re.compile(
    r"<\s*(!doctype\s+html|html|head|body|p|div|span|br|a\s+href|article|section|h[1-6]|ul|ol|li|"
    r"table|tr|td|script|style|meta|link|nav|header|footer|img|strong|em|b|i)\b[^>]{0,2000}>",
    re.IGNORECASE,
)
_HTML_MIN_TAGS = 4
_HTML_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe"})
_HTML_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "article", "section", "header", "footer", "nav",
    "aside", "main", "blockquote", "pre", "title", "figure", "figcaption", "dd", "dt", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
})


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HTML_SKIP:
            self._skipping += 1
        elif tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """True when ``text`` is a markup page rather than prose (at least a few real HTML tags)."""
    return len(_HTML_TAG.findall(text[:100_000])) >= _HTML_MIN_TAGS


def html_to_text(text: str) -> str:
    """The visible text of an HTML page: one line per block element, no scripts or styles, entities decoded."""
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def _article_text(text: str, notes: list[str], config: ReadConfig) -> str:
    """Shared last steps for every input form: cut to the size limit, unwrap HTML, refuse empty text."""
    text, cut_notes = cut_text(text, config)
    notes.extend(cut_notes)
    if looks_like_html(text):
        text = html_to_text(text)
        notes.append("converted_from:html")
    if not text.strip():
        raise BadRecord("empty_text")
    return text


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
    named_id = record.get("id") if isinstance(record.get("id"), str) else None
    text = record.get("text")
    if text is None:
        raise BadRecord("missing_text", article_id=named_id)
    if not isinstance(text, str):
        raise BadRecord("text_not_string", type(text).__name__, article_id=named_id)
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("removed:nul_bytes")
    try:
        text = _article_text(text, notes, config)
    except BadRecord as e:
        raise BadRecord(e.reason, e.detail, article_id=named_id) from None
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
    """One JSONL line → Article. A line that is not UTF-8 is decoded like a text file (with a note)."""
    notes: tuple[str, ...] = ()
    try:
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            decoded, notes = decode_text(line)
            record = json.loads(decoded)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, too many digits, nesting too deep
        raise BadRecord("malformed_json", f"{type(e).__name__}: {e}"[:300]) from None
    article = article_from_record(record, input_file, record_no, config)
    if notes:
        article = dataclasses.replace(article, repair_notes=notes + article.repair_notes)
    return article


def article_from_text_file(data: bytes, input_file: str, article_id: str, config: ReadConfig) -> Article:
    """One raw article per file (the shape of the seeds). Raises BadRecord with a reason."""
    text, decode_notes = decode_text(data)
    notes = list(decode_notes)
    text = _article_text(text, notes, config)
    return Article(
        article_id=article_id,
        text=text,
        input_file=input_file,
        record_no=0,
        repair_notes=tuple(notes),
    )
