"""``storybeam report`` in a real headless Chromium: the demo run's seven events, sorting, search,
members with copy groups, the charts, nothing from the network, and hostile text shown inert."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import report
from schemas.tables import SCHEMAS
from tests.browser.chromium import ARTIFACTS, chromium, require_browser
from tests.conftest import SAMPLE
from tests.pipeline_runs import run_job

pytestmark = pytest.mark.slow


def _rows(driver):
    return [r for r in driver.find_elements("css selector", "tr.event") if r.is_displayed()]


def _headlines(driver):
    return [r.find_element("css selector", "summary.headline").text for r in _rows(driver)]


def _sizes(driver):
    return [int(r.find_element("css selector", "td.size").text) for r in _rows(driver)]


def _click_header(driver, name):
    (th,) = [th for th in driver.find_elements("css selector", "#events th") if th.text.startswith(name.upper())]
    th.click()


def _type(driver, text):
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element("id", "search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)  # typed like a person, so the page sees input events
    if text:
        box.send_keys(text)


def _screenshot(driver, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 40, 6000))
    driver.save_screenshot(str(path))


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    require_browser()
    out = tmp_path_factory.mktemp("demo") / "out"
    _, tables = run_job([str(SAMPLE / "articles.jsonl")], out)  # what `make demo` runs
    html = out / "report.html"
    assert report.main([str(out)]) == 0
    return html, tables


def test_demo_report_in_chromium(demo_report, tmp_path):
    html, tables = demo_report
    expected = {e["headline"]: e for e in tables["events"]}
    assert len(expected) == 7
    with chromium(tmp_path / "profile") as driver:
        driver.get(html.as_uri())
        assert driver.title == f"storybeam report \u2014 {html.parent}"
        # The seven events, largest first.
        assert sorted(_headlines(driver)) == sorted(expected)
        assert _sizes(driver) == [5, 4, 4, 4, 4, 1, 1]
        assert driver.find_element("id", "shown").text == "7 of 7 events shown"
        cards = {c.get_attribute("data-card"): int(c.find_element("css selector", "b").text)
                 for c in driver.find_elements("css selector", ".card")}
        assert cards == {"events": 7, "with 2+ articles": 5, "articles": 23, "near-duplicate copies": 2,
                         "sources": 7, "dead letters": 0}
        _screenshot(driver, ARTIFACTS / "report-demo.png")
        driver.set_window_size(1400, 1800)

        # Sorting: size ascending after two clicks; headlines alphabetically.
        _click_header(driver, "Articles")
        assert _sizes(driver) == [5, 4, 4, 4, 4, 1, 1]
        _click_header(driver, "Articles")
        assert _sizes(driver) == [1, 1, 4, 4, 4, 4, 5]
        _click_header(driver, "Headline")
        assert _headlines(driver) == sorted(expected, key=str.lower)
        _click_header(driver, "Headline")
        assert _headlines(driver) == sorted(expected, key=str.lower, reverse=True)

        # Search: headlines, sources, member titles.
        _type(driver, "bittern")
        assert _headlines(driver) == ["Bittern heard booming at Fennwick Marsh for first time in 40 years"]
        assert driver.find_element("id", "shown").text == "1 of 7 events shown"
        _type(driver, "kestrel")
        assert _headlines(driver) == ["Kestrel Bay library reopens after two-year restoration"]
        _type(driver, "riverbend times")
        assert len(_rows(driver)) == sum(1 for e in tables["events"] if "Riverbend Times" in e["sources"])
        _type(driver, "")
        assert len(_rows(driver)) == 7

        # An event's members with their copy groups: the wire story's three copies sit in one group.
        wire_group = next(a["dup_group_id"] for a in tables["articles"] if a["is_duplicate"])
        wire_event = next(a["event_id"] for a in tables["articles"] if a["dup_group_id"] == wire_group)
        row = driver.find_element("css selector", f'tr.event[data-event-id="{wire_event}"]')
        row.find_element("css selector", "summary").click()
        group = row.find_element("css selector", f'ul.copy-group[data-dup-group="{wire_group}"]')
        members = {m.get_attribute("data-article-id") for m in group.find_elements("css selector", "li.member")}
        assert members == {a["article_id"] for a in tables["articles"] if a["dup_group_id"] == wire_group}
        assert len(members) == 3
        event_members = {m.get_attribute("data-article-id") for m in row.find_elements("css selector", "li.member")}
        assert event_members == set(next(e for e in tables["events"] if e["event_id"] == wire_event)["article_ids"])

        # Histogram and timeline.
        buckets = {b.get_attribute("data-bucket"): int(b.get_attribute("data-count"))
                   for b in driver.find_elements("css selector", "#size-histogram g.bucket")}
        assert buckets == {"1": 2, "2": 0, "3\u20135": 5}
        assert len(driver.find_elements("css selector", "#timeline g.tl-event")) == 7
        assert driver.find_element("id", "dead-letters-none").is_displayed()
        # Offline: the page asked the network for nothing.
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


PAYLOADS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "\"><svg onload=\"window.__xss='svg'\">",
    "</script><script>window.__xss='close'</script>",
    "' onmouseover='window.__xss=1' x='",
]
T0 = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def _hostile_output(root: Path) -> None:
    events, articles, dead = [], [], []
    for i, payload in enumerate(PAYLOADS):
        event_id = f"evt-{i}"
        events.append({
            "event_id": event_id, "headline": f"Headline {i} {payload}", "summary": f"Summary {payload}",
            "canonical_article_id": f"a{i}", "article_ids": [f"a{i}"], "sources": [f"Source {payload}"],
            "article_count": 1, "source_count": 1, "dup_group_count": 1, "first_published_at": T0,
            "last_published_at": T0, "cohesion": 1.0, "languages": ["en"]})
        articles.append({
            "article_id": f"a{i}", "source": f"Source {payload}", "url": None, "title": f"Title {payload}",
            "published_at": T0, "language": "en", "input_file": "x.jsonl", "content_sha1": "0" * 40,
            "clean_text": payload, "word_count": 1, "removed_line_count": 0, "removal_reasons": [],
            "repair_notes": [], "dup_group_id": f"dup-{payload}", "dup_anchor_id": f"a{i}", "dup_similarity": 1.0,
            "is_duplicate": False, "event_id": event_id, "event_similarity": 1.0, "is_canonical": True,
            "authors": [f"Author {payload}"], "dateline": payload, "source_inferred": True,
            "published_at_inferred": False})
        dead.append({"stage": "read", "article_id": payload, "input_file": payload, "record_no": i,
                     "reason": f"reason {payload}", "error": f"error {payload}", "payload_excerpt": payload})
    for name, rows in (("events", events), ("articles", articles), ("dead_letters", dead)):
        (root / name).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[name]), root / name / "part-00000.parquet")


def test_hostile_text_is_shown_as_text_and_runs_nothing(tmp_path):
    require_browser()
    out = tmp_path / "out"
    _hostile_output(out)
    html = tmp_path / "hostile.html"
    assert report.main([str(out), "--html", str(html)]) == 0
    with chromium(tmp_path / "profile") as driver:
        driver.get(html.as_uri())
        for row in driver.find_elements("css selector", "tr.event summary"):
            row.click()
        for element in driver.find_elements("css selector", "summary, td, li, text"):
            driver.execute_script(
                "arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))", element)
        assert driver.execute_script("return window.__xss === undefined")
        assert driver.find_elements("css selector", "img") == []
        assert len(driver.find_elements("css selector", "script")) == 1
        assert driver.find_elements("css selector", "[onerror], [onload], [onmouseover]") == []
        shown = set(_headlines(driver))
        assert shown == {f"Headline {i} {p}" for i, p in enumerate(PAYLOADS)}
        titles = {t.text for t in driver.find_elements("css selector", "li.member .title")}
        assert titles == {f"Title {p}" for p in PAYLOADS}
        reasons = {td.text for td in driver.find_elements("css selector", "#dead-letters td:nth-child(2)")}
        assert reasons == {f"reason {p}" for p in PAYLOADS}
        _type(driver, "<script>window.__xss = 'script'")
        assert _headlines(driver) == [f"Headline 0 {PAYLOADS[0]}"]
        _screenshot(driver, ARTIFACTS / "report-hostile.png")
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
