"""``storybeam report OUTPUT``: one static, offline HTML page describing a run's published tables.

    storybeam report OUTPUT [--date YYYY-MM-DD ...] [--html FILE] [--max_events N]

Reads ``OUTPUT/events``, ``OUTPUT/articles`` and ``OUTPUT/dead_letters`` (local or gs://, through Beam's
file systems), all partitions or only the ``--date`` ones (Hive ``dt=`` folders), and the run summaries
(``_summary.json``, ``_commits/dt=DATE/_summary.json``). Writes one self-contained HTML file
(``OUTPUT/report.html`` unless ``--html``): inline CSS and JavaScript only, nothing loaded from the
network; every piece of article text is escaped (rendering is in :mod:`pipelines.report_html`).
Exit code 0 on success, 2 when the output holds no published tables (one ``storybeam: error:`` line).
"""
from __future__ import annotations

import argparse
import io
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

TABLES = ("events", "articles", "dead_letters")
_PARTITION = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")


class ReportError(Exception):
    """The output cannot be reported on (nothing published there, unreadable)."""


@dataclass
class RunTables:
    """The rows of a run's published tables (each row with its ``dt`` where partitioned)."""

    output: str
    events: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)


def _files(output: str, table: str, dates: list[str]) -> list[str]:
    from apache_beam.io.filesystems import FileSystems

    patterns = [f"{output}/{table}/dt={d}/*.parquet" for d in dates] if dates else [
        f"{output}/{table}/*.parquet", f"{output}/{table}/dt=*/*.parquet"]
    found: set[str] = set()
    for pattern in patterns:
        try:
            found.update(m.path for m in FileSystems.match([pattern])[0].metadata_list)
        except Exception:  # noqa: BLE001 - a pattern matching nothing raises on some file systems
            continue
    return sorted(found)


def _read_parquet(path: str) -> pa.Table:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as f:
        return pq.read_table(io.BytesIO(f.read()))


def _read_json(path: str) -> dict[str, Any] | None:
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as f:
            return json.loads(f.read().decode("utf-8"))
    except Exception:  # noqa: BLE001 - a missing summary is shown as missing, not an error
        return None


def read_run(output: str, dates: Iterable[str] = ()) -> RunTables:
    """Every row of the published tables under ``output`` (only the ``dates`` partitions when given)."""
    output = output.rstrip("/")
    dates = sorted(set(dates))
    run = RunTables(output=output)
    partitions: set[str] = set()
    for table in TABLES:
        rows: list[dict[str, Any]] = []
        for path in _files(output, table, dates):
            match = _PARTITION.search(path.replace("\\", "/"))
            dt = match.group(1) if match else None
            if dt:
                partitions.add(dt)
            for row in _read_parquet(path).to_pylist():
                row["dt"] = dt
                rows.append(row)
        setattr(run, table, rows)
    if not run.events and not run.articles and not run.dead_letters:
        where = f" for --date {', '.join(dates)}" if dates else ""
        raise ReportError(f"no published tables found under {output!r}{where} (run 'storybeam run' first)")
    run.partitions = sorted(partitions)
    summary_paths = [f"{output}/_commits/dt={d}/_summary.json" for d in run.partitions] or [f"{output}/_summary.json"]
    run.summaries = [s for s in (_read_json(p) for p in summary_paths) if s]
    return run


def write_text(path: str, text: str) -> None:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(text.encode("utf-8"))


def main(argv: Iterable[str] | None = None) -> int:
    from pipelines.report_html import render_report

    parser = argparse.ArgumentParser(prog="storybeam report", description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="The job's --output folder (local or gs://).")
    parser.add_argument("--date", action="append", default=[], metavar="YYYY-MM-DD",
                        help="Only this date partition (repeat for several). Default: every partition.")
    parser.add_argument("--html", default=None, help="Where to write the page (default: OUTPUT/report.html).")
    parser.add_argument("--max_events", type=int, default=5000,
                        help="Events listed in the table, largest first (the charts count every event).")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for date in args.date:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            parser.error(f"--date must be YYYY-MM-DD, got {date!r}")
    if args.max_events < 1:
        parser.error("--max_events must be at least 1")
    try:
        run = read_run(args.output, args.date)
    except ReportError as e:
        print(f"storybeam: error: {e}", file=sys.stderr)
        return 2
    html_path = args.html or f"{run.output}/report.html"
    write_text(html_path, render_report(run, max_events=args.max_events))
    print(f"storybeam report: {len(run.events)} events, {len(run.articles)} articles, "
          f"{len(run.dead_letters)} dead letters -> {html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
