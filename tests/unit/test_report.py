"""storybeam report without a browser: reading partitions, errors, escaping, the page's policy."""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import report
from pipelines.report_html import render_report
from schemas.tables import SCHEMAS

T0 = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def _event(event_id: str, headline: str, size: int = 1) -> dict:
    return {"event_id": event_id, "headline": headline, "summary": "s", "canonical_article_id": "a",
            "article_ids": ["a"], "sources": ["S"], "article_count": size, "source_count": 1, "dup_group_count": 1,
            "first_published_at": T0, "last_published_at": T0, "cohesion": 1.0, "languages": ["en"]}


def _write(root, table: str, rows: list[dict], dt: str | None = None) -> None:
    folder = root / table / f"dt={dt}" if dt else root / table
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[table]), folder / "part-00000.parquet")


def test_report_reads_every_partition_or_the_chosen_dates(tmp_path):
    _write(tmp_path, "events", [_event("e1", "Day one story")], "2026-03-01")
    _write(tmp_path, "events", [_event("e2", "Day two story", 3)], "2026-03-02")
    run = report.read_run(str(tmp_path))
    assert (run.partitions, sorted((e["event_id"], e["dt"]) for e in run.events)) == (
        ["2026-03-01", "2026-03-02"], [("e1", "2026-03-01"), ("e2", "2026-03-02")])
    run = report.read_run(str(tmp_path), ["2026-03-02"])
    assert (run.partitions, [e["event_id"] for e in run.events]) == (["2026-03-02"], ["e2"])
    assert report.main([str(tmp_path), "--date", "2026-03-01", "--html", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Day one story" in page and "Day two story" not in page


def test_report_on_an_output_without_tables_is_a_clear_error(tmp_path, capsys):
    assert report.main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("storybeam: error: no published tables found under")
    _write(tmp_path, "events", [_event("e1", "x y z")], "2026-03-01")
    assert report.main([str(tmp_path), "--date", "2026-03-09"]) == 2


def test_report_escapes_everything_and_allows_only_its_own_script(tmp_path):
    payload = "<img src=x onerror=alert(1)>\"'&"
    _write(tmp_path, "events", [_event("e1", payload)])
    page = render_report(report.read_run(str(tmp_path)))
    assert payload not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;" in page
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"script-src &#x27;sha256-{digest}&#x27;" in page
    assert "default-src &#x27;none&#x27;" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def _member(article_id: str, event_id: str, source: str, group: str | None = None) -> dict:
    return {"article_id": article_id, "source": source, "title": f"title {article_id}", "published_at": T0,
            "content_sha1": "0" * 40, "clean_text": "text", "word_count": 1, "removed_line_count": 0,
            "dup_group_id": group or f"dup-{article_id}", "dup_anchor_id": article_id, "dup_similarity": 1.0,
            "is_duplicate": False, "event_id": event_id, "event_similarity": 1.0, "is_canonical": False}


def _night_event(event_id: str, headline: str, members: list[tuple[str, str]], hour: int) -> dict:
    at = T0.replace(hour=hour)
    return dict(_event(event_id, headline, len(members)), article_ids=[a for a, _ in members],
                sources=sorted({s for _, s in members}), source_count=len({s for _, s in members}),
                first_published_at=at, last_published_at=at)


def test_report_over_several_nights_shows_each_event_once_merges_and_revisions_resolved(tmp_path):
    """Each night writes the events it touched with that night's members; night two continues e1, merges
    e2 into e1, and carries a revised text of a6 (its night-one event e4 is left without members)."""
    d1, d2 = "2026-03-01", "2026-03-02"
    _write(tmp_path, "events", [_night_event("e1", "Fire at the plant", [("a1", "S1"), ("a2", "S2")], 9),
                                _night_event("e2", "Plant fire spreads", [("a3", "S3")], 10),
                                _night_event("e4", "Mill closes", [("a6", "S1")], 11)], d1)
    _write(tmp_path, "articles", [_member("a1", "e1", "S1"), _member("a2", "e1", "S2"), _member("a3", "e2", "S3"),
                                  _member("a6", "e4", "S1")], d1)
    _write(tmp_path, "events", [_night_event("e1", "Plant fire: cause found", [("a4", "S4")], 20),
                                _night_event("e3", "Election called", [("a5", "S2")], 21),
                                _night_event("e5", "Mill to reopen", [("a6", "S1")], 22)], d2)
    _write(tmp_path, "articles", [_member("a4", "e1", "S4", group="dup-a1"), _member("a5", "e3", "S2"),
                                  _member("a6", "e5", "S1")], d2)
    _write(tmp_path, "event_merges", [{"merged_event_id": "e2", "into_event_id": "e1", "dt": d2}], d2)

    run = report.read_run(str(tmp_path))
    events = {e["event_id"]: e for e in run.events}
    assert sorted(events) == ["e1", "e3", "e5"]
    e1 = events["e1"]
    assert (e1["headline"], e1["article_ids"], e1["article_count"], e1["sources"], e1["source_count"]) == (
        "Plant fire: cause found", ["a1", "a2", "a3", "a4"], 4, ["S1", "S2", "S3", "S4"], 4)
    assert (e1["dup_group_count"], e1["dt"]) == (3, f"{d1}, {d2}")
    assert (e1["first_published_at"], e1["last_published_at"]) == (T0.replace(hour=9), T0.replace(hour=20))
    assert events["e3"]["dt"] == d2 and events["e3"]["article_ids"] == ["a5"]
    assert sorted((a["article_id"], a["event_id"], a["dt"]) for a in run.articles) == [
        ("a1", "e1", d1), ("a2", "e1", d1), ("a3", "e1", d1), ("a4", "e1", d2), ("a5", "e3", d2), ("a6", "e5", d2)]
    page = render_report(run)
    assert page.count('class="event"') == 3 and page.count('data-article-id="a6"') == 1
    assert "Plant fire spreads" not in page and "Mill closes" not in page


def test_one_partition_passes_through_the_report_unchanged(tmp_path):
    rows = [_night_event("e1", "Fire at the plant", [("a1", "S1"), ("a2", "S2")], 9)]
    _write(tmp_path, "events", rows)
    _write(tmp_path, "articles", [_member("a1", "e1", "S1"), _member("a2", "e1", "S2")])
    run = report.read_run(str(tmp_path))
    assert run.events == [dict(r, dt=None) for r in pq.read_table(tmp_path / "events").to_pylist()]
    assert run.articles == [dict(r, dt=None) for r in pq.read_table(tmp_path / "articles").to_pylist()]
