"""Pure parsing: bytes and records → Article, or BadRecord with a reason. Exact outputs and notes."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone

import pytest

from transforms.article_parsing import (
    BadRecord,
    ReadConfig,
    article_from_jsonl_line,
    article_from_record,
    article_from_text_file,
    decode_text,
    glob_base,
    html_to_text,
    id_from_path,
    looks_like_html,
    parse_published_at,
    sniff_binary,
    source_from_url,
)

REF = datetime(2026, 3, 30, tzinfo=timezone.utc)
CONFIG = ReadConfig(reference_time=REF)
PROSE = "The council said on Tuesday that the bridge would stay closed until the summer."


def _reason(call, *args) -> str:
    with pytest.raises(BadRecord) as e:
        call(*args)
    return e.value.reason


# ------------------------------------------------------------------ decoding
@pytest.mark.parametrize("data, kind", [
    (b"%PDF-1.4\n...", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (gzip.compress(b"x", mtime=0), "gzip"),
    (b"PK\x03\x04rest", "zip"), (b"\x00\x01\x02\x03" * 100, "binary"),
])
def test_binary_payloads_are_refused_with_their_kind(data: bytes, kind: str) -> None:
    assert sniff_binary(data) == kind
    with pytest.raises(BadRecord) as e:
        decode_text(data)
    assert (e.value.reason, e.value.detail) == ("binary_content", kind)


@pytest.mark.parametrize("data, text, notes", [
    (b"plain ascii", "plain ascii", ()),
    ("Zürich café".encode(), "Zürich café", ()),
    ("“Quote” – café".encode("cp1252"), "“Quote” – café", ("decoded_from:cp1252",)),
    ("Straße Crème".encode("latin-1"), "Straße Crème", ("decoded_from:cp1252",)),
    (b"undefined in cp1252: \x81\x8d", "undefined in cp1252: \x81\x8d", ("decoded_from:latin-1",)),
    ("Zürich café ".encode() + b"\xff", "Zürich café \ufffd", ("replaced:invalid_bytes",)),
    ("Zürich".encode("utf-16"), "Zürich", ("decoded_from:utf-16",)),
    (b"\xef\xbb\xbfwith bom", "with bom", ("decoded_from:utf-8-bom",)),
    (b"a few nul\x00 bytes in a longer line\x00", "a few nul bytes in a longer line", ("removed:nul_bytes",)),
    ("already \ufffd replaced".encode(), "already \ufffd replaced", ("replaced:invalid_bytes",)),
])
def test_decode_text_says_what_it_had_to_do(data: bytes, text: str, notes: tuple[str, ...]) -> None:
    assert decode_text(data) == (text, notes)


def test_mostly_utf8_with_one_bad_byte_is_not_garbled_as_cp1252() -> None:
    data = "Crème brûlée in Zürich, naïve façade.".encode() + b"\xc3(" + b" end"
    text, notes = decode_text(data)
    assert text == "Crème brûlée in Zürich, naïve façade.\ufffd( end"
    assert notes == ("replaced:invalid_bytes",)


# ------------------------------------------------------------------ text files
def test_text_file_article() -> None:
    a = article_from_text_file(PROSE.encode(), "in/x/y.txt", "x/y", CONFIG)
    assert (a.article_id, a.text, a.input_file, a.record_no, a.repair_notes) == ("x/y", PROSE, "in/x/y.txt", 0, ())


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", b"\xef\xbb\xbf \n", "\n".encode("utf-16")])
def test_empty_text_files(data: bytes) -> None:
    assert _reason(article_from_text_file, data, "f.txt", "f", CONFIG) == "empty_text"


def test_long_text_is_cut_with_a_note() -> None:
    config = ReadConfig(max_article_chars=1000)
    a = article_from_text_file(b"word " * 1000, "f.txt", "f", config)
    assert len(a.text) == 1000 and a.repair_notes == ("truncated_from_chars:5000",)


def test_html_file_is_converted_to_its_visible_text() -> None:
    page = ("<!doctype html><html><head><title>Bridge closed</title><script>var x = 1;</script>"
            "<style>p {}</style></head><body><nav><a href='/'>Home</a></nav><p>" + PROSE +
            "</p><p>Second &amp; last.</p></body></html>")
    a = article_from_text_file(page.encode(), "f.txt", "f", CONFIG)
    assert a.repair_notes == ("converted_from:html",)
    assert [ln for ln in a.text.split("\n") if ln.strip()] == ["Bridge closed", "Home", PROSE, "Second & last."]


def test_a_few_angle_brackets_in_prose_are_not_html() -> None:
    text = "Use the <p> tag, said the teacher; a < b and b > c. " + PROSE
    assert not looks_like_html(text)
    assert article_from_text_file(text.encode(), "f.txt", "f", CONFIG).text == text


def test_html_without_visible_text_is_empty() -> None:
    page = b"<html><head><script>alert(1)</script></head><body><div><p></p></div></body></html>"
    assert _reason(article_from_text_file, page, "f.txt", "f", CONFIG) == "empty_text"


def test_html_to_text_drops_scripts_and_breaks_blocks() -> None:
    assert html_to_text("<div>a<br>b</div><script>x</script><span>c</span>") == "\na\nb\nc"


# ------------------------------------------------------------------ records
def test_full_record() -> None:
    record = {"id": "r1", "text": PROSE, "title": " Title ", "url": "https://www.example.org/a",
              "published_at": "2026-03-03T19:42:00+01:00", "language": "en"}
    a = article_from_record(record, "in.jsonl", 3, CONFIG)
    assert (a.article_id, a.title, a.source, a.language, a.record_no) == ("r1", "Title", "example.org", "en", 3)
    assert a.published_at == datetime(2026, 3, 3, 18, 42, tzinfo=timezone.utc)
    assert a.repair_notes == ("source:from_url",)


@pytest.mark.parametrize("record, reason, article_id", [
    ([1, 2], "record_not_object", None),
    ({"id": "a"}, "missing_text", "a"),
    ({"id": "a", "text": None}, "missing_text", "a"),
    ({"id": "a", "text": 42}, "text_not_string", "a"),
    ({"id": "a", "text": ""}, "empty_text", "a"),
    ({"id": "a", "text": "\x00 \n"}, "empty_text", "a"),
    ({"id": 7, "text": {"x": 1}}, "text_not_string", None),
])
def test_bad_records_carry_a_reason_and_their_id(record, reason: str, article_id: str | None) -> None:
    with pytest.raises(BadRecord) as e:
        article_from_record(record, "in.jsonl", 1, CONFIG)
    assert (e.value.reason, e.value.article_id) == (reason, article_id)


@pytest.mark.parametrize("record, article_id, notes", [
    ({"id": 12, "text": PROSE}, "12", ("id:coerced_to_string",)),
    ({"id": "  ", "text": PROSE}, None, ("id:from_content_hash",)),
    ({"text": PROSE}, None, ("id:from_content_hash",)),
    ({"id": ["x"], "text": PROSE}, None, ("id:dropped_wrong_type", "id:from_content_hash")),
    ({"id": "a", "text": PROSE, "title": {"x": 1}}, "a", ("title:dropped_wrong_type",)),
    ({"id": "a", "text": PROSE, "source": True}, "a", ("source:dropped_wrong_type",)),
    ({"id": "a", "text": "nul\x00 " + PROSE}, "a", ("removed:nul_bytes",)),
])
def test_repairs_of_records(record, article_id: str | None, notes: tuple[str, ...]) -> None:
    a = article_from_record(record, "in.jsonl", 1, CONFIG)
    if article_id is None:
        assert a.article_id.startswith("sha1:") and len(a.article_id) == 5 + 16
    else:
        assert a.article_id == article_id
    assert a.repair_notes == notes


def test_content_hash_id_does_not_depend_on_the_file() -> None:
    one = article_from_record({"text": PROSE}, "a.jsonl", 1, CONFIG)
    two = article_from_record({"text": PROSE}, "b.jsonl", 9, CONFIG)
    assert one.article_id == two.article_id


@pytest.mark.parametrize("value, expected, notes", [
    (None, None, ()),
    ("", None, ()),
    ("2026-03-03T10:00:00Z", datetime(2026, 3, 3, 10, tzinfo=timezone.utc), ()),
    ("2026-03-03T10:00:00", datetime(2026, 3, 3, 10, tzinfo=timezone.utc), ("published_at:assumed_utc",)),
    (1772532000000, datetime(2026, 3, 3, 10, tzinfo=timezone.utc), ()),
    ("last Tuesday", None, ("published_at:unparseable",)),
    (True, None, ("published_at:unparseable",)),
    (float("nan"), None, ("published_at:unparseable",)),
    (10**30, None, ("published_at:unparseable",)),
    (["2026"], None, ("published_at:unparseable",)),
    ("2999-01-01T00:00:00+00:00", None, ("published_at:in_future",)),
    ((REF + timedelta(days=1)).isoformat(), REF + timedelta(days=1), ()),
])
def test_published_at(value, expected, notes) -> None:
    assert parse_published_at(value, CONFIG) == (expected, notes)


# ------------------------------------------------------------------ JSONL lines
@pytest.mark.parametrize("line", [
    b'{"id": "x", "text": "unterminated', b"not json at all", b"[" * 100_000 + b"]" * 100_000,
    b'{"n": ' + b"9" * 5000 + b"}", b"\xff\xfe{\x00",
])
def test_malformed_json_lines(line: bytes) -> None:
    assert _reason(article_from_jsonl_line, line, "in.jsonl", 1, CONFIG) in {"malformed_json", "binary_content"}


def test_malformed_json_reason_is_exact_for_syntax_depth_and_digits() -> None:
    for line in (b"{bad", b"[" * 100_000, b'{"n": ' + b"9" * 5000 + b"}"):
        assert _reason(article_from_jsonl_line, line, "in.jsonl", 1, CONFIG) == "malformed_json"


def test_jsonl_line_in_cp1252_is_decoded_with_a_note() -> None:
    line = json.dumps({"id": "c", "text": "“Café” " + PROSE}, ensure_ascii=False).encode("cp1252")
    a = article_from_jsonl_line(line, "in.jsonl", 4, CONFIG)
    assert a.text == "“Café” " + PROSE
    assert a.repair_notes == ("decoded_from:cp1252",)


def test_jsonl_line_with_html_text() -> None:
    html = "<div><p>" + PROSE + "</p><p>Two.</p><p>Three.</p><br></div>"
    a = article_from_jsonl_line(json.dumps({"id": "h", "text": html}).encode(), "in.jsonl", 1, CONFIG)
    assert a.repair_notes == ("converted_from:html",)
    assert [ln for ln in a.text.split("\n") if ln] == [PROSE, "Two.", "Three."]


# ------------------------------------------------------------------ ids, paths, sources
@pytest.mark.parametrize("path, base, article_id", [
    ("data/outlet/story.txt", "data", "outlet/story"),
    ("data/outlet/story.txt.gz", "data", "outlet/story"),
    ("gs://b/in/a.txt", "gs://b/in", "a"),
])
def test_id_from_path(path: str, base: str, article_id: str) -> None:
    assert id_from_path(path, base) == article_id


@pytest.mark.parametrize("pattern, base", [
    ("data/*/x.txt", "data"), ("data/x.txt", "data"), ("*.txt", ""), ("gs://b/in/**", "gs://b/in"),
])
def test_glob_base(pattern: str, base: str) -> None:
    assert glob_base(pattern) == base


@pytest.mark.parametrize("url, source", [
    ("https://www.example.org/a", "example.org"), ("example.net/x", "example.net"), ("", None), (None, None),
])
def test_source_from_url(url, source) -> None:
    assert source_from_url(url) == source


def test_read_config_is_validated() -> None:
    with pytest.raises(ValueError):
        ReadConfig(max_article_chars=10)
    with pytest.raises(ValueError):
        ReadConfig(reference_time=datetime(2026, 1, 1))
