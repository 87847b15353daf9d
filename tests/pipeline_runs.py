"""Run the real job in-process and read its published tables back with pyarrow."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from pipelines import events
from schemas.tables import SCHEMAS


def read_tables(output: Path) -> dict[str, list[dict[str, Any]]]:
    """Each published table as rows, read the way a downstream job would (hive partitioning),
    checked against the schema in schemas/."""
    tables = {}
    for name, schema in SCHEMAS.items():
        table = ds.dataset(str(output / name), format="parquet", partitioning="hive").to_table()
        assert table.schema.equals(schema, check_metadata=False), (name, table.schema)
        tables[name] = table.to_pylist()
    return tables


def run_job(inputs: list[str], output: Path, model_handler=None, extra: list[str] | None = None):
    argv = [arg for i in inputs for arg in ("--input", i)] + ["--output", str(output)] + (extra or [])
    summary = events.run(argv, model_handler=model_handler)
    return summary, read_tables(output)


def events_by_member(tables: dict[str, list[dict[str, Any]]]) -> set[frozenset[str]]:
    return {frozenset(e["article_ids"]) for e in tables["events"]}
