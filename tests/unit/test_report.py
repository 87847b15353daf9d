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
