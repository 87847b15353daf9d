"""Runs that remember: a night continues from the state of the nights before it.

The sample is fed in two nights (every other record, then the rest); the articles' events across both
partitions are the events of one run over the whole sample, the second night's reports carry the
first night's event ids, its reprint of a first-night story is a copy of it, and nothing published
for the first night changes. Fake embedder (real MinHash, real clustering, real Parquet)."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from schemas.state import STATE_SCHEMAS
from tests.fakes import FakeEmbeddingHandler

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
JSONL = REPO / "sample" / "articles.jsonl"
REFERENCE = ["--reference_time", "2026-04-01T00:00:00+00:00"]
DAY1, DAY2 = "2026-03-18", "2026-03-19"


def run(output: Path, date: str | None, path: Path) -> dict[str, Any]:
    from pipelines import events

    argv = ["--input", str(path), "--output", str(output), *REFERENCE] + (["--date", date] if date else [])
    return events.run(argv, model_handler=FakeEmbeddingHandler())


def rows(output: Path, table: str) -> list[dict[str, Any]]:
    return ds.dataset(str(output / table), format="parquet", partitioning="hive").to_table().to_pylist()


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("incremental")
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    halves = []
    for k, part in enumerate((lines[::2], lines[1::2])):
        path = base / f"night{k + 1}.jsonl"
        path.write_text("\n".join(part) + "\n", encoding="utf-8")
        halves.append(path)
    out, whole = base / "out", base / "whole"
    run(out, DAY1, halves[0])
    night1 = {t: files_under(out / t / f"dt={DAY1}") for t in ("events", "articles", "dead_letters")}
    run(out, DAY2, halves[1])
    run(whole, None, JSONL)
    return {"out": out, "whole": whole, "night1_files": night1}


def test_two_nights_give_the_events_of_one_run_over_both(nights: dict[str, Any]) -> None:
    def membership(articles: list[dict[str, Any]]) -> set[frozenset[str]]:
        by_event: dict[str, set[str]] = {}
        for a in articles:
            by_event.setdefault(a["event_id"], set()).add(a["article_id"])
        return {frozenset(m) for m in by_event.values()}

    incremental, one_shot = rows(nights["out"], "articles"), rows(nights["whole"], "articles")
    assert len(incremental) == len(one_shot) == 23
    assert membership(incremental) == membership(one_shot)
    # Event ids are founded by the earliest story, so they are the one-shot run's ids too.
    assert {a["article_id"]: a["event_id"] for a in incremental} == {a["article_id"]: a["event_id"] for a in one_shot}


def test_the_second_night_continues_first_night_events_and_copy_groups(nights: dict[str, Any]) -> None:
    articles = rows(nights["out"], "articles")
    night1 = {a["article_id"]: a for a in articles if a["dt"] == DAY1}
    night2 = [a for a in articles if a["dt"] == DAY2]
    continued = {a["event_id"] for a in night2} & {a["event_id"] for a in night1.values()}
    assert len(continued) == 5
    # The Harbor Ledger's reprint of the Lowland Gazette's rate-cut story (night 1) is its copy.
    reprint = next(a for a in night2 if a["article_id"] == "harbor-ledger/2026-03-18-veltria-interest-rate-cut")
    original = night1["lowland-gazette/2026-03-18-bank-of-veltria-cuts-rates"]
    assert not original["is_duplicate"]
    assert reprint["is_duplicate"] and reprint["dup_anchor_id"] == original["article_id"]
    assert reprint["dup_group_id"] == original["dup_group_id"]
    assert reprint["event_id"] == original["event_id"]

    events = rows(nights["out"], "events")
    for e in events:
        if e["dt"] == DAY2 and e["event_id"] in continued:
            first = next(x for x in events if x["dt"] == DAY1 and x["event_id"] == e["event_id"])
            assert e["first_seen_dt"] == DAY1
            assert e["total_article_count"] == first["article_count"] + e["article_count"]
            assert e["total_first_published_at"] == min(first["first_published_at"], e["first_published_at"])
    assert rows(nights["out"], "event_merges") == []


def test_published_partitions_are_never_rewritten(nights: dict[str, Any]) -> None:
    out = nights["out"]
    assert {t: files_under(out / t / f"dt={DAY1}") for t in nights["night1_files"]} == nights["night1_files"]


def test_state_snapshots_have_their_schemas(nights: dict[str, Any]) -> None:
    out = nights["out"]
    for day in (DAY1, DAY2):
        for table, schema in STATE_SCHEMAS.items():
            (part,) = sorted((out / "_state" / table / f"dt={day}").glob("*.parquet"))
            assert pq.read_schema(part).equals(schema, check_metadata=False), (table, day)
    recent = pq.read_table(out / "_state" / "recent" / f"dt={DAY2}").to_pylist()
    assert len(recent) == 21  # every representative of both nights (fewer than context_docs)
    seen = pq.read_table(out / "_state" / "seen" / f"dt={DAY2}").to_pylist()
    assert sorted(r["dt"] for r in seen) == [DAY1] * 12 + [DAY2] * 11


def test_the_latest_state_query_gives_each_event_once_with_its_totals(nights: dict[str, Any]) -> None:
    import duckdb

    sql = (REPO / "schemas" / "latest_events.sql").read_text().format(output=nights["out"])
    latest = duckdb.sql(sql).fetchall()
    columns = [c[0] for c in duckdb.sql(sql).description]
    latest = [dict(zip(columns, r)) for r in latest]
    articles = rows(nights["out"], "articles")
    per_event: dict[str, int] = {}
    for a in articles:
        per_event[a["event_id"]] = per_event.get(a["event_id"], 0) + 1
    assert {r["resolved_event_id"]: r["total_article_count"] for r in latest} == per_event


def test_a_revised_article_is_a_new_article_under_an_id_of_its_own(tmp_path: Path) -> None:
    """A site changes an article's text after the night that ingested it: the next night reads the same id
    with the new text. It was verified against its own earlier text as a copy and the night failed. Now it
    is renamed ``<id>#<8 hex>`` and noted ``id:revised_text``, as a second text within one run is: an
    update is a near-duplicate copy of its earlier text, in its group and event; an id that now carries
    another story founds an event of its own (under the old id it would have founded one with the id of
    the event its earlier text founded). Delivered again on a later night, the revision is a repeat."""
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    first, bridge, bittern = (json.loads(lines[i]) for i in (0, 4, 15))
    update = dict(first, text=first["text"] + "\n\nUpdate: the county said on Wednesday that the fire "
                  "had been caused by a fault in a storage hall, and that the plant would reopen next month.")
    reused = dict(bridge, text=bittern["text"], title=bittern["title"])  # the id now carries another story
    paths = {name: tmp_path / f"{name}.jsonl" for name in ("night1", "night2", "night2b")}
    paths["night1"].write_text("\n".join(lines[::2]) + "\n", encoding="utf-8")
    paths["night2"].write_text(json.dumps(update) + "\n", encoding="utf-8")
    paths["night2b"].write_text(json.dumps(reused) + "\n", encoding="utf-8")
    out, out_b = tmp_path / "out", tmp_path / "out_b"
    for output in (out, out_b):
        run(output, DAY1, paths["night1"])
    summary = run(out, DAY2, paths["night2"])
    assert summary["totals"]["articles"] == 1 and summary["totals"]["dead_letters"] == 0
    assert summary["counters"]["normalize/revised:new_text_of_earlier_id"] == 1
    again = run(out, "2026-03-20", paths["night2"])
    assert (again["totals"]["articles"], again["totals"]["collapsed"]) == (0, 1)

    articles = {(a["article_id"], a["dt"]): a for a in rows(out, "articles")}
    before = articles[(first["id"], DAY1)]
    (after,) = [a for (i, dt), a in articles.items() if dt == DAY2]
    assert re.fullmatch(re.escape(first["id"]) + "#[0-9a-f]{8}", after["article_id"])
    assert after["repair_notes"] == ["id:revised_text"]
    assert after["is_duplicate"] and after["dup_anchor_id"] == first["id"]
    assert (after["dup_group_id"], after["event_id"]) == (before["dup_group_id"], before["event_id"])
    # A copy adds no anchor: the copies state holds each anchor once, the earlier text's row as written.
    earlier, copies = (pq.read_table(out / "_state" / "copies" / f"dt={day}").to_pylist() for day in (DAY1, DAY2))
    assert sorted(r["article_id"] for r in copies) == sorted(r["article_id"] for r in earlier)
    (row,) = [r for r in copies if r["article_id"] == first["id"]]
    assert row["dt"] == DAY1

    run(out_b, DAY2, paths["night2b"])
    earlier = next(a for a in rows(out_b, "articles") if a["article_id"] == bridge["id"])
    (now,) = [a for a in rows(out_b, "articles") if a["dt"] == DAY2]
    assert now["article_id"].startswith(bridge["id"] + "#") and not now["is_duplicate"]
    assert now["event_id"] != earlier["event_id"]
    assert earlier["event_id"] not in {e["event_id"] for e in rows(out_b, "events") if e["dt"] == DAY2}


def test_an_id_back_after_the_repeat_window_is_tonights_anchor_and_its_earlier_row_gives_way(tmp_path: Path) -> None:
    """An id and its text delivered again after ``--repeat_window_days`` but within ``--copy_window_days`` is
    no repeat and no copy of itself: it is tonight's anchor, and the next copies state holds its id once,
    tonight's row; every other earlier row is carried over as it was."""
    from pipelines import events

    lines = JSONL.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    paths = {name: tmp_path / f"{name}.jsonl" for name in ("night1", "night2", "night3")}
    paths["night1"].write_text("\n".join(lines[::2]) + "\n", encoding="utf-8")
    paths["night2"].write_text(lines[1] + "\n", encoding="utf-8")
    paths["night3"].write_text(json.dumps(first) + "\n", encoding="utf-8")
    out, day3 = tmp_path / "out", "2026-03-20"
    run(out, DAY1, paths["night1"])
    for day, night in ((DAY2, "night2"), (day3, "night3")):  # night 3: DAY1's ids have left the repeat window
        summary = events.run(["--input", str(paths[night]), "--output", str(out), *REFERENCE, "--date", day,
                              "--repeat_window_days", "1"], model_handler=FakeEmbeddingHandler())
    assert (summary["totals"]["articles"], summary["totals"]["collapsed"]) == (1, 0)
    (article,) = [a for a in rows(out, "articles") if a["dt"] == day3]
    assert article["article_id"] == first["id"] and not article["is_duplicate"]

    earlier, copies = (pq.read_table(out / "_state" / "copies" / f"dt={day}").to_pylist() for day in (DAY2, day3))
    assert first["id"] in {r["article_id"] for r in earlier}
    assert sorted(r["article_id"] for r in copies) == sorted(r["article_id"] for r in earlier)
    (row,) = [r for r in copies if r["article_id"] == first["id"]]
    assert row["dt"] == day3 and row["dup_group_id"] == article["dup_group_id"]
    def others(state: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted((r for r in state if r["article_id"] != first["id"]), key=lambda r: r["article_id"])

    assert others(copies) == others(earlier)


def test_a_gap_in_earlier_partitions_is_bridged_with_a_warning(tmp_path: Path, caplog) -> None:
    from pipelines.state_store import earlier_date

    out = tmp_path / "out"
    for day in ("2026-03-10", "2026-03-12"):
        (out / "_commits" / f"dt={day}").mkdir(parents=True)
        (out / "_commits" / f"dt={day}" / "_SUCCESS").write_text("run\n")
        (out / "_state" / "events" / f"dt={day}").mkdir(parents=True)
        (out / "_state" / "events" / f"dt={day}" / "part-00000-of-00001.parquet").write_bytes(b"")
    (out / "_state" / "events" / "dt=2026-03-14").mkdir(parents=True)  # a snapshot never committed
    (out / "_state" / "events" / "dt=2026-03-14" / "part-00000-of-00001.parquet").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="storybeam.state"):
        assert earlier_date(str(out), "2026-03-13") == "2026-03-12"
    assert not caplog.records
    with caplog.at_level(logging.WARNING, logger="storybeam.state"):
        assert earlier_date(str(out), "2026-03-16") == "2026-03-12"
    assert "3 day(s) between 2026-03-12 and 2026-03-16" in caplog.text
    assert earlier_date(str(out), "2026-03-10") is None
