"""Reading the labelled JSONL sets (shared/eval and the user's own): one record per non-blank line."""
from __future__ import annotations

import json
from pathlib import Path


def read_jsonl(path: str | Path, limit: int | None = None) -> list[dict]:
    """The records of a JSONL file, the first ``limit`` of them when given."""
    rows: list[dict] = []
    with Path(path).open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                rows.append(json.loads(line))
                if limit and len(rows) >= limit:
                    break
    return rows
