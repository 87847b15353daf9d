"""WriteTables: every table of a run in one grouping step, each shard's file written whole, empty ones too."""
from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas.tables import EventMergeRow
from transforms.write_tables import TableFiles, WriteTables, write_parquet

SCHEMA = pa.schema([pa.field("event_id", pa.string(), nullable=False), pa.field("n", pa.int32())],
                   metadata={"storybeam.table": "toy"})
MERGES = pa.schema([pa.field("merged_event_id", pa.string(), nullable=False),
                    pa.field("into_event_id", pa.string(), nullable=False), pa.field("dt", pa.string(), nullable=False)])
ROWS = [{"event_id": f"e{i}", "n": i} for i in range(7)]


def _files(root: Path) -> dict[str, TableFiles]:
    return {
        "toy": TableFiles(f"{root}/toy/part", SCHEMA, num_shards=3),
        "merges": TableFiles(f"{root}/merges/dt=2026-12-06/part", MERGES),
        "lines": TableFiles(f"{root}/_lines/part", None, suffix=".jsonl"),
    }


def _run(pipeline, root: Path, merges: list) -> None:  # noqa: ANN001
    with pipeline as p:
        written = {
            "toy": p | "Toy" >> beam.Create(ROWS),
            "merges": p | "Merges" >> beam.Create(merges, reshuffle=False),
            "lines": p | "Lines" >> beam.Create(['{"a": 1}', '{"a": 2}']),
        } | WriteTables(_files(root), f"{root}/_tmp")
        assert_that(written, equal_to(
            [f"{root}/toy/part-0000{i}-of-00003.parquet" for i in range(3)]
            + [f"{root}/merges/dt=2026-12-06/part-00000-of-00001.parquet", f"{root}/_lines/part-00000-of-00001.jsonl"]))


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_every_shard_is_written_once_with_its_rows_and_the_exact_schema(pipeline, tmp_path: Path) -> None:
    _run(pipeline, tmp_path, [])
    assert _tree(tmp_path) == ["_lines/part-00000-of-00001.jsonl", "merges/dt=2026-12-06/part-00000-of-00001.parquet",
                               "toy/part-00000-of-00003.parquet", "toy/part-00001-of-00003.parquet",
                               "toy/part-00002-of-00003.parquet"]  # nothing left under _tmp
    shards = {}
    for i in range(3):
        table = pq.read_table(tmp_path / f"toy/part-0000{i}-of-00003.parquet")
        assert table.schema.equals(SCHEMA, check_metadata=True)
        shards[i] = sorted(r["event_id"] for r in table.to_pylist())
    # Each row in the shard of its first field's crc32, so a rerun puts it in the same file.
    assert shards == {i: sorted(r["event_id"] for r in ROWS if zlib.crc32(r["event_id"].encode()) % 3 == i)
                      for i in range(3)}
    assert sorted(sum(shards.values(), [])) == [f"e{i}" for i in range(7)]
    empty = pq.read_table(tmp_path / "merges/dt=2026-12-06/part-00000-of-00001.parquet")
    assert empty.num_rows == 0 and empty.schema.equals(MERGES)  # an empty table still has its file
    lines = (tmp_path / "_lines/part-00000-of-00001.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["a"] for line in lines) == [1, 2]


def test_typed_records_are_written_as_rows_and_a_rerun_replaces_the_same_files(tmp_path: Path) -> None:
    _run(beam.Pipeline(runner=FnApiRunner()), tmp_path, [])
    _run(beam.Pipeline(runner=FnApiRunner()), tmp_path, [EventMergeRow("evt-b", "evt-a", "2026-12-06")])
    assert len(_tree(tmp_path)) == 5
    assert pq.read_table(tmp_path / "merges/dt=2026-12-06/part-00000-of-00001.parquet").to_pylist() == [
        {"merged_event_id": "evt-b", "into_event_id": "evt-a", "dt": "2026-12-06"}]


def test_a_table_without_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no files named for table\(s\) \['other'\]"):
        with beam.Pipeline(runner=FnApiRunner()) as p:
            _ = {"other": p | beam.Create([{"event_id": "x"}])} | WriteTables(_files(tmp_path), str(tmp_path))
    with pytest.raises(ValueError, match="num_shards must be at least 1"):
        TableFiles("x/part", SCHEMA, num_shards=0)


def test_rows_are_written_in_row_groups_of_the_given_size() -> None:
    sink = io.BytesIO()
    write_parquet(sink, SCHEMA, iter(ROWS), rows_per_group=3)
    data = sink.getvalue()
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 3, 1]
    assert pq.read_table(pa.BufferReader(data)).to_pylist() == ROWS
