"""Speed of storybeam on this machine: articles/s per stage and end to end, and peak memory.

    python benchmarks/pipeline_benchmark.py [--n 3000] [--eval_dir ../shared/eval] [--torch_threads N]

Builds a corpus of N articles from the labelled data (ECB+ articles, Zyte near-duplicate variants,
Zyte raw pages) and the bundled sample, then measures, in one run:
  1. each stage's pure logic alone (normalise, strip, MinHash shingles+signature, event clustering);
  2. the embedding stage as the pipeline runs it (EmbedArticles in a Beam pipeline) against calling the
     same encoder (the job's default embedding) directly on the same texts — the ratio should stay under 1.3;
  3. the whole job end to end (python -m pipelines.events), and peak resident memory.
Prints a table; nothing is asserted (benchmarks are not tests).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_corpus(n: int, eval_dir: Path, seed: int = 7) -> list[dict]:
    """N article records from the labelled sets plus the sample, as JSONL records."""
    rng = random.Random(seed)
    pool: list[dict] = []
    for line in (REPO / "sample" / "articles.jsonl").open(encoding="utf-8"):
        pool.append(json.loads(line))
    for line in (eval_dir / "events" / "ecbplus_topics_1-35.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        pool.append({"id": "ecb/" + r["id"], "text": r["text"], "source": "ecb"})
    variants = [json.loads(line) for line in (eval_dir / "neardup" / "zyte_extractor_variants.jsonl").open(encoding="utf-8")]
    rng.shuffle(variants)
    for r in variants:
        pool.append({"id": "zyte/" + r["id"], "text": r["text"], "source": r["system"]})
    for line in (eval_dir / "boilerplate" / "zyte_article_extraction.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        pool.append({"id": "page/" + r["id"], "text": r["text"], "url": r["url"]})
    rng.shuffle(pool)
    return pool[:n]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "inf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--torch_threads", type=int, default=0)
    parser.add_argument("--skip_end_to_end", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np

    from pipelines.config import job_config
    from apache_beam.options.pipeline_options import PipelineOptions
    from transforms.boilerplate import strip_boilerplate
    from transforms.event_clustering import EventDoc, cluster_events, embedding_input
    from transforms.minhash import shingles, signature
    from transforms.normalization import normalize_text

    records = build_corpus(args.n, args.eval_dir)
    n = len(records)
    words = sum(len(r["text"].split()) for r in records)
    print(f"corpus: {n} articles, {words / n:,.0f} words/article on average (cpus: {os.cpu_count()})")
    config = job_config(PipelineOptions(["--input", "x", "--output", "y"]))
    rows = []

    t = time.perf_counter()
    texts = [normalize_text(r["text"]) for r in records]
    rows.append(("normalise", n, time.perf_counter() - t))

    t = time.perf_counter()
    clean = [strip_boilerplate(text, config.boilerplate).clean_text for text in texts]
    rows.append(("strip boilerplate", n, time.perf_counter() - t))

    t = time.perf_counter()
    for text in clean:
        signature(shingles(text, config.near_dup.shingle_size), config.near_dup)
    rows.append(("minhash shingles+signature", n, time.perf_counter() - t))

    # Embedding: the pipeline's stage (EmbedArticles inside Beam) vs encode() directly, same texts.
    inputs = [embedding_input(r.get("title"), c, config.embedding.max_input_chars) for r, c in zip(records, clean)]
    import dataclasses

    from transforms.embedding_model import load_encoder

    if args.torch_threads:
        config = dataclasses.replace(config, embedding=dataclasses.replace(
            config.embedding, torch_threads=args.torch_threads))
    model = load_encoder(config.embedding)
    t = time.perf_counter()
    vectors = model.encode(inputs, batch_size=config.embedding.batch_size, normalize_embeddings=True)
    direct = time.perf_counter() - t
    rows.append((f"embed: encode() ({config.embedding.backend}, {config.embedding.max_seq_length} tokens)", n, direct))

    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from schemas.records import Article
    from transforms.embed_articles import EmbedArticles

    articles = [Article(article_id=str(i), text=c, clean_text=c, title=r.get("title"))
                for i, (r, c) in enumerate(zip(records, clean))]
    t = time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner()) as p:
        _ = p | beam.Create(articles) | EmbedArticles(config.embedding) | beam.combiners.Count.Globally()
    in_beam = time.perf_counter() - t
    rows.append(("embed: EmbedArticles in Beam", n, in_beam))

    docs = [EventDoc(str(i), v.astype(np.float32), r.get("title"), c, None)
            for i, (r, c, v) in enumerate(zip(records, clean, vectors))]
    t = time.perf_counter()
    cluster_events(docs, config.events)
    rows.append(("cluster events", n, time.perf_counter() - t))

    job_notes: list[str] = []
    if not args.skip_end_to_end:
        import shutil

        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus.jsonl"
            corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
            cmd = [sys.executable, "-m", "pipelines.events", "--input", str(corpus), "--output", str(Path(tmp) / "out")]
            time_bin = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
            if time_bin:  # GNU time reports the job's own peak memory
                cmd = [time_bin, "-f", "%M", "-o", str(Path(tmp) / "rss")] + cmd
            t = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
            rows.append(("end to end (python -m pipelines.events)", n, time.perf_counter() - t))
            summary = json.loads((Path(tmp) / "out" / "_summary.json").read_text())
            counters = summary["counters"]
            job_notes.append(
                f"end-to-end job: {counters.get('embed_articles/embedded', 0)} of {n} articles embedded "
                f"(one per near-duplicate group), {summary['near_duplicate_copies']} copies, "
                f"{summary['events']} events, {summary['totals']['dead_letters']} dead letters")
            if time_bin:
                job_notes.append(f"end-to-end job peak RSS: {int((Path(tmp) / 'rss').read_text().split()[-1]) / 1024:,.0f} MB")

    print(f"\n{'stage':<46} {'articles':>9} {'seconds':>9} {'articles/s':>11}")
    for name, count, seconds in rows:
        print(f"{name:<46} {count:>9} {seconds:>9.2f} {rate(count, seconds):>11}")
    print(f"\nembedding in Beam / direct encode: {in_beam / direct:.2f}x (target <= 1.3x)")
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process (stages 1-2, model loaded): {self_mb:,.0f} MB")
    for note in job_notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
