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
    def __init__(self, root: str, schemas: dict[str, pa.Schema]) -> None:
        self._root, self._schemas = root, schemas

    def process(self, element: tuple[str, Iterable[dict[str, Any]]], window=beam.DoFn.WindowParam,
                pane=beam.DoFn.PaneInfoParam) -> Iterable[str]:
        table, rows = element
        rows = list(rows)
        path = window_file(self._root, table, window, pane.index)
        write_atomically(path, functools.partial(write_parquet, schema=self._schemas[table], rows=rows),
                         f"{self._root}/{TEMP}")
        Metrics.counter(STAGE, f"{table}:files").inc()
        Metrics.counter(STAGE, f"{table}:rows").inc(len(rows))
        yield path


class WriteWindowTables(beam.PTransform):
    """{table: windowed records (with ``to_row()``) or row dicts} → the paths written.

    ``schemas`` maps each table to its explicit pyarrow schema. One file per table and window pane that
    has rows (an empty window writes nothing). Every table's rows are grouped in one step, keyed by table
    (a step per table cost the runner stages per window; ``transforms/write_tables.py``).
    Metrics: ``write_window_tables/<table>:files``, ``:rows``.
    """

    def __init__(self, root: str, schemas: dict[str, pa.Schema]) -> None:
        super().__init__()
        self._root = root.rstrip("/")
        self._schemas = schemas

    def expand(self, tables: dict[str, beam.PCollection]) -> beam.PCollection:
        keyed = [rows | f"{table}:Key" >> beam.Map(lambda r, t: (t, as_row(r)), table)
                 for table, rows in sorted(tables.items())]
        return (keyed
                | "Flatten" >> beam.Flatten()
                | "GroupWindow" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(_WriteWindow(self._root, self._schemas)))
