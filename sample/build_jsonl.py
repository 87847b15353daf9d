"""Rebuild sample/articles.jsonl from sample/articles/**/*.txt plus sample/metadata.csv.

Usage: python sample/build_jsonl.py

The .txt files are the source of truth for article text (raw page text, boilerplate included);
metadata.csv adds url, source, title and published_at. An empty ``source`` cell means the
field is left out of the record, so the pipeline has to derive the outlet from the URL host.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"
METADATA = HERE / "metadata.csv"
OUTPUT = HERE / "articles.jsonl"


def build() -> list[dict]:
    with METADATA.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    txt_ids = {p.relative_to(ARTICLES).with_suffix("").as_posix() for p in ARTICLES.rglob("*.txt")}
    meta_ids = {row["id"] for row in rows}
    if txt_ids != meta_ids:
        raise SystemExit(
            f"metadata.csv and articles/ disagree: only in txt {sorted(txt_ids - meta_ids)}, "
            f"only in csv {sorted(meta_ids - txt_ids)}"
        )
    records = []
    for row in sorted(rows, key=lambda r: r["id"]):
        record = {"id": row["id"], "url": row["url"]}
        if row["source"]:
            record["source"] = row["source"]
        record["title"] = row["title"]
        record["published_at"] = row["published_at"]
        record["text"] = (ARTICLES / f"{row['id']}.txt").read_text(encoding="utf-8")
        records.append(record)
    return records


def main() -> None:
    records = build()
    with OUTPUT.open("w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} records to {OUTPUT.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
