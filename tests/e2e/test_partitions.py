"""Scheduled runs on one machine: one Hive partition per ``--date`` in one output folder, read back as one
table by pyarrow and DuckDB; a rerun replaces only its own partition; the multi-process DirectRunner mode
gives exactly the single-process result."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeEmbeddingHandler

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample"
DAY1, DAY2 = "2026-03-12", "2026-03-18"
TEXT_FILES = str(SAMPLE / "articles" / "*" / "*.txt")
HARBOR_LEDGER = str(SAMPLE / "articles" / "harbor-ledger" / "*.txt")
JSONL = str(SAMPLE / "articles.jsonl")
REFERENCE = ["--reference_time", "2026-04-01T00:00:00+00:00"]


def run(output: Path, date: str | None, *inputs: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    from pipelines import events

    argv = [a for i in inputs for a in ("--input", i)] + ["--output", str(output), *REFERENCE, *extra]
    if date:
        argv += ["--date", date]
    return events.run(argv, model_handler=FakeEmbeddingHandler())


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def half_of_sample(folder: Path) -> str:
    """Every other record of the sample's JSONL (12 of 23): the first night of a feed."""
    lines = (SAMPLE / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    path = folder / "half.jsonl"
    path.write_text("\n".join(lines[::2]) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    # Night 1 gets half the sample; night 2 the whole feed again (the first half re-delivered).
    out = tmp_path_factory.mktemp("nightly") / "out"
    half = half_of_sample(out.parent)
    summaries = {DAY1: run(out, DAY1, half), DAY2: run(out, DAY2, JSONL)}
    return out, summaries


def test_a_redelivered_record_is_a_repeat_not_a_second_article(two_days: tuple[Path, dict]) -> None:
    _, summaries = two_days
    assert summaries[DAY1]["totals"] == {"records_read": 12, "articles": 12, "dead_letters": 0, "collapsed": 0}
    assert summaries[DAY2]["totals"] == {"records_read": 23, "articles": 11, "dead_letters": 0, "collapsed": 12}
    assert summaries[DAY2]["counters"]["normalize/collapsed:ingested_on_an_earlier_night"] == 12


def test_two_dates_are_two_hive_partitions_of_one_table(two_days: tuple[Path, dict]) -> None:
    import pyarrow.dataset as ds

    out, summaries = two_days
    for table in ("events", "articles", "dead_letters"):
        assert sorted(p.name for p in (out / table).iterdir()) == [f"dt={DAY1}", f"dt={DAY2}"], table
    for day in (DAY1, DAY2):
        assert (out / "_commits" / f"dt={day}" / "_SUCCESS").read_text().strip() == summaries[day]["run_id"]

    events = ds.dataset(str(out / "events"), format="parquet", partitioning="hive").to_table()
    assert "dt" in events.column_names
    per_day = events.group_by("dt").aggregate([("event_id", "count")]).to_pylist()
    assert {r["dt"]: r["event_id_count"] for r in per_day} == {d: summaries[d]["events"] for d in (DAY1, DAY2)}

    articles = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table()
    per_day = articles.group_by("dt").aggregate([("article_id", "count")]).to_pylist()
    assert {r["dt"]: r["article_id_count"] for r in per_day} == {
        d: summaries[d]["totals"]["articles"] for d in (DAY1, DAY2)}


def test_duckdb_reads_all_days_as_one_table(two_days: tuple[Path, dict]) -> None:
    import duckdb

    out, summaries = two_days
    rows = duckdb.sql(f"""
        SELECT dt, count(*) AS events, sum(article_count) AS articles, max(article_count) AS largest
        FROM read_parquet('{out}/events/*/*.parquet', hive_partitioning = true)
        GROUP BY dt ORDER BY dt
    """).fetchall()
    assert [(str(dt), n, int(a)) for dt, n, a, _ in rows] == [
        (d, summaries[d]["events"], summaries[d]["totals"]["articles"]) for d in (DAY1, DAY2)]
    joined = duckdb.sql(f"""
        SELECT count(*) FROM read_parquet('{out}/articles/*/*.parquet', hive_partitioning = true) a
        JOIN read_parquet('{out}/events/*/*.parquet', hive_partitioning = true) e USING (event_id, dt)
    """).fetchall()[0][0]
    assert joined == sum(summaries[d]["totals"]["articles"] for d in (DAY1, DAY2))


def test_rerunning_one_date_replaces_only_that_partition(tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    out = tmp_path / "out"
    run(out, DAY1, half_of_sample(tmp_path))
    run(out, DAY2, JSONL)
    day2_before = {t: files_under(out / t / f"dt={DAY2}") for t in ("events", "articles", "dead_letters")}
    day2_commit = files_under(out / "_commits" / f"dt={DAY2}")

    rerun = run(out, DAY1, HARBOR_LEDGER)

    articles = ds.dataset(str(out / "articles"), format="parquet", partitioning="hive").to_table().to_pylist()
    day1_ids = sorted(a["article_id"] for a in articles if a["dt"] == DAY1)
    # ids are paths relative to the glob base (here the harbor-ledger folder)
    assert day1_ids == sorted(p.stem for p in (SAMPLE / "articles" / "harbor-ledger").glob("*.txt"))
    assert rerun["totals"]["articles"] == len(day1_ids)
    assert sum(1 for a in articles if a["dt"] == DAY2) == 11
    assert {t: files_under(out / t / f"dt={DAY2}") for t in day2_before} == day2_before
    assert files_under(out / "_commits" / f"dt={DAY2}") == day2_commit
    assert (out / "_commits" / f"dt={DAY1}" / "_SUCCESS").read_text().strip() == rerun["run_id"]
    assert not (out / "_staging").exists() or not list((out / "_staging").iterdir())


def test_multi_process_direct_runner_gives_the_single_process_result(tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    from schemas.tables import SCHEMAS

    single, multi = tmp_path / "single", tmp_path / "multi"
    run(single, None, TEXT_FILES, JSONL)
    # The fake embedder crosses into the worker processes by pickle (it is importable as tests.fakes).
    run(multi, None, TEXT_FILES, JSONL,
        extra=("--direct_running_mode=multi_processing", "--direct_num_workers=2"))
    for table in SCHEMAS:
        rows = [sorted(ds.dataset(str(o / table), format="parquet").to_table().to_pylist(),
                       key=lambda r: repr(sorted(r.items()))) for o in (single, multi)]
        assert rows[0] == rows[1], table
