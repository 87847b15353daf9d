"""WriteEventTables: event rows, article rows and dead letters → Parquet, plus the run's read accounting."""
from __future__ import annotations

import json
from typing import Any

import apache_beam as beam

from schemas.tables import SCHEMAS

PART = "part"
SHARD_TEMPLATE = "-SSSSS-of-NNNNN"
ACCOUNTING = "_accounting"


def table_prefix(root: str, table: str, partition: str | None) -> str:
    """``root/table/[dt=…/]part`` — file names are deterministic: part-00000-of-0000N.parquet."""
    parts = [root.rstrip("/"), table] + ([partition] if partition else []) + [PART]
    return "/".join(parts)


def _accounting_line(element: tuple[str, dict[str, list[int]]]) -> str:
    input_file, joined = element
    return json.dumps(
        {"input_file": input_file, "records_read": sum(joined["read"]), "collapsed": sum(joined["collapsed"])},
        sort_keys=True,
    )


class WriteEventTables(beam.PTransform):
    """{events: EventRow, articles: ArticleRow, dead_letters: DeadLetter, read_counts: (file, n),
    collapsed: (file, 1)} → Parquet tables under ``root`` (zstd, standard nested lists, explicit schemas
    from ``schemas/tables.py``) and ``root/_accounting/`` (JSON lines: records read and collapsed per
    input file, for the run's accounting check). ``root`` is a staging folder: the job publishes it only
    after the whole run succeeded.
    """

    def __init__(self, root: str, partition: str | None = None, num_shards: int = 1) -> None:
        super().__init__()
        self._root = root
        self._partition = partition
        self._num_shards = num_shards

    def expand(self, tables: dict[str, beam.PCollection]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for table, schema in SCHEMAS.items():
            results[table] = (
                tables[table]
                | f"{table}:ToRow" >> beam.Map(lambda record: record.to_row())
                | f"{table}:Write" >> beam.io.WriteToParquet(
                    table_prefix(self._root, table, self._partition),
                    schema=schema,
                    codec="zstd",
                    use_compliant_nested_type=True,
                    file_name_suffix=".parquet",
                    num_shards=self._num_shards,
                    shard_name_template=SHARD_TEMPLATE,
                )
            )
        results[ACCOUNTING] = (
            {"read": tables["read_counts"], "collapsed": tables["collapsed"]}
            | "Accounting:Join" >> beam.CoGroupByKey()
            | "Accounting:Line" >> beam.Map(_accounting_line)
            | "Accounting:Write" >> beam.io.WriteToText(
                f"{self._root.rstrip('/')}/{ACCOUNTING}/part", file_name_suffix=".jsonl",
                num_shards=1, shard_name_template=SHARD_TEMPLATE)
        )
        return results
