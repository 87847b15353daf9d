"""How usable the event records are: headlines against the members' titles, and what the page-reading
rules find against the metadata real pages carry.

- :func:`headline_title_share` reads a finished job's ``events`` and ``articles`` tables and counts, over
  the events with at least one member whose title is usable (``transforms.headlines.clean_title``), how
  many got one of those titles as their headline — the issue's rule says all of them must.
- :func:`evaluate_headlines` runs the whole job (``pipelines.events.run``, defaults) on labelled records
  that carry titles and measures the tables it wrote.
- :func:`evaluate_page_metadata` scores the page-reading rules on the Zyte news pages (their visible text,
  as storybeam sees a page) against what each page's HTML declares: ``<meta property="og:site_name">``
  for the outlet, ``article:published_time`` / JSON-LD ``datePublished`` for the publish time, the
  ``author`` meta / JSON-LD author names for bylines, and ``og:title`` without a segment naming the
  declared site for the headline that ``clean_title`` should get out of the page's ``<title>`` (measured
  beside the raw ``<title>``; og:title is sometimes worded differently, so neither reaches 1.0). Pages are split by a hash of their id into a ``tune`` half
  and a ``held_out`` half; rules are tuned on the first only.
"""
from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

from transforms.headlines import clean_title


def _read(output: str | Path, table: str) -> list[dict[str, Any]]:
    import pyarrow.dataset as ds

    return ds.dataset(str(Path(output) / table), format="parquet", partitioning="hive").to_table().to_pylist()


def headline_title_share(output: str | Path) -> dict[str, Any]:
    """Events whose headline is one of their members' (cleaned) titles, among events that have a titled
    member; read from the job's published tables under ``output``."""
    titles: dict[str, set[str]] = {}
    raw_titled: set[str] = set()
    n_titles = n_changed = n_unusable = 0
    for a in _read(output, "articles"):
        if a.get("title"):
            raw_titled.add(a["event_id"])
            n_titles += 1
        cleaned = clean_title(a.get("title"), a.get("source"))
        if a.get("title"):
            n_unusable += cleaned is None
            n_changed += cleaned is not None and cleaned != " ".join(a["title"].split())
        if cleaned:
            titles.setdefault(a["event_id"], set()).add(cleaned[:160])
    events = _read(output, "events")
    titled = [e for e in events if e["event_id"] in titles]
    hits = [e for e in titled if e["headline"].removesuffix("...") in {t.removesuffix("...") for t in titles[e["event_id"]]}
            or any(t.startswith(e["headline"].removesuffix("...")) for t in titles[e["event_id"]])]
    misses = [{"event_id": e["event_id"], "headline": e["headline"], "titles": sorted(titles[e["event_id"]])}
              for e in titled if e not in hits]
    return {
        "events": len(events),
        "events_with_a_title": len(raw_titled),
        "events_with_a_usable_title": len(titled),
        "headline_is_a_member_title": len(hits),
        "share": round(len(hits) / len(titled), 4) if titled else None,
        "member_titles": n_titles,
        "titles_cleaned": n_changed,
        "titles_unusable": n_unusable,
        "misses": misses[:20],
    }


def evaluate_headlines(sets: Iterable[tuple[str, list[dict[str, Any]]]], model: str | None = None) -> dict[str, Any]:
    """The whole job on each set of records (``id``, ``text``, ``title``, optional ``published_at``,
    ``source``), then :func:`headline_title_share` on what it wrote."""
    from pipelines import events

    report: dict[str, Any] = {}
    for name, records in sets:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "input.jsonl"
            corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
            argv = ["--input", str(corpus), "--output", f"{tmp}/out", "--min_words", "1", "--progress_seconds", "0"]
            events.run(argv + (["--model", model] if model else []))
            report[name] = headline_title_share(f"{tmp}/out")
    return report


# ------------------------------------------------------------------ page metadata on real pages
_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_LD = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _metas(page_html: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in _META.findall(page_html):
        attrs = {k.lower(): html_lib.unescape(v.strip("\"'")) for k, v in _ATTR.findall(tag)}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key and "content" in attrs and key not in out:
            out[key] = " ".join(attrs["content"].split())
    return out


def _ld_objects(page_html: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            found.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for block in _LD.findall(page_html):
        try:
            walk(json.loads(block))
        except ValueError:
            continue
    return found


def declared_metadata(page_html: str) -> dict[str, Any]:
    """What the page's HTML declares: site name, publish time, author names, og:title, <title>."""
    metas, objects = _metas(page_html), _ld_objects(page_html)
    published = metas.get("article:published_time") or next(
        (o["datePublished"] for o in objects if isinstance(o.get("datePublished"), str)), None)
    when = None
    if published:
        try:
            when = datetime.fromisoformat(published.strip().replace("Z", "+00:00"))
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except ValueError:
            when = None
    if when is not None and when.year < 1990:
        when = None  # a placeholder ("0001-01-01"), not a date
    authors: set[str] = set()
    for o in objects:
        people = o.get("author")
        for p in people if isinstance(people, list) else [people]:
            name = p.get("name") if isinstance(p, dict) else p if isinstance(p, str) else None
            if isinstance(name, str) and name.strip() and not name.startswith("http"):
                authors.add(" ".join(name.split()))
    if metas.get("author") and not metas["author"].startswith("http"):
        authors.add(metas["author"])
    title = _TITLE.search(page_html)
    return {"site_name": metas.get("og:site_name"), "published_at": when, "authors": authors,
            "og_title": metas.get("og:title"),
            "title": " ".join(html_lib.unescape(title.group(1)).split()) if title else None}


def _key(text: str | None) -> str:
    return re.sub(r"[\W_]+", " ", (text or "").lower()).replace(" the ", " ").strip().removeprefix("the ")


def _same_outlet(found: str, declared: str) -> bool:
    if re.match(r"^https?://", declared):
        declared = re.sub(r"^https?://(www\.)?", "", declared).split("/")[0].rsplit(".", 1)[0]
    a, b = _key(found), _key(declared)
    return bool(a and b) and (a == b or a in b or b in a or a.replace(" ", "") == b.replace(" ", ""))


def _without_site(title: str, site_name: str) -> str:
    """``og:title`` without a first or last segment naming the page's declared site (the expected headline)."""
    parts = re.split(r"\s+(?:\||-|::|»|·)\s+", title)
    site = _key(site_name)
    while len(parts) > 1 and site and (site in _key(parts[-1]) or _key(parts[-1]) in site):
        parts.pop()
    while len(parts) > 1 and site and (site in _key(parts[0]) or _key(parts[0]) in site):
        parts.pop(0)
    return " - ".join(parts)


def split_of(page_id: str) -> str:
    return "tune" if int(hashlib.sha1(page_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "held_out"


def evaluate_page_metadata(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Zyte pages (``id``, ``text``, ``html``, ``label`` = body): the rules against the declared metadata,
    per split. Runs the real normaliser and the pure stripper for the page's body."""
    from transforms.boilerplate import BoilerplateConfig, strip_boilerplate
    from transforms.normalization import normalize_line, normalize_text
    from transforms.page_metadata import describe_page

    config = BoilerplateConfig()
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        split = split_of(row["id"])
        c = counts.setdefault(split, {})

        def add(key: str, n: int = 1) -> None:
            c[key] = c.get(key, 0) + n  # noqa: B023 - used at once, per row

        declared = declared_metadata(row["html"])
        text = normalize_text(row["text"])
        clean = strip_boilerplate(text, config).clean_text
        page = describe_page(text, clean, None, datetime(2026, 1, 1, tzinfo=timezone.utc))
        add("pages")
        if declared["site_name"]:
            add("source_declared")
            if page.source:
                add("source_inferred")
                add("source_right", _same_outlet(page.source, declared["site_name"]))
                add(f"source_inferred:{page.source_method}")
                add(f"source_right:{page.source_method}", _same_outlet(page.source, declared["site_name"]))
        if declared["published_at"]:
            add("time_declared")
            if page.published_at:
                add("time_inferred")
                gap = abs(page.published_at - declared["published_at"].astimezone(timezone.utc))
                add("time_same_day", gap <= timedelta(hours=24))
        if declared["authors"]:
            add("authors_declared")
            if page.authors:
                add("authors_inferred")
                wanted = {_key(a) for a in declared["authors"]}
                add("authors_right", any(_key(a) in wanted for a in page.authors))
        if declared["title"] and declared["og_title"] and declared["site_name"]:
            add("titles")
            want = _key(_without_site(normalize_line(declared["og_title"]), declared["site_name"]))
            add("raw_title_equals_og_title", _key(normalize_line(declared["title"])) == want)
            cleaned = clean_title(normalize_line(declared["title"]))
            add("clean_title_usable", cleaned is not None)
            add("clean_title_equals_og_title", _key(cleaned) == want)
    report: dict[str, Any] = {}
    for split, c in sorted(counts.items()):
        def share(num: str, den: str) -> float | None:
            return round(c.get(num, 0) / c[den], 3) if c.get(den) else None  # noqa: B023

        report[split] = {
            **c,
            "source_precision": share("source_right", "source_inferred"),
            "source_coverage": share("source_inferred", "source_declared"),
            "time_precision_same_day": share("time_same_day", "time_inferred"),
            "time_coverage": share("time_inferred", "time_declared"),
            "authors_precision": share("authors_right", "authors_inferred"),
            "authors_coverage": share("authors_inferred", "authors_declared"),
            "raw_title_match": share("raw_title_equals_og_title", "titles"),
            "clean_title_match": share("clean_title_equals_og_title", "titles"),
        }
    return report
