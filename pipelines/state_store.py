"""Where a dated run finds the state of earlier runs, and how it reads and writes it.

Layout (beside the tables, under the same ``--output``)::

    OUTPUT/_state/<events|recent|seen|copies>/dt=D/part-*.parquet   snapshot after the run for D
    OUTPUT/_commits/dt=D/_SUCCESS                                   the run for D was published

A run for ``--date D`` reads the snapshot of the latest published date before D. The rule for gaps:
if that date is not the day before D (a night was skipped or failed), the run still reads it and
logs a warning naming the missing days; stories of the missing nights are simply absent until they
are run (a later run of a missing night reads the snapshot before it, not after). A rerun of D
replaces D's partition and D's snapshot; partitions after D are not rewritten. Writes go to the
run's staging folder and are published with the tables (``pipelines/publish.py``).
"""
from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from typing import Any, Iterator

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipelines.options import ConfigError
from schemas.state import STATE_SCHEMAS, check_state_schema, state_rows
from transforms.write_tables import TableFiles

LOG = logging.getLogger("storybeam.state")
STATE = "_state"
_DT = re.compile(r"dt=(\d{4}-\d{2}-\d{2})")


def state_prefix(root: str, table: str, partition: str) -> str:
    return f"{root.rstrip('/')}/{STATE}/{table}/{partition}/part"


def published_dates(output: str) -> list[str]:
    """Dates whose run was published (``_commits/dt=D/_SUCCESS``) and left a state snapshot."""
    def dates_of(pattern: str) -> set[str]:
        try:
            found = FileSystems.match([pattern])[0].metadata_list
        except Exception:  # a missing folder is reported differently by each file system
            return set()
        return {m.group(1) for f in found for m in [_DT.search(f.path)] if m}

    committed = dates_of(f"{output.rstrip('/')}/_commits/dt=*/_SUCCESS")
    with_state = dates_of(f"{output.rstrip('/')}/{STATE}/events/dt=*/*.parquet")
    return sorted(committed & with_state)


def earlier_date(output: str, run_date: str) -> str | None:
    """The latest published date before ``run_date`` (warning when it is not the day before)."""
    before = [d for d in published_dates(output) if d < run_date]
    if not before:
        return None
    found = before[-1]
    expected = (date.fromisoformat(run_date) - timedelta(days=1)).isoformat()
    if found != expected:
        missing = (date.fromisoformat(run_date) - date.fromisoformat(found)).days - 1
        LOG.warning("state: no published run for the %d day(s) between %s and %s; this run continues from "
                    "%s (stories of the missing days are absent until those days are run)",
                    missing, found, run_date, found)
    return found


def read_state(pipeline: beam.Pipeline, output: str, dt: str | None) -> dict[str, beam.PCollection]:
    """Every state table of ``dt`` as a PCollection of row dicts (empty ones when ``dt`` is None); lists of
    numbers come as numpy arrays (``schemas.state.state_rows``). The snapshot's files are listed and their
    schemas checked now, when the graph is built: a table without files (every snapshot writes each table's
    files, empty or not), a file of another major schema version or without a column this code reads is a
    ``ConfigError`` before any work. Each file is read where the runner puts it."""
    out: dict[str, beam.PCollection] = {}
    for table in STATE_SCHEMAS:
        if dt is None:
            out[table] = pipeline | f"State:{table}:None" >> beam.Create([])
            continue
        pattern = f"{output.rstrip('/')}/{STATE}/{table}/dt={dt}/*.parquet"
        files = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
        if not files:
            raise ConfigError(f"the state snapshot of {dt} has no files for {table!r}: {pattern}")
        for path in files:
            with FileSystems.open(path) as handle:
                try:
                    check_state_schema(table, pq.read_schema(handle), path)
                except ValueError as e:
                    raise ConfigError(str(e)) from e
        out[table] = (pipeline
                      | f"State:{table}:Files" >> beam.Create(files, reshuffle=len(files) > 1)
                      | f"State:{table}:Read" >> beam.FlatMap(read_state_file, table))
    return out


def read_state_file(path: str, table: str, rows_per_batch: int = 4096) -> Iterator[dict[str, Any]]:
    """The rows of one state file, a batch of rows at a time, after checking its schema version and columns."""
    with FileSystems.open(path) as handle:
        parquet = pq.ParquetFile(handle)
        check_state_schema(table, parquet.schema_arrow, path)
        for batch in parquet.iter_batches(batch_size=rows_per_batch, columns=STATE_SCHEMAS[table].names):
            yield from state_rows(table, batch)


def state_files(root: str, partition: str) -> dict[str, TableFiles]:
    """The files of the next run's state under ``root/_state/<table>/<partition>/``, keyed ``_state/<table>``,
    with the explicit schemas of ``schemas/state.py`` (written with the tables: ``WriteEventTables``'s
    ``more``)."""
    return {f"{STATE}/{table}": TableFiles(state_prefix(root, table, partition), schema)
            for table, schema in STATE_SCHEMAS.items()}
