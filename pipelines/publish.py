"""Committing a run: verify what the pipeline staged, then publish it whole, or not at all.

The pipeline writes every table into ``OUTPUT/_staging/<run_id>/``. Only after the pipeline finished do
we read the staged tables back, check them against their schemas and check the accounting
(records read = article rows + dead letters + collapsed repeats, per input file). Then the previous
output of the same tables (or partition) is replaced, and ``_SUCCESS`` is written last, beside a
manifest and the run summary. Readers that wait for ``_SUCCESS`` never see a partial run; a run killed
before publishing leaves the published output as it was, and the next run deletes its leftovers.
"""
from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from schemas.state import STATE_SCHEMAS
from schemas.tables import SCHEMA_VERSIONS, SCHEMAS
from transforms.write_event_tables import ACCOUNTING

SUCCESS = "_SUCCESS"
MANIFEST = "_manifest.json"
SUMMARY = "_summary.json"
STAGING = "_staging"
STATE = "_state"  # pipelines/state_store.py


class PublishError(RuntimeError):
    """The staged output failed a check; nothing was published."""


def staging_root(output: str, run_id: str) -> str:
    return f"{output}/{STAGING}/{run_id}"


def commit_root(output: str, partition: str | None) -> str:
    """Where ``_SUCCESS``, the manifest and the summary of a run go."""
    return f"{output}/_commits/{partition}" if partition else output


def _join(*parts: str | None) -> str:
    return "/".join(p.rstrip("/") for p in parts if p)


def list_files(folder: str) -> list[str]:
    """Files directly in ``folder`` (sorted); empty when it does not exist."""
    try:
        result = FileSystems.match([_join(folder, "*")])[0]
    except Exception:  # a missing folder is reported differently by each file system
        return []
    return sorted(m.path for m in result.metadata_list if not m.path.rstrip("/").endswith(folder.rstrip("/")))


def read_table(folder: str, table: str, schema: pa.Schema | None = None) -> pa.Table:
    """All Parquet parts in ``folder`` as one table with the table's schema (exact, metadata aside)."""
    schema = schema or SCHEMAS[table]
    pieces = []
    for path in list_files(folder):
        if not path.endswith(".parquet"):
            continue
        with FileSystems.open(path) as f:
            piece = pq.read_table(io.BytesIO(f.read()))
        if not piece.schema.equals(schema, check_metadata=False):
            raise PublishError(f"{path}: schema differs from schemas/{table}:\n{piece.schema}\n!=\n{schema}")
        pieces.append(piece.cast(schema))
    return pa.concat_tables(pieces) if pieces else schema.empty_table()


def _write_text(path: str, text: str) -> None:
    with FileSystems.create(path) as f:
        f.write(text.encode("utf-8"))


def _delete(paths: Iterable[str]) -> None:
    paths = list(paths)
    if paths:
        FileSystems.delete(paths)


@dataclass
class StagedRun:
    tables: dict[str, pa.Table]
    accounting: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


def _size_bucket(n: int) -> str:
    for upper, label in ((1, "1"), (2, "2"), (5, "3-5"), (10, "6-10"), (50, "11-50")):
        if n <= upper:
            return label
    return "51+"


def summarize(tables: dict[str, pa.Table], accounting: list[dict[str, Any]]) -> dict[str, Any]:
    articles, events, dead = (tables[t].to_pylist() for t in ("articles", "events", "dead_letters"))
    per_file: dict[str, Counter] = {}
    for row in accounting:
        per_file.setdefault(row["input_file"], Counter()).update(
            records_read=row["records_read"], collapsed=row["collapsed"])
    for row in articles:
        per_file.setdefault(row["input_file"] or "", Counter())["articles"] += 1
    for row in dead:
        per_file.setdefault(row["input_file"] or "", Counter())["dead_letters"] += 1
    files = {
        name: {k: c.get(k, 0) for k in ("records_read", "articles", "dead_letters", "collapsed")}
        for name, c in sorted(per_file.items())
    }
    totals = {k: sum(f[k] for f in files.values()) for k in ("records_read", "articles", "dead_letters", "collapsed")}
    mismatched = {
        name: f for name, f in files.items()
        if f["records_read"] != f["articles"] + f["dead_letters"] + f["collapsed"]
    }
    sizes = Counter(_size_bucket(e["article_count"]) for e in events)
    top = sorted(events, key=lambda e: (-e["article_count"], e["event_id"]))
    return {
        "totals": totals,
        "accounting_ok": not mismatched,
        "accounting_mismatches": mismatched,
        "per_input_file": files,
        "events": len(events),
        "multi_article_events": sum(1 for e in events if e["article_count"] > 1),
        "event_size_distribution": {k: sizes[k] for k in ("1", "2", "3-5", "6-10", "11-50", "51+") if sizes[k]},
        "near_duplicate_copies": sum(1 for a in articles if a["is_duplicate"]),
        "dead_letter_reasons": dict(sorted(Counter(f"{d['stage']}:{d['reason']}" for d in dead).items())),
        "top_events": [
            {"event_id": e["event_id"], "headline": e["headline"], "article_count": e["article_count"],
             "sources": e["sources"]}
            for e in top[:10]
        ],
    }


def verify_staged(staging: str, partition: str | None) -> StagedRun:
    tables = {t: read_table(_join(staging, t, partition), t) for t in SCHEMAS}
    accounting = []
    for path in list_files(_join(staging, ACCOUNTING)):
        with FileSystems.open(path) as f:
            accounting.extend(json.loads(line) for line in f.read().decode("utf-8").splitlines() if line.strip())
    summary = summarize(tables, accounting)
    if not summary["accounting_ok"]:
        raise PublishError(
            "accounting mismatch (records read != articles + dead letters + collapsed): "
            + json.dumps(summary["accounting_mismatches"], sort_keys=True)
        )
    ids = tables["articles"].column("article_id").to_pylist()
    if len(ids) != len(set(ids)):
        raise PublishError("duplicate article_id rows in the articles table")
    if partition:
        for table, schema in STATE_SCHEMAS.items():  # the next run's state: schema-checked like the tables
            read_table(_join(staging, STATE, table, partition), table, schema)
    return StagedRun(tables, accounting, summary)


def publish(output: str, staging: str, partition: str | None, manifest: dict[str, Any], summary: dict[str, Any]) -> None:
    """Replace the published tables (or partition) with the staged ones; ``_SUCCESS`` last."""
    commit = commit_root(output, partition)
    _delete(p for p in list_files(commit) if p.endswith("/" + SUCCESS))
    for table in SCHEMAS:
        _replace(_join(staging, table, partition), _join(output, table, partition))
    if partition:
        for table in STATE_SCHEMAS:
            _replace(_join(staging, STATE, table, partition), _join(output, STATE, table, partition))
    _write_text(_join(commit, SUMMARY), json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    _write_text(_join(commit, MANIFEST), json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    _write_text(_join(commit, SUCCESS), manifest["run_id"] + "\n")
    remove_staging(staging)


def _replace(staged_folder: str, target: str) -> None:
    _delete(list_files(target))  # nothing stale from an earlier run survives
    staged = list_files(staged_folder)
    if not FileSystems.exists(target):
        FileSystems.mkdirs(target)
    FileSystems.rename(staged, [_join(target, s.rsplit("/", 1)[1]) for s in staged])


def _object_store(path: str) -> bool:
    # gs:// and friends have no folders: "exists" is False for a prefix, and "*" does not cross "/".
    return "://" in path and not path.startswith("file://")


def _files_under(folder: str) -> list[str]:
    """Every file below ``folder``, at any depth (sorted); empty when there is none."""
    try:
        return sorted(m.path for m in FileSystems.match([_join(folder, "**")])[0].metadata_list)
    except Exception:  # a missing folder is reported differently by each file system
        return []


def _delete_tree(folder: str) -> None:
    """Delete ``folder`` and everything below it. GCS deletes recursively only a path ending in "/";
    the local file system removes a folder given without the slash (``shutil.rmtree``)."""
    local = FileSystems.get_scheme(folder) in (None, "file")
    FileSystems.delete([folder.rstrip("/") if local else folder.rstrip("/") + "/"])


def remove_staging(staging: str) -> None:
    if _files_under(staging) or FileSystems.exists(staging):
        _delete_tree(staging)


def clean_leftovers(output: str) -> list[str]:
    """Delete what earlier, killed runs left in ``OUTPUT/_staging`` (whole run folders, at any depth);
    returns the files removed. Only one run may write to an output at a time."""
    root = _join(output, STAGING)
    left = _files_under(root)
    if left or FileSystems.exists(root):
        _delete_tree(root)
    return left


def schema_versions() -> dict[str, str]:
    return dict(SCHEMA_VERSIONS)
