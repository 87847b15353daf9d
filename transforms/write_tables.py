"""WriteTables: the rows of every table a run writes → their files, in one grouping step for all of them.

Beam's ``WriteToParquet`` is four stages per table (initialise, group, write, finalise): the nightly
job's nine tables were 36 of its 155 stages and ~150 of its ~690 transforms, and on a quiet night each
stage costs the in-process runner its bundle set-up whatever it carries. Here every table's rows are keyed
by ``(table, shard)``, flattened and grouped once; one step writes each group to its file, complete when
it appears (written under ``temp_root`` and renamed into place; a retried bundle rewrites the same file).

File names are deterministic, ``<prefix>-SSSSS-of-NNNNN<suffix>``, and every shard is written even when
it has no rows (a reader, or the next night's ``read_state``, finds the table's file with its schema).
A row goes to the shard of its first field's value (``crc32``), so a rerun puts it in the same file.
"""
from __future__ import annotations

import functools
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

STAGE = "write_tables"
ROWS_PER_GROUP = 10_000  # rows per Parquet row group: bounds what one write holds as Arrow at a time


@dataclass(frozen=True)
class TableFiles:
    """Where one table goes: ``prefix-SSSSS-of-NNNNN`` + ``suffix``; Parquet with ``schema``, or JSON lines
    of the rows (which are then ``str``) when ``schema`` is None."""
    prefix: str
    schema: pa.Schema | None
    num_shards: int = 1
    suffix: str = ".parquet"

    def __post_init__(self) -> None:
        if self.num_shards < 1:
            raise ValueError(f"num_shards must be at least 1, got {self.num_shards}")

    def path(self, shard: int) -> str:
        return f"{self.prefix}-{shard:05d}-of-{self.num_shards:05d}{self.suffix}"

    def shard_of(self, row: Any) -> int:
        if self.num_shards == 1:
            return 0
        first = row if isinstance(row, str) else row[self.schema.names[0]]
        return zlib.crc32(str(first).encode("utf-8")) % self.num_shards


def as_row(record: Any) -> Any:
    """A row dict (or JSON line) as it is, a typed record (``schemas/``) as its row."""
    return record if isinstance(record, (dict, str)) else record.to_row()


def _ensure_folder(path: str) -> None:
    folder = path.rsplit("/", 1)[0]
    if "://" in folder and not folder.startswith("file://"):
        return  # object stores have no folders
    try:
        FileSystems.mkdirs(folder)
    except IOError:
        pass  # already there


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(sink: BinaryIO, schema: pa.Schema, rows: Iterable[dict[str, Any]],
                  rows_per_group: int = ROWS_PER_GROUP) -> None:
    """zstd Parquet of ``rows`` with exactly ``schema`` (standard nested lists) into ``sink``, a row group at
    a time; no rows: the schema alone."""
    with pq.ParquetWriter(sink, schema, compression="zstd", use_compliant_nested_type=True) as writer:
        for batch in _batches(rows, rows_per_group):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))


def write_json_lines(sink: BinaryIO, lines: Iterable[str]) -> None:
    for line in lines:
        sink.write(line.encode("utf-8") + b"\n")


def write_atomically(path: str, write: Callable[[BinaryIO], None], temp_root: str) -> None:
    """What ``write(sink)`` writes, at ``path``, visible only once whole (written under ``temp_root``, then
    renamed)."""
    temp = f"{temp_root.rstrip('/')}/{uuid.uuid4().hex}.inprogress"
    _ensure_folder(temp)
    with FileSystems.create(temp) as sink:
        write(sink)
    _ensure_folder(path)
    if FileSystems.exists(path):  # a retried bundle: the same file, the same rows
        FileSystems.delete([path])
    FileSystems.rename([temp], [path])


class _WriteFile(beam.DoFn):
    def __init__(self, tables: dict[str, TableFiles], temp_root: str) -> None:
        self._tables, self._temp_root = tables, temp_root

    def process(self, element: tuple[tuple[str, int], Iterable[Any]]) -> Iterable[str]:
        (table, shard), rows = element
        spec = self._tables[table]
        counter = Metrics.counter(STAGE, f"{table}:rows")
        rows = _counted((r for r in rows if r is not None), counter)  # None: the marker of every shard
        if spec.schema is None:
            write = functools.partial(write_json_lines, lines=rows)
        else:
            write = functools.partial(write_parquet, schema=spec.schema, rows=rows)
        path = spec.path(shard)
        write_atomically(path, write, self._temp_root)
        yield path


def _counted(rows: Iterable[Any], counter: Any) -> Iterator[Any]:
    for row in rows:
        counter.inc()
        yield row


class WriteTables(beam.PTransform):
    """{table: rows (row dicts, typed records with ``to_row()``, or ``str`` lines for a JSON-lines table)}
    → the paths written (one per table and shard, each once). ``tables`` names each table's files; every
    input must have an entry. Metrics: ``write_tables/<table>:rows``."""

    def __init__(self, tables: dict[str, TableFiles], temp_root: str) -> None:
        super().__init__()
        self._tables = dict(tables)
        self._temp_root = temp_root

    def expand(self, rows: dict[str, beam.PCollection]) -> beam.PCollection:
        missing = sorted(set(rows) - set(self._tables))
        if missing:
            raise ValueError(f"no files named for table(s) {missing}")
        keyed = [
            rows[table] | f"{table}:Key" >> beam.Map(_keyed, table, self._tables[table])
            for table in sorted(rows)
        ]
        pipeline = next(iter(rows.values())).pipeline
        shards = pipeline | "EveryShard" >> beam.Create(
            [((table, shard), None) for table in sorted(rows) for shard in range(self._tables[table].num_shards)],
            reshuffle=False)  # a few markers: a reshuffle would cost stages of its own
        return ((*keyed, shards)
                | "Flatten" >> beam.Flatten()
                | "GroupByFile" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(_WriteFile(self._tables, self._temp_root)))


def _keyed(record: Any, table: str, spec: TableFiles) -> tuple[tuple[str, int], Any]:
    row = as_row(record)
    return (table, spec.shard_of(row)), row
