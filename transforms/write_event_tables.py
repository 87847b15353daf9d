"""WriteEventTables: event rows, article rows and dead letters → Parquet, plus the run's read accounting."""
from __future__ import annotations

import json

import apache_beam as beam

from schemas.tables import SCHEMAS
from transforms.write_tables import TableFiles, WriteTables

PART = "part"
ACCOUNTING = "_accounting"
TEMP = "_tmp"


def table_prefix(root: str, table: str, partition: str | None) -> str:
    """``root/table/[dt=…/]part`` — file names are deterministic: part-00000-of-0000N.parquet."""
    parts = [root.rstrip("/"), table] + ([partition] if partition else []) + [PART]
    return "/".join(parts)


def event_table_files(root: str, partition: str | None, num_shards: int = 1) -> dict[str, TableFiles]:
    """The files of the output tables and of the accounting lines under ``root``."""
    files = {table: TableFiles(table_prefix(root, table, partition), schema, num_shards) for table, schema in SCHEMAS.items()}
    files[ACCOUNTING] = TableFiles(f"{root.rstrip('/')}/{ACCOUNTING}/{PART}", None, 1, ".jsonl")
    return files


def _accounting_line(element: tuple[str, dict[str, list[int]]]) -> str:
    input_file, joined = element
    return json.dumps(
        {"input_file": input_file, "records_read": sum(joined["read"]), "collapsed": sum(joined["collapsed"])},
        sort_keys=True,
    )


class WriteEventTables(beam.PTransform):
    """{events: EventRow, articles: ArticleRow, dead_letters: DeadLetter, event_merges: EventMergeRow,
    read_counts: (file, n), collapsed: (file, 1)} → Parquet tables under ``root`` (zstd, standard nested
    lists, explicit schemas from ``schemas/tables.py``) and ``root/_accounting/`` (JSON lines: records read
    and collapsed per input file, for the run's accounting check); → the paths written. ``root`` is a
    staging folder: the job publishes it only after the whole run succeeded.

    ``more`` names the files of further tables in the input (the nightly job's state): they are written by
    the same step (``transforms/write_tables.py``: one grouping for every table of the run).
    """

    def __init__(self, root: str, partition: str | None = None, num_shards: int = 1,
                 more: dict[str, TableFiles] | None = None) -> None:
        super().__init__()
        self._root = root
        self._files = {**event_table_files(root, partition, num_shards), **(more or {})}

    def expand(self, tables: dict[str, beam.PCollection]) -> beam.PCollection:
        rows = {name: pcoll for name, pcoll in tables.items() if name not in ("read_counts", "collapsed")}
        rows[ACCOUNTING] = (
            {"read": tables["read_counts"], "collapsed": tables["collapsed"]}
            | "Accounting:Join" >> beam.CoGroupByKey()
            | "Accounting:Line" >> beam.Map(_accounting_line)
        )
        return rows | "Write" >> WriteTables(self._files, f"{self._root.rstrip('/')}/{TEMP}")
