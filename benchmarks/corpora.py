"""Benchmark corpora built from the labelled sets in ../shared/eval (never copied into the repository).

* ``news_corpus(n)``: up to n **copy-free, dated** news articles: GVA shootings dev (1,864 local-news
  articles with their own dates, 2013-2017) and ECB+ topics 1-35 (772 articles, given dates spread over
  the same years). Copies are removed first with storybeam's own near-duplicate grouping (one article per
  group is kept), so every article is a text the pipeline must embed.
* ``scaled_corpus(n)``: n articles for the scaling runs, from the same base articles plus the 181 raw Zyte
  pages (with their site boilerplate). Base article *i* gets a date spread uniformly over ``weeks`` weeks;
  its k-th variant is dated up to 72 h after it and is the base text (and title) with every word replaced,
  with probability ``substitution`` (0.15), by a word drawn from the whole pool's word stream. A 5-word
  shingle survives that with probability 0.85**5 = 0.44, so two variants of one base share about a
  fifth of their shingles: they are reports "about the same story" in wording, never near-duplicate
  copies (word-shingle Jaccard ~0.1-0.3, well under 0.7). Variant 0 is the base article itself.
"""
from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

_TOKEN = re.compile(r"(\w+)")
_START = datetime(2013, 1, 1, tzinfo=timezone.utc)


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _base_articles(eval_dir: Path, with_pages: bool, seed: int) -> list[dict]:
    rng = random.Random(seed)
    pool = []
    for r in _jsonl(eval_dir / "events" / "gva_shootings_dev.jsonl"):
        pool.append({"id": "gva/" + r["id"], "title": r.get("title"), "text": r["text"],
                     "published_at": r["published_at"] + "T12:00:00Z" if len(r["published_at"]) == 10
                     else r["published_at"]})
    span = (datetime(2017, 4, 1, tzinfo=timezone.utc) - _START).total_seconds()
    for r in _jsonl(eval_dir / "events" / "ecbplus_topics_1-35.jsonl"):
        moment = _START + timedelta(seconds=rng.uniform(0, span))
        pool.append({"id": "ecb/" + r["id"], "text": r["text"], "published_at": moment.isoformat()})
    if with_pages:
        for r in _jsonl(eval_dir / "boilerplate" / "zyte_article_extraction.jsonl"):
            moment = _START + timedelta(seconds=rng.uniform(0, span))
            pool.append({"id": "page/" + r["id"], "text": r["text"], "url": r["url"],
                         "published_at": moment.isoformat()})
    return pool


def _without_copies(records: list[dict]) -> list[dict]:
    from evaluation.neardup_eval import storybeam_run
    from transforms.normalization import normalize_text

    run = storybeam_run([{"id": r["id"], "text": normalize_text(r["text"])} for r in records])
    anchors = {a.article_id for a in run["assignments"] if a.is_anchor}
    return [r for r in records if r["id"] in anchors]


def news_corpus(n: int, eval_dir: Path, seed: int = 7) -> list[dict]:
    """Up to n copy-free dated news articles (GVA dev + ECB+), in a fixed shuffled order."""
    records = _without_copies(_base_articles(eval_dir, with_pages=False, seed=seed))
    random.Random(seed).shuffle(records)
    return records[:n]


def _vary(text: str, words: list[str], rng: random.Random, substitution: float) -> str:
    parts = _TOKEN.split(text)  # odd positions are words
    for i in range(1, len(parts), 2):
        if rng.random() < substitution:
            parts[i] = rng.choice(words)
    return "".join(parts)


def scaled_corpus(n: int, eval_dir: Path, weeks: int = 8, substitution: float = 0.15,
                  seed: int = 7) -> list[dict]:
    """n articles: variants of the copy-free base articles (see the module docstring), dated over weeks."""
    rng = random.Random(seed)
    base = _without_copies(_base_articles(eval_dir, with_pages=True, seed=seed))
    rng.shuffle(base)
    words = [w for r in base for w in _TOKEN.findall(r["text"])]
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    base_dates = [start + timedelta(seconds=rng.uniform(0, weeks * 7 * 86400)) for _ in base]
    out = []
    for k in range(n):
        i, variant = k % len(base), k // len(base)
        r = base[i]
        moment = base_dates[i] + (timedelta(seconds=rng.uniform(0, 72 * 3600)) if variant else timedelta(0))
        record = {"id": f"{r['id']}~{variant}", "published_at": moment.isoformat()}
        record["text"] = r["text"] if variant == 0 else _vary(r["text"], words, rng, substitution)
        if r.get("title"):
            record["title"] = r["title"] if variant == 0 else _vary(r["title"], words, rng, substitution)
        if r.get("url"):
            record["url"] = r["url"] + (f"?v={variant}" if variant else "")
        out.append(record)
    return out


def write_jsonl(records: list[dict], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path
