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

TABLES = ("events", "articles", "dead_letters", "event_merges")
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
    event_merges: list[dict[str, Any]] = field(default_factory=list)
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
    run.events, run.articles = one_row_per_event(run.events, run.articles, run.event_merges)
    summary_paths = [f"{output}/_commits/dt={d}/_summary.json" for d in run.partitions] or [f"{output}/_summary.json"]
    run.summaries = [s for s in (_read_json(p) for p in summary_paths) if s]
    return run


def one_row_per_event(events: list[dict[str, Any]], articles: list[dict[str, Any]],
                      merges: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events and articles of several partitions as one run's: each night writes the events it touched
    with that night's members, and a later night may merge two earlier events (``event_merges``). Here an
    event is one row under its resolved id (merge chains followed): headline, summary, canonical article,
    cohesion and names from its latest row (the resolved id's own row first, as ``schemas/latest_events.sql``
    picks), members, sources, languages and time span over all its rows, ``dt`` the partitions it is in.
    An article id found in several partitions is shown in its latest one (revised texts get ids of their
    own since 2026-12-06; earlier outputs may hold an id twice), and an event left without members so is
    not shown. Partitions that touch each event once come out unchanged."""
    into = {m["merged_event_id"]: m["into_event_id"] for m in sorted(merges, key=lambda m: m.get("dt") or "")}

    def resolve(event_id: str) -> str:
        seen = {event_id}
        while event_id in into and into[event_id] not in seen:
            event_id = into[event_id]
            seen.add(event_id)
        return event_id

    latest_article: dict[str, dict[str, Any]] = {}
    for a in sorted(articles, key=lambda a: a.get("dt") or ""):
        latest_article[a["article_id"]] = dict(a, event_id=resolve(a["event_id"]))
    kept_articles = list(latest_article.values()) if len(latest_article) < len(articles) or into else articles

    by_event: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_event.setdefault(resolve(e["event_id"]), []).append(e)
    folded = []
    for event_id, rows in by_event.items():
        # A member whose latest text went to another event is that event's member.
        ids = sorted({i for e in rows for i in e["article_ids"]
                      if i not in latest_article or latest_article[i]["event_id"] == event_id})
        if len(rows) == 1 and rows[0]["event_id"] == event_id and ids == sorted(rows[0]["article_ids"]):
            folded.append(rows[0])
            continue
        if not ids:
            continue
        rows.sort(key=lambda e: (e.get("dt") or "", e["event_id"] == event_id))
        sources = sorted({s for e in rows for s in e["sources"]})
        groups = {latest_article[i]["dup_group_id"] for i in ids if i in latest_article}
        firsts = [e["first_published_at"] for e in rows if e.get("first_published_at")]
        lasts = [e["last_published_at"] for e in rows if e.get("last_published_at")]
        folded.append(dict(
            rows[-1], event_id=event_id, article_ids=ids, article_count=len(ids), sources=sources,
            source_count=len(sources), dup_group_count=len(groups) or rows[-1]["dup_group_count"],
            first_published_at=min(firsts, default=None), last_published_at=max(lasts, default=None),
            languages=sorted({lang for e in rows for lang in e.get("languages") or []}),
            dt=", ".join(sorted({e["dt"] for e in rows if e.get("dt")})) or None))
    return folded, kept_articles


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
