"""``storybeam evaluate``: score the real pipeline stages on labelled data, beside the peers.

    storybeam evaluate [--eval_dir ../shared/eval] [--out out/eval] [--tasks events,boilerplate,neardup]
                       [--events_jsonl FILE ...] [--neardup_jsonl FILE ...] [--model PATH] [--limit N]

- **boilerplate**: the NormalizeArticles → StripBoilerplate composites (in a Beam pipeline) on Zyte page
  text, trafilatura snippet pages and the seeds; peers: no stripping, jusText on the text lines and on
  the page HTML (Zyte), trafilatura on the page HTML (Zyte).
- **near-duplicates**: NormalizeArticles → StripBoilerplate → DetectNearDuplicates on the Zyte extractor
  variants and, in the same run, the ECB+ articles as negatives; peers: exact hashing, MinHashLSH +
  connected components without verification.
- Every labelled set is scored in two parts (``evaluation/splits.py``): the **tuning** part, on which
  thresholds, weights and phrase rules may be chosen (its figures are in-sample), and the **held-out**
  part, only ever scored. Each part is its own run of the stages. ``--limit`` cuts each file first.
- **events**: the whole job (``pipelines.events.run`` at its defaults, real model) on ECB+ topics 1–35,
  UCI headlines, the GVA shootings dev stream and any ``--events_jsonl`` in the same shape (``id``,
  ``text``, ``label``, optional ``title``, ``published_at`` / ``timestamp_ms``, ``topic``); peers
  (TF-IDF and MiniLM average link) at their oracle-best thresholds. Each set is also scored on its
  tuning part (in-sample: the engine's settings were chosen there) and its held-out part
  (``evaluation.events_eval.part_of``).
- **headlines** (``--tasks headlines``): the whole job on the labelled sets that carry titles (GVA dev,
  UCI headlines — each record's text is its headline, given as its title too — and any
  ``--events_jsonl`` with ``title``); the share of events with a titled member whose headline is a
  member's title (``evaluation/records_eval.py``). ECB+ has no titles.
- **page_metadata** (``--tasks page_metadata``): the page-reading rules (source, publish time, bylines,
  title cleaning) on the Zyte pages against the metadata their HTML declares, tune and held-out halves.
Prints one table per task and writes ``evaluation.json`` and ``evaluation.md`` to ``--out``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import apache_beam as beam

from evaluation.labelled_data import read_jsonl
from schemas.records import Article
from transforms.article_parsing import source_from_url

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"


def run_stages(articles: list[Article], through: str) -> dict[str, dict[str, Any]]:
    """Run the real composites up to ``through`` ('strip' or 'dedup') in a Beam pipeline.

    Returns article_id → {"clean_text": str, "dup_group_id": str | None}; articles the stages dead-letter
    come back with empty text and their own group."""
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from transforms.boilerplate import BoilerplateConfig
    from transforms.detect_near_duplicates import DetectNearDuplicates
    from transforms.minhash import NearDupConfig
    from transforms.normalize_articles import NormalizeArticles
    from transforms.strip_boilerplate import StripBoilerplate

    with tempfile.TemporaryDirectory() as tmp:
        with beam.Pipeline(runner=FnApiRunner()) as p:
            normalized = p | beam.Create(articles) | NormalizeArticles()
            stripped = normalized["articles"] | StripBoilerplate(BoilerplateConfig())
            rows = stripped["articles"] | "Clean" >> beam.Map(lambda a: (a.article_id, {"clean_text": a.clean_text}))
            if through == "dedup":
                dups = stripped["articles"] | DetectNearDuplicates(NearDupConfig())
                rows = (
                    {"clean": rows, "dup": dups["dups"]}
                    | beam.CoGroupByKey()
                    | beam.Map(lambda kv: (kv[0], dict(kv[1]["clean"][0], dup_group_id=kv[1]["dup"][0].dup_group_id)))
                )
            _ = (rows | beam.Map(lambda kv: json.dumps({"id": kv[0], **kv[1]}))
                 | beam.io.WriteToText(f"{tmp}/rows", num_shards=1, shard_name_template=""))
        out = {r.pop("id"): r for r in read_jsonl(Path(f"{tmp}/rows"))}
    for article in articles:
        out.setdefault(article.article_id, {"clean_text": "", "dup_group_id": "dead:" + article.article_id})
    return out


def _strip_by_text(rows: list[dict], text_key: str, url_key: str | None) -> Callable[[str], str]:
    """The StripBoilerplate stage's output for each page, as a text → clean text function for the scorers."""
    from transforms.normalization import normalize_text

    articles = [Article(article_id=f"p{i}", text=r[text_key], url=r.get(url_key) if url_key else None,
                        source=source_from_url(r.get(url_key)) if url_key else None) for i, r in enumerate(rows)]
    result = run_stages(articles, "strip")
    by_text = {normalize_text(r[text_key]): result[f"p{i}"]["clean_text"] for i, r in enumerate(rows)}
    return lambda text: by_text[text]


def _split_name(set_name: str, part: str) -> str:
    from evaluation.splits import LABELS

    return f"{set_name}: {LABELS[part]}"


def evaluate_boilerplate(eval_dir: Path, limit: int | None) -> dict[str, Any]:
    """Each boilerplate set in its tuning and held-out parts (each part one run of the stages), beside the
    peers on the same pages; the seeds, on which the phrase rules were written, as one in-sample row."""
    from evaluation import boilerplate_eval as be
    from evaluation.splits import PARTS, split

    zyte = split(read_jsonl(eval_dir / "boilerplate" / "zyte_article_extraction.jsonl", limit), "id")
    snippets = split(read_jsonl(eval_dir / "boilerplate" / "trafilatura_snippets.jsonl", limit), "id")
    seeds_dir = eval_dir.parent / "seeds"
    seed_labels = read_jsonl(eval_dir / "seeds_boilerplate.jsonl")
    seed_rows = [{"text": (seeds_dir / s["file"]).read_text(encoding="utf-8")} for s in seed_labels]
    report: dict[str, Any] = {}
    for part in PARTS:
        pages = zyte[part]
        rows: dict[str, Any] = {"storybeam": be.evaluate_zyte(pages, _strip_by_text(pages, "text", "url"))}
        rows["no stripping"] = be.evaluate_zyte(pages, be.no_strip)
        rows["jusText (text lines)"] = be.evaluate_zyte(pages, be.justext_strip)
        rows["jusText (page HTML)"] = be.evaluate_zyte_html(pages, be.justext_html)
        rows["trafilatura (page HTML)"] = be.evaluate_zyte_html(pages, be.trafilatura_html)
        report[_split_name("Zyte pages", part)] = rows
    for part in PARTS:
        pages = snippets[part]
        report[_split_name("trafilatura snippets", part)] = {
            "storybeam": be.evaluate_snippets(pages, _strip_by_text(pages, "text", "url")),
            "no stripping": be.evaluate_snippets(pages, be.no_strip),
            "jusText (text lines)": be.evaluate_snippets(pages, be.justext_strip)}
    seeds = be.evaluate_seeds(seeds_dir, seed_labels, _strip_by_text(seed_rows, "text", None))
    report["seeds (in-sample: the phrase rules were written on them)"] = {
        "storybeam": {k: v for k, v in seeds.items() if k != "failures"} | {"failures": len(seeds["failures"])}}
    return report


def neardup_parts(variants: list[dict], negatives_source: list[dict]) -> dict[str, tuple[list[dict], list[dict]]]:
    """The tuning and held-out parts of a near-duplicate evaluation: variants by their ``label`` (all
    copies of one original on one side), ECB+ negatives by topic (odd topics tune)."""
    from evaluation.splits import PARTS, part_of_ecbplus_topic, part_of_key

    return {part: ([r for r in variants if part_of_key(str(r["label"])) == part],
                   [r for r in negatives_source if "topic" not in r or part_of_ecbplus_topic(r["topic"]) == part])
            for part in PARTS}


def evaluate_neardup(variants: list[dict], negatives_source: list[dict]) -> dict[str, Any]:
    """``variants``: records whose ``label`` names the original they copy; ``negatives_source``: labelled
    events records (different articles, ``label`` = event) added as negatives that must not be copies."""
    from evaluation import neardup_eval as ne

    negatives = [{"id": "ecb:" + r["id"], "text": r["text"], "label": "ecb:" + r["id"], "event": r["label"]}
                 for r in negatives_source]
    records = [{"id": str(r["id"]), "text": r["text"], "label": str(r["label"])} for r in variants] + negatives

    def storybeam(recs: list[dict]) -> dict[str, str]:
        result = run_stages([Article(article_id=str(r["id"]), text=r["text"]) for r in recs], "dedup")
        return {i: row["dup_group_id"] for i, row in result.items()}

    report: dict[str, Any] = {}
    # ECB+ articles are different articles, but ECB+ itself holds a few real reprints of one report
    # (same event): those pairs are counted apart as "same-event copies"; a false merge is a group
    # that mixes two different events (or an ECB+ article with a Zyte page).
    event_of = {r["id"]: r.get("event", r["label"]) for r in records}
    for name, fn in (("storybeam", storybeam), ("exact hash", ne.exact_hash_grouping),
                     ("MinHashLSH+CC @0.5", ne.minhash_lsh_components(0.5)),
                     ("MinHashLSH+CC @0.7", ne.minhash_lsh_components(0.7)),
                     ("MinHashLSH+CC @0.9", ne.minhash_lsh_components(0.9))):
        start = time.perf_counter()
        groups = fn(records)
        seconds = time.perf_counter() - start
        zyte_groups = {i: g for i, g in groups.items() if not i.startswith("ecb:")}
        scores = ne.grouping_scores(zyte_groups, {str(r["id"]): str(r["label"]) for r in variants})
        by_group: dict[str, set[str]] = {}
        for i, g in groups.items():
            by_group.setdefault(g, set()).add(event_of[i])
        group_sizes = Counter(groups.values())
        ecb_copies = sum(1 for i, g in groups.items() if i.startswith("ecb:") and group_sizes[g] > 1)
        report[name] = {
            "records": len(variants), "negatives": len(negatives),
            "pair_precision": scores["pair_precision"], "pair_recall": scores["pair_recall"],
            "pair_f1": scores["pair_f1"], "bcubed_f1": scores["bcubed_f1"],
            "false_merges": scores["false_merges"],
            "groups_mixing_events": sum(1 for events in by_group.values() if len(events) > 1),
            "ecb_articles_in_copy_groups": ecb_copies,
            "seconds": round(seconds, 1),
        }
    return report


def _events_records(path: Path, limit: int | None) -> list[dict]:
    records = []
    for r in read_jsonl(path, limit):
        record = {"id": str(r["id"]), "text": r["text"], "label": str(r["label"])}
        if r.get("title"):
            record["title"] = r["title"]
        if r.get("published_at"):
            record["published_at"] = r["published_at"]
        elif r.get("timestamp_ms"):
            record["published_at"] = datetime.fromtimestamp(int(r["timestamp_ms"]) / 1000, tz=timezone.utc).isoformat()
        if r.get("publisher"):
            record["source"] = r["publisher"]
        if r.get("topic") is not None:
            record["topic"] = r["topic"]
        records.append(record)
    return records


def storybeam_events(records: list[dict], model: str | None = None) -> dict[str, str]:
    """The whole job on ``records``: article id → event id (dead-lettered articles: their own event)."""
    import pyarrow.dataset as ds

    from pipelines import events

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "input.jsonl"
        corpus.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in ("label", "topic")}) + "\n"
                                  for r in records), encoding="utf-8")
        argv = ["--input", str(corpus), "--output", f"{tmp}/out"]
        events.run(argv + (["--model", model] if model else []))
        table = ds.dataset(f"{tmp}/out/articles", format="parquet").to_table(columns=["article_id", "event_id"])
    predicted = dict(zip(table.column("article_id").to_pylist(), table.column("event_id").to_pylist()))
    return {r["id"]: predicted.get(r["id"], "dead:" + r["id"]) for r in records}


def evaluate_events(sets: list[tuple[str, Path]], limit: int | None, model: str | None) -> dict[str, Any]:
    """storybeam's whole job, and the peers at their oracle-best thresholds, on each labelled set."""
    from evaluation import events_eval as ee
    from evaluation.metrics import clustering_report

    report: dict[str, Any] = {}
    for name, path in sets:
        records = _events_records(path, limit)
        gold = {r["id"]: r["label"] for r in records}
        start = time.perf_counter()
        predicted = storybeam_events(records, model)
        seconds = time.perf_counter() - start
        parts = ee.part_reports(predicted, gold, {r["id"]: ee.part_of(r) for r in records})
        rows: dict[str, Any] = {"storybeam (whole job, defaults)": {
            **clustering_report(predicted, gold), **{f"{p}_b3_f1": r["b3_f1"] for p, r in parts.items()},
            "seconds": round(seconds, 1)}}
        embeddings = ee.embed(records, ee.load_peer_model())
        for peer in (ee.tfidf_average_link(records), ee.minilm_average_link(records, embeddings)):
            rows[f"{peer.pop('method')} (oracle threshold)"] = peer
        report[name] = rows
    return report


def _headlines(eval_dir: Path, own: list[Path], limit: int | None, model: str | None) -> dict[str, Any]:
    """The headline measurement (evaluation/records_eval.py) on every labelled set with titles."""
    from evaluation.records_eval import evaluate_headlines

    sets: list[tuple[str, list[dict]]] = []
    if eval_dir.is_dir():
        sets.append(("GVA dev", _events_records(eval_dir / "events" / "gva_shootings_dev.jsonl", limit)))
        sets.append(("UCI headlines", [dict(r, title=r["text"]) for r in
                                       _events_records(eval_dir / "events" / "uci_headlines.jsonl", limit)]))
    sets += [(p.name, _events_records(p, limit)) for p in own]
    sets = [(name, [{k: v for k, v in r.items() if k != "label"} for r in records])
            for name, records in sets if any(r.get("title") for r in records)]
    return {name: {"storybeam (whole job, defaults)": row}
            for name, row in evaluate_headlines(sets, model).items()}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def markdown(report: dict[str, Any]) -> str:
    out = []
    for task, sets in report.items():
        for set_name, rows in sets.items():
            if not isinstance(rows, dict) or not rows:
                continue
            columns: list[str] = []
            for row in rows.values():
                columns += [c for c, v in row.items() if c not in columns and not isinstance(v, (list, dict))]
            out.append(f"### {task}: {set_name}\n")
            out.append("| system | " + " | ".join(columns) + " |")
            out.append("|---|" + "---|" * len(columns))
            for system, row in rows.items():
                out.append(f"| {system} | " + " | ".join(_fmt(row.get(c)) for c in columns) + " |")
            out.append("")
    return "\n".join(out)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storybeam evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval_dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--out", type=Path, default=Path("out/eval"))
    parser.add_argument("--tasks", default="events,boilerplate,neardup")
    parser.add_argument("--events_jsonl", type=Path, action="append", default=[],
                        help="Extra labelled events JSONL (id, text, label, optional title, published_at).")
    parser.add_argument("--neardup_jsonl", type=Path, action="append", default=[],
                        help="Extra labelled near-duplicate JSONL (id, text, label = the original copied).")
    parser.add_argument("--model", default=None, help="Embedding model folder (default: the packaged one).")
    parser.add_argument("--limit", type=int, default=None, help="Use only the first N records of each set.")
    args = parser.parse_args(list(argv) if argv is not None else None)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = set(tasks) - {"events", "boilerplate", "neardup", "headlines", "page_metadata"}
    if unknown:
        parser.error(f"unknown task(s): {', '.join(sorted(unknown))}")
    if not args.eval_dir.is_dir() and ("boilerplate" in tasks or not (args.events_jsonl or args.neardup_jsonl)):
        parser.error(f"labelled data not found: {args.eval_dir} (give --eval_dir, or --tasks with your own "
                     "--events_jsonl / --neardup_jsonl)")

    report: dict[str, Any] = {}
    if "events" in tasks:
        sets = [] if not args.eval_dir.is_dir() else [
            ("ECB+ topics 1-35", args.eval_dir / "events" / "ecbplus_topics_1-35.jsonl"),
            ("UCI headlines", args.eval_dir / "events" / "uci_headlines.jsonl"),
            ("GVA shootings dev", args.eval_dir / "events" / "gva_shootings_dev.jsonl")]
        sets += [(p.name, p) for p in args.events_jsonl]
        report["events"] = evaluate_events(sets, args.limit, args.model)
    if "boilerplate" in tasks:
        report["boilerplate"] = evaluate_boilerplate(args.eval_dir, args.limit)
    if "neardup" in tasks:
        report["neardup"] = {}
        negatives = (read_jsonl(args.eval_dir / "events" / "ecbplus_topics_1-35.jsonl", args.limit)
                     if args.eval_dir.is_dir() else [])
        if args.eval_dir.is_dir():
            variants = read_jsonl(args.eval_dir / "neardup" / "zyte_extractor_variants.jsonl", args.limit)
            for part, (part_variants, part_negatives) in neardup_parts(variants, negatives).items():
                report["neardup"][_split_name("Zyte variants + ECB+ negatives", part)] = evaluate_neardup(
                    part_variants, part_negatives)
        for path in args.neardup_jsonl:
            report["neardup"][path.name] = evaluate_neardup(read_jsonl(path, args.limit), negatives)

    if "headlines" in tasks:
        report["headlines"] = _headlines(args.eval_dir, args.events_jsonl, args.limit, args.model)
    if "page_metadata" in tasks and args.eval_dir.is_dir():
        from evaluation.records_eval import evaluate_page_metadata

        zyte = read_jsonl(args.eval_dir / "boilerplate" / "zyte_article_extraction.jsonl", args.limit)
        report["page_metadata"] = {"Zyte pages": evaluate_page_metadata(zyte)}

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")
    md = markdown(report)
    (args.out / "evaluation.md").write_text(md + "\n")
    print(md)
    print(f"written: {args.out / 'evaluation.json'}, {args.out / 'evaluation.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
