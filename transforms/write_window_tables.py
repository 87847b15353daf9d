"""WriteWindowTables: windowed rows → one Parquet file per table, window and pane, complete when it appears.

Where the batch job writes a partition once (``WriteEventTables``), the streaming job adds files as
windows close: ``ROOT/<table>/dt=YYYY-MM-DD/hour=HH/part-<window start>-<seconds>s-p<pane>.parquet``
(the window's start in UTC). Each file is written under ``ROOT/_stream_tmp/`` and renamed into place,
so a reader listing the table never sees a partial file (a rename is atomic on a local disk; on
gs:// an object appears whole). The name is a function of the window and pane, so a retried bundle
rewrites the same file instead of adding a second one. A late firing of a window (data arriving after
its watermark, within the allowed lateness) adds a file with the next pane index. Schemas are the
explicit ones of ``schemas/tables.py`` (and ``schemas/stream.py``); nothing is inferred.
"""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any, Iterable

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics

from transforms.write_tables import as_row, write_atomically, write_parquet

STAGE = "write_window_tables"
TEMP = "_stream_tmp"


def window_start(window: Any) -> datetime:
    return datetime.fromtimestamp(float(window.start), tz=timezone.utc)


def window_end(window: Any) -> datetime:
    return datetime.fromtimestamp(float(window.end), tz=timezone.utc)


def window_partition(window: Any) -> str:
    """``dt=YYYY-MM-DD/hour=HH`` of the window's start (UTC)."""
    start = window_start(window)
    return f"dt={start:%Y-%m-%d}/hour={start:%H}"


def window_file(root: str, table: str, window: Any, pane_index: int) -> str:
    start = window_start(window)
    seconds = int(round(float(window.end) - float(window.start)))
    return (f"{root.rstrip('/')}/{table}/{window_partition(window)}/"
            f"part-{start:%Y%m%dT%H%M%S}Z-{seconds}s-p{pane_index:03d}.parquet")


class _WriteWindow(beam.DoFn):
    def __init__(self, root: str, table: str, schema: pa.Schema) -> None:
        self._root, self._table, self._schema = root, table, schema

    def process(self, element: tuple[Any, Iterable[dict[str, Any]]], window=beam.DoFn.WindowParam,
                pane=beam.DoFn.PaneInfoParam) -> Iterable[str]:
        _, rows = element
        rows = list(rows)
        path = window_file(self._root, self._table, window, pane.index)
        write_atomically(path, functools.partial(write_parquet, schema=self._schema, rows=rows),
                         f"{self._root}/{TEMP}")
        Metrics.counter(STAGE, f"{self._table}:files").inc()
        Metrics.counter(STAGE, f"{self._table}:rows").inc(len(rows))
        yield path


class WriteWindowTables(beam.PTransform):
    """{table: windowed records (with ``to_row()``) or row dicts} → {table: the paths written}.

    ``schemas`` maps each table to its explicit pyarrow schema. One file per window pane that has
    rows (an empty window writes nothing). Metrics: ``write_window_tables/<table>:files``, ``:rows``.

    A grouping step per table, unlike the batch job's one step for all (``transforms/write_tables.py``):
    the step names of a running stream are what an in-place update maps its buffered windows by
    (deploy/README.md), so they stay as they are.
    """

    def __init__(self, root: str, schemas: dict[str, pa.Schema]) -> None:
        super().__init__()
        self._root = root.rstrip("/")
        self._schemas = schemas

    def expand(self, tables: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        written = {}
        for table, rows in tables.items():
            written[table] = (
                rows
                | f"{table}:ToRow" >> beam.Map(lambda r: (None, as_row(r)))
                | f"{table}:GroupWindow" >> beam.GroupByKey()
                | f"{table}:Write" >> beam.ParDo(_WriteWindow(self._root, table, self._schemas[table]))
            )
        return written
