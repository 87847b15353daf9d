"""Speed of the boilerplate stage's per-article work, in CPU time (the machine may be shared).

    python -m evaluation.strip_speed [--eval_dir ../shared/eval] [--repeat 3] [--digest] [--benchmark_mix 3000]

Per article it does what ``StripBoilerplate``'s worker does: :func:`strip_boilerplate` on the normalised
text (with the article's title), then :func:`detect_language` on the clean text. Corpora: the 181 Zyte
pages (raw visible page text, boilerplate included), the 772 ECB+ articles and the 23 sample articles.
Texts are normalised once before timing (normalisation is its own stage). CPU time is
``time.process_time`` of this process, best of ``--repeat`` passes; the rate is articles per CPU second
(one core). ``--digest`` also prints a sha1 of every output (clean text, removals, title, language), so a
speed change can be checked to leave the output identical.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from evaluation.labelled_data import read_jsonl
from transforms.boilerplate import BoilerplateConfig, strip_boilerplate
from transforms.language import detect_language
from transforms.normalization import normalize_line, normalize_text

REPO = Path(__file__).resolve().parents[1]


def corpora(eval_dir: Path) -> dict[str, list[tuple[str, str | None]]]:
    """Set name -> [(normalised text, normalised title or None)]."""
    zyte = [(normalize_text(r["text"]), None)
            for r in read_jsonl(eval_dir / "boilerplate" / "zyte_article_extraction.jsonl")]
    ecb = [(normalize_text(r["text"]), None) for r in read_jsonl(eval_dir / "events" / "ecbplus_topics_1-35.jsonl")]
    sample = [(normalize_text(r["text"]), normalize_line(r["title"]) if r.get("title") else None)
              for r in read_jsonl(REPO / "sample" / "articles.jsonl")]
    return {"Zyte pages": zyte, "ECB+": ecb, "sample": sample}


def benchmark_mix(eval_dir: Path, n: int) -> list[tuple[str, str | None]]:
    """The corpus of ``benchmarks/pipeline_benchmark.py --n N`` (mostly Zyte extractor variants: near-copies
    of 181 pages, so lines repeat far more than in a stream without copies)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.pipeline_benchmark import build_corpus

    return [(normalize_text(r["text"]), None) for r in build_corpus(n, eval_dir)]


def strip_one(text: str, title: str | None, config: BoilerplateConfig) -> tuple:
    """What the stage's worker does with one article: strip it, and know its clean text's language
    (``StripResult.language``; the same answer as ``detect_language(clean_text)``, which the digest checks)."""
    result = strip_boilerplate(text, config, title=title)
    return result, result.language


def clear_caches(config: BoilerplateConfig) -> None:
    """Forget what the stripper remembers of lines it has seen (each pass starts cold, as a new worker)."""
    from transforms import boilerplate

    boilerplate._FACTS_CACHE.clear()
    config.phrase_matcher._reasons.clear()


def measure(docs: list[tuple[str, str | None]], config: BoilerplateConfig, repeat: int) -> float:
    """Best CPU seconds of ``repeat`` passes over ``docs``, each pass with cold caches."""
    best = float("inf")
    for _ in range(repeat):
        clear_caches(config)
        start = time.process_time()
        for text, title in docs:
            strip_one(text, title, config)
        best = min(best, time.process_time() - start)
    return best


def digest(docs: list[tuple[str, str | None]], config: BoilerplateConfig) -> str:
    h = hashlib.sha1()
    for text, title in docs:
        result, language = strip_one(text, title, config)
        if language != detect_language(result.clean_text):
            expected = detect_language(result.clean_text)
            raise AssertionError(f"StripResult.language {language} != detect_language {expected}")
        h.update(json.dumps([result.clean_text, [(r.line_no, r.reason) for r in result.removals],
                             result.title_line, language]).encode("utf-8"))
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--digest", action="store_true")
    parser.add_argument("--benchmark_mix", type=int, default=0, metavar="N",
                        help="also time the N-article corpus of benchmarks/pipeline_benchmark.py (a separate row)")
    args = parser.parse_args(argv)
    config = BoilerplateConfig()
    sets = corpora(args.eval_dir)
    total_n = total_s = 0.0
    header = "| set | articles | words/article | CPU s | articles/s (one core) |"
    print(header + (" output sha1 |" if args.digest else ""))
    print("|---|---|---|---|---|" + ("---|" if args.digest else ""))
    for name, docs in sets.items():
        seconds = measure(docs, config, args.repeat)
        words = sum(len(t.split()) for t, _ in docs) / len(docs)
        total_n += len(docs)
        total_s += seconds
        extra = f" {digest(docs, config)} |" if args.digest else ""
        print(f"| {name} | {len(docs)} | {words:,.0f} | {seconds:.2f} | {len(docs) / seconds:,.0f} |{extra}")
    print(f"| all | {int(total_n)} | | {total_s:.2f} | {total_n / total_s:,.0f} |")
    if args.benchmark_mix:
        docs = benchmark_mix(args.eval_dir, args.benchmark_mix)
        seconds = measure(docs, config, args.repeat)
        words = sum(len(t.split()) for t, _ in docs) / len(docs)
        print(f"| benchmark corpus (--n {args.benchmark_mix}) | {len(docs)} | {words:,.0f} | {seconds:.2f} | "
              f"{len(docs) / seconds:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
