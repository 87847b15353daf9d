"""The streaming job on Beam's streaming direct runner with TestStream: windows firing, events carried
across windows in Beam state, duplicate deliveries and repeats processed once, bad messages as dead
letters, late data, and the same events as the batch job on the same articles (fake embedder)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from apache_beam.transforms.window import TimestampedValue

from tests.fakes import FakeEmbeddingHandler
from tests.pipeline_runs import events_by_member, run_job
from tests.streaming.helpers import T0, files, message, rows, run_test_stream, sample_records

pytestmark = pytest.mark.slow


def _at(seconds: int, *msgs):
    return [TimestampedValue(m, T0 + seconds) for m in msgs]


def _steps(*batches, end: int = 600):
    """TestStream steps: each batch is (watermark before it, timestamped messages)."""
    steps = [lambda s: s.advance_watermark_to(T0)]
    for watermark, values in batches:
        if watermark:
            steps.append(lambda s, w=watermark: s.advance_watermark_to(T0 + w))
        steps.append(lambda s, v=values: s.add_elements(v))
    steps += [lambda s: s.advance_watermark_to(T0 + end), lambda s: s.advance_watermark_to_infinity()]
    return steps


def _memberships(event_rows) -> set[frozenset[str]]:
    return {frozenset(r["article_ids"]) for r in event_rows}


def test_one_window_gives_the_batch_jobs_events(tmp_path: Path, sample_dir: Path):
    records = sample_records(sample_dir)
    msgs = [m for i, r in enumerate(records) for m in _at(1 + i % 50, message(f"m{i}", r))]
    run_test_stream(_steps((0, msgs)), tmp_path / "stream")
    _, batch = run_job([str(sample_dir / "articles.jsonl")], tmp_path / "batch", FakeEmbeddingHandler(),
                       ["--reference_time", "2027-01-01T00:00:00+00:00", "--progress_seconds", "0"])
    streamed = rows(tmp_path / "stream", "events")
    assert _memberships(streamed) == events_by_member(batch)
    assert {r["event_id"] for r in streamed} == {e["event_id"] for e in batch["events"]}
    articles = {r["article_id"]: r for r in rows(tmp_path / "stream", "articles")}
    for a in batch["articles"]:
        got = articles[a["article_id"]]
        assert (got["event_id"], got["dup_group_id"], got["is_duplicate"]) == \
            (a["event_id"], a["dup_group_id"], a["is_duplicate"])
        assert got["event_similarity"] == pytest.approx(a["event_similarity"], abs=1e-6)
    # One window: one file per table, in the window's hour partition; every delivery accounted for.
    assert [str(f.relative_to(tmp_path / "stream")) for f in files(tmp_path / "stream", "articles")] == \
        ["articles/dt=2026-01-15/hour=08/part-20260115T080000Z-60s-p000.parquet"]
    (acc,) = rows(tmp_path / "stream", "deliveries")
    assert (acc["deliveries"], acc["articles"], acc["dead_letters"], acc["repeats"],
            acc["duplicate_deliveries"]) == (len(records), len(records), 0, 0, 0)


def test_windows_fire_and_events_continue_across_windows(tmp_path: Path, sample_dir: Path):
    """The first window's stories found events; the second window's reports of them join those events
    (same ids, found through the engine state kept in Beam state) and the rows say so cumulatively."""
    records = sorted(sample_records(sample_dir), key=lambda r: r["published_at"] or "")
    first, second = records[: len(records) // 2], records[len(records) // 2:]
    run_test_stream(_steps(
        (0, [m for i, r in enumerate(first) for m in _at(5, message(f"a{i}", r))]),
        (70, [m for i, r in enumerate(second) for m in _at(65, message(f"b{i}", r))]),
    ), tmp_path)
    event_files = [str(f.relative_to(tmp_path)) for f in files(tmp_path, "events")]
    assert event_files == ["events/dt=2026-01-15/hour=08/part-20260115T080000Z-60s-p000.parquet",
                           "events/dt=2026-01-15/hour=08/part-20260115T080100Z-60s-p000.parquet"]
    by_window: dict[str, dict[str, dict]] = {}
    for r in rows(tmp_path, "events"):
        by_window.setdefault(r["_file"], {})[r["event_id"]] = r
    w1, w2 = (by_window[f] for f in event_files)
    continued = set(w1) & set(w2)
    assert continued, "no event of the first window was continued in the second"
    for event_id in continued:
        a, b = w1[event_id], w2[event_id]
        assert b["total_article_count"] == a["article_count"] + b["article_count"]
        assert set(b["total_sources"]) == set(a["sources"]) | set(b["sources"])
        assert b["first_seen_dt"] == a["first_seen_dt"] == "2026-01-15"
    # The README's latest-state query: each event's row of its latest window.
    import duckdb

    latest = duckdb.sql(
        f"SELECT event_id, total_article_count FROM read_parquet('{tmp_path}/events/*/*/*.parquet', filename = true) "
        "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY filename DESC) = 1").fetchall()
    assert dict(latest) == {**{k: r["total_article_count"] for k, r in w1.items()},
                            **{k: r["total_article_count"] for k, r in w2.items()}}
    # Every article is in exactly one window's file, with the event its window's row names.
    articles = rows(tmp_path, "articles")
    assert sorted(r["article_id"] for r in articles) == sorted(r["id"] for r in records)
    for r in articles:
        window_events = by_window[r["_file"].replace("articles/", "events/")]
        assert r["article_id"] in window_events[r["event_id"]]["article_ids"]


def test_a_reprint_in_a_later_window_is_a_copy_of_the_earlier_article(tmp_path: Path, sample_dir: Path):
    """The Lowland Gazette's rate-cut story in one window, the Harbor Ledger's reprint of it in the next:
    the reprint joins the earlier group and event (the copies state), and the stream over two windows
    gives the batch job's events, copy groups and ids over the same articles."""
    records = sorted(sample_records(sample_dir), key=lambda r: r["published_at"] or "")
    cut = next(i for i, r in enumerate(records) if r["id"] == "harbor-ledger/2026-03-18-veltria-interest-rate-cut")
    first, second = records[:cut], records[cut:]
    run_test_stream(_steps(
        (0, [m for i, r in enumerate(first) for m in _at(5, message(f"a{i}", r))]),
        (70, [m for i, r in enumerate(second) for m in _at(65, message(f"b{i}", r))]),
    ), tmp_path / "stream")
    articles = {r["article_id"]: r for r in rows(tmp_path / "stream", "articles")}
    original = articles["lowland-gazette/2026-03-18-bank-of-veltria-cuts-rates"]
    reprint = articles["harbor-ledger/2026-03-18-veltria-interest-rate-cut"]
    assert original["_file"].endswith("T080000Z-60s-p000.parquet")
    assert reprint["_file"].endswith("T080100Z-60s-p000.parquet")
    assert not original["is_duplicate"]
    assert reprint["is_duplicate"] and reprint["dup_anchor_id"] == original["article_id"]
    assert (reprint["dup_group_id"], reprint["event_id"]) == (original["dup_group_id"], original["event_id"])
    assert 0.0 < reprint["dup_similarity"] <= 1.0

    _, batch = run_job([str(sample_dir / "articles.jsonl")], tmp_path / "batch", FakeEmbeddingHandler(),
                       ["--reference_time", "2027-01-01T00:00:00+00:00", "--progress_seconds", "0"])
    assert {a["article_id"]: (a["event_id"], a["dup_group_id"], a["is_duplicate"]) for a in batch["articles"]} == \
        {k: (a["event_id"], a["dup_group_id"], a["is_duplicate"]) for k, a in articles.items()}
    second_window = [r for r in rows(tmp_path / "stream", "events") if "T080100Z" in r["_file"]]
    (rate_cut,) = [r for r in second_window if r["event_id"] == original["event_id"]]
    assert reprint["article_id"] in rate_cut["article_ids"]
    assert rate_cut["total_article_count"] > rate_cut["article_count"]  # continued from the first window


def test_a_revised_article_in_a_later_window_is_a_new_article_under_an_id_of_its_own(tmp_path: Path,
                                                                                     sample_dir: Path):
    """The Lowland Gazette's rate-cut story in one window, an updated text of it (same id) in the next: the
    copy lookup verified it against its own earlier text and failed the window. Now it is renamed
    ``<id>#<8 hex>`` and noted ``id:revised_text``, as in nightly runs: a copy of its earlier text, in its
    group and event."""
    records = {r["id"]: r for r in sample_records(sample_dir)}
    original = records["lowland-gazette/2026-03-18-bank-of-veltria-cuts-rates"]
    revised = dict(original, text=original["text"] + "\n\nUpdate: the bank said on Thursday that its full "
                   "statement and the board's vote would be published next week.")
    run_test_stream(_steps((0, _at(5, message("a", original))), (70, _at(65, message("b", revised)))), tmp_path)
    first, second = sorted(rows(tmp_path, "articles"), key=lambda r: r["_file"])
    assert first["article_id"] == original["id"] and not first["is_duplicate"]
    assert re.fullmatch(re.escape(original["id"]) + "#[0-9a-f]{8}", second["article_id"])
    assert (first["repair_notes"], second["repair_notes"]) == ([], ["id:revised_text"])
    assert second["is_duplicate"] and second["dup_anchor_id"] == original["id"]
    assert (second["dup_group_id"], second["event_id"]) == (first["dup_group_id"], first["event_id"])


def test_copy_anchors_expire_after_the_copy_window(tmp_path: Path, sample_dir: Path):
    """The same reprint two days later, with --copy_window_days 1: the earlier anchor has left the copies
    state, so the reprint founds a group of its own."""
    records = {r["id"]: r for r in sample_records(sample_dir)}
    original = records["lowland-gazette/2026-03-18-bank-of-veltria-cuts-rates"]
    reprint = records["harbor-ledger/2026-03-18-veltria-interest-rate-cut"]
    later = 2 * 86400
    run_test_stream(_steps((0, _at(5, message("a", original))), (later, _at(later + 5, message("b", reprint))),
                           end=later + 600), tmp_path, "--copy_window_days", "1")
    articles = {r["article_id"]: r for r in rows(tmp_path, "articles")}
    assert not articles[reprint["id"]]["is_duplicate"]
    assert articles[reprint["id"]]["dup_group_id"] != articles[original["id"]]["dup_group_id"]


def test_duplicate_deliveries_and_repeats_are_processed_once(tmp_path: Path, sample_dir: Path):
    records = sample_records(sample_dir)[:4]
    msgs = _at(1, *[message(f"m{i}", r) for i, r in enumerate(records)])
    redelivered = _at(2, message("m0", records[0]), message("m1", records[1]))  # same message ids
    republished = _at(3, message("x9", records[2]))  # a new message with the same article id and text
    later = _at(70, message("m3", records[3]), message("y1", records[0]))  # next window: again both ways
    run_test_stream(_steps((0, msgs + redelivered + republished), (65, later)), tmp_path)
    articles = rows(tmp_path, "articles")
    assert sorted(r["article_id"] for r in articles) == sorted(r["id"] for r in records)
    acc = sorted(rows(tmp_path, "deliveries"), key=lambda r: r["window_start"])
    assert [(a["deliveries"], a["duplicate_deliveries"], a["repeats"], a["dead_letters"], a["articles"])
            for a in acc] == [(7, 2, 1, 0, 4), (2, 1, 1, 0, 0)]


def test_bad_messages_are_dead_letters_and_do_not_stall(tmp_path: Path, sample_dir: Path):
    good = sample_records(sample_dir)[0]
    bad = {
        "b1": b"this is not json",
        "b2": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "b3": {"id": "no-text", "title": "A title and nothing else"},
        "b4": {"id": "huge", "text": "word " * 30_000},
        "b5": b"",
    }
    msgs = _at(1, message("g", good), *[message(k, v) for k, v in bad.items()])
    run_test_stream(_steps((0, msgs)), tmp_path, "--max_message_bytes", "100000")
    dead = {r["input_file"].rsplit("/", 1)[-1]: r for r in rows(tmp_path, "dead_letters")}
    assert {k: r["reason"] for k, r in dead.items()} == {
        "b1": "malformed_json", "b2": "binary_content", "b3": "missing_text", "b4": "message_too_large",
        "b5": "empty_message"}
    assert dead["b3"]["article_id"] == "no-text"
    assert dead["b1"]["input_file"] == "projects/storybeam-test/subscriptions/articles/messages/b1"
    assert [r["article_id"] for r in rows(tmp_path, "articles")] == [good["id"]]
    (acc,) = rows(tmp_path, "deliveries")
    assert (acc["deliveries"], acc["dead_letters"], acc["articles"]) == (6, 5, 1)


def test_late_data_goes_on_in_its_arrival_window(tmp_path: Path, sample_dir: Path):
    """A message that arrives after its window fired (within the allowed lateness) is processed, in the
    window of its arrival (noted on the article); one past the allowed lateness is dropped by the runner."""
    records = sample_records(sample_dir)
    on_time = _at(10, message("m0", records[0]), message("m1", records[1]))
    late = _at(20, message("m2", records[2]))  # window [0, 60) after the watermark passed 90
    too_late = _at(30, message("m3", records[3]))  # ... and after it passed 60 + 120 s of lateness
    run_test_stream(_steps((0, on_time), (90, late), (200, too_late)), tmp_path,
                    "--allowed_lateness_seconds", "120")
    by_file: dict[str, list[str]] = {}
    notes = {}
    for r in rows(tmp_path, "articles"):
        by_file.setdefault(r["_file"], []).append(r["article_id"])
        notes[r["article_id"]] = r["repair_notes"]
    first = "articles/dt=2026-01-15/hour=08/part-20260115T080000Z-60s-p000.parquet"
    assert sorted(by_file.pop(first)) == sorted([records[0]["id"], records[1]["id"]])
    # The late one: in a later window (its arrival), not lost, with a note; the too-late one is dropped.
    ((late_file, late_ids),) = by_file.items()
    assert late_ids == [records[2]["id"]] and late_file > first
    assert "late:published_in_window:2026-01-15T08:00:00Z" in notes[records[2]["id"]]
    panes = sorted((r["pane_index"], r["deliveries"]) for r in rows(tmp_path, "deliveries")
                   if r["window_start"].isoformat().startswith("2026-01-15T08:00"))
    assert panes == [(0, 2), (1, 1)]
