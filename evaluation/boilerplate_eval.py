"""Beam-free evaluation of boilerplate stripping on the shared labelled sets.

Every scorer takes ``strip: Callable[[str], str]``: a function from one page's text (already through
:func:`transforms.normalization.normalize_text`) to its cleaned text, so the pipeline's stage, this
project's stripper and the peers are scored on exactly the same input and by exactly the same rules.

Metric for Zyte (``zyte_article_extraction.jsonl``), as in scrapinghub/article-extraction-benchmark:
  * both the prediction and the gold ``label`` go through ``normalize_text`` (the stripper only ever
    sees normalised text, so the gold is put in the same form);
  * tokens are ``\\w+`` runs (Unicode, case kept), shingles are every word 4-gram (a text shorter than
    4 tokens is one shorter shingle), compared as *bags* (multisets): tp = sum of min counts,
    fp / fn = the excess on each side; per page tp/fp/fn are divided by their sum so that long pages
    do not weigh more;
  * ``precision`` / ``recall`` are macro means over pages (pages with no predicted shingles are left out
    of precision, pages with no gold shingles out of recall, as the benchmark does), and ``f1`` is the
    harmonic mean of those two macro means (the benchmark's headline figure). ``mean_page_f1`` is
    the plain mean of per-page F1s, reported beside it.

Snippets (``trafilatura_snippets.jsonl``): a snippet counts as kept when its normalised form is a
substring of the normalised cleaned text with whitespace runs collapsed. ``keep_rate`` is the share of
``must_include`` snippets kept, ``drop_rate`` the share of ``must_exclude`` snippets not found; both
pooled over snippets (micro) and also reported as macro means over pages.

Seeds: each ``must_remove`` / ``must_keep`` line is looked up, after normalisation, among the lines of
the cleaned text.
"""
from __future__ import annotations

import ast
import html as html_lib
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from evaluation.labelled_data import read_jsonl
from transforms.normalization import normalize_line, normalize_text

Strip = Callable[[str], str]

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_WS_RE = re.compile(r"\s+")


# ---------------------------------------------------------------- shingles
def word_shingles(text: str, n: int = 4) -> Counter:
    """Bag of word ``n``-gram shingles of ``text`` (``\\w+`` tokens, case kept)."""
    tokens = _TOKEN_RE.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def shingle_tp_fp_fn(predicted: str, gold: str, n: int = 4) -> tuple[float, float, float]:
    """Per-page tp, fp, fn over shingle bags, scaled to sum to 1 (the benchmark's page weighting)."""
    pred, true = word_shingles(predicted, n), word_shingles(gold, n)
    tp = float(sum((pred & true).values()))
    fp = float(sum((pred - true).values()))
    fn = float(sum((true - pred).values()))
    total = tp + fp + fn
    if total > 0:
        return tp / total, fp / total, fn / total
    return tp, fp, fn


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def shingle_scores(pairs: Iterable[tuple[str, str]], n: int = 4) -> dict:
    """Macro shingle P/R/F1 over ``(predicted, gold)`` pairs; see the module docstring."""
    counts = [shingle_tp_fp_fn(pred, gold, n) for pred, gold in pairs]
    if not counts:
        return {"pages": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0, "mean_page_f1": 0.0}
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    page_f1 = [_f1(_precision(*c), _recall(*c)) for c in counts]
    return {
        "pages": len(counts),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "mean_page_f1": statistics.mean(page_f1),
        "page_f1": page_f1,
    }


def evaluate_zyte(rows: Iterable[dict], strip: Strip) -> dict:
    """Shingle scores of ``strip`` over Zyte pages: input is the normalised raw ``text``."""
    return score_zyte(prepare_zyte_rows(rows), strip)


def prepare_zyte_rows(rows: Iterable[dict]) -> list[tuple[str, str]]:
    """(normalised page text, normalised gold text) per page."""
    return [(normalize_text(row["text"]), normalize_text(row["label"])) for row in rows]


def score_zyte(prepared: Iterable[tuple[str, str]], strip: Strip) -> dict:
    """:func:`evaluate_zyte` on pages already through :func:`prepare_zyte_rows`."""
    return shingle_scores((normalize_text(strip(text)), gold) for text, gold in prepared)


def evaluate_zyte_html(rows: Iterable[dict], extract_html: Callable[[str], str]) -> dict:
    """Shingle scores of an HTML extractor (the trafilatura and jusText peers) on the same Zyte pages."""
    pairs = [(normalize_text(extract_html(row["html"]) or ""), normalize_text(row["label"]))
             for row in rows if row.get("html")]
    return shingle_scores(pairs)


# ---------------------------------------------------------------- snippets
def _flat(text: str) -> str:
    return _WS_RE.sub(" ", normalize_text(text)).strip()


def _snippets(value: object) -> list[str]:
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.strip() else []
    return [s for s in (value or []) if isinstance(s, str) and s.strip()]


def prepare_snippet_rows(rows: Iterable[dict]) -> list[tuple[str, list[str], list[str]]]:
    """(normalised page text, must_include, must_exclude) per page, the snippets flattened and only those
    found in the page's visible text: a snippet absent from it (e.g. in an attribute) cannot be judged
    on text alone and is left out of both rates (it would count as an unavoidable miss or a free drop)."""
    prepared = []
    for row in rows:
        raw = _flat(row["text"])
        must_include = [s for s in map(_flat, _snippets(row["must_include"])) if s and s in raw]
        must_exclude = [s for s in map(_flat, _snippets(row["must_exclude"])) if s and s in raw]
        prepared.append((normalize_text(row["text"]), must_include, must_exclude))
    return prepared


def evaluate_snippets(rows: Iterable[dict], strip: Strip) -> dict:
    """Share of ``must_include`` snippets kept and of ``must_exclude`` snippets dropped."""
    return score_snippets(prepare_snippet_rows(rows), strip)


def score_snippets(prepared: Iterable[tuple[str, list[str], list[str]]], strip: Strip) -> dict:
    """:func:`evaluate_snippets` on pages already through :func:`prepare_snippet_rows`."""
    kept = included = dropped = excluded = 0
    page_keep: list[float] = []
    page_drop: list[float] = []
    for text, must_include, must_exclude in prepared:
        clean = _flat(strip(text))
        k = sum(s in clean for s in must_include)
        d = sum(s not in clean for s in must_exclude)
        kept, included = kept + k, included + len(must_include)
        dropped, excluded = dropped + d, excluded + len(must_exclude)
        if must_include:
            page_keep.append(k / len(must_include))
        if must_exclude:
            page_drop.append(d / len(must_exclude))
    return {
        "pages_with_include": len(page_keep),
        "pages_with_exclude": len(page_drop),
        "must_include": included,
        "must_exclude": excluded,
        "keep_rate": kept / included if included else 1.0,
        "drop_rate": dropped / excluded if excluded else 1.0,
        "page_keep_rate": statistics.mean(page_keep) if page_keep else 1.0,
        "page_drop_rate": statistics.mean(page_drop) if page_drop else 1.0,
    }


# ---------------------------------------------------------------- seeds
def evaluate_seeds(seeds_dir: Path, labels: Iterable[dict], strip: Strip) -> dict:
    """Share of seed ``must_remove`` lines gone and ``must_keep`` lines present after ``strip``."""
    removed = n_remove = kept = n_keep = 0
    failures: list[tuple[str, str, str]] = []
    for label in labels:
        text = normalize_text((Path(seeds_dir) / label["file"]).read_text(encoding="utf-8"))
        clean_lines = {normalize_line(line) for line in strip(text).split("\n")}
        for line in label["must_remove"]:
            n_remove += 1
            if normalize_line(line) not in clean_lines:
                removed += 1
            else:
                failures.append((label["file"], "must_remove", line))
        for line in label["must_keep"]:
            n_keep += 1
            if normalize_line(line) in clean_lines:
                kept += 1
            else:
                failures.append((label["file"], "must_keep", line))
    return {
        "must_remove": n_remove,
        "must_keep": n_keep,
        "remove_rate": removed / n_remove if n_remove else 1.0,
        "keep_rate": kept / n_keep if n_keep else 1.0,
        "failures": failures,
    }


# ---------------------------------------------------------------- peers
def no_strip(text: str) -> str:
    """The raw-text peer: keep everything."""
    return text


def justext_strip(text: str) -> str:
    """The jusText peer on text lines: each line becomes one ``<p>`` (jusText wants HTML)."""
    import justext  # optional extra: evaluation only

    from transforms.language import detect_language

    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return ""
    page = "<html><body>" + "".join(f"<p>{html_lib.escape(line)}</p>" for line in lines) + "</body></html>"
    stoplist_name = _JUSTEXT_STOPLISTS.get(detect_language(text) or "en", "English")
    paragraphs = justext.justext(page, justext.get_stoplist(stoplist_name))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def justext_html(html: str) -> str:
    """The jusText peer at full strength: on the page HTML (its intended input), with the stoplist of the
    language of the page's visible text (English when unsure)."""
    import justext  # optional extra: evaluation only

    from transforms.language import detect_language

    if not html or not html.strip():
        return ""
    paragraphs = justext.justext(html, justext.get_stoplist("English"))
    language = detect_language("\n".join(p.text for p in paragraphs))
    if language and language != "en":
        paragraphs = justext.justext(html, justext.get_stoplist(_JUSTEXT_STOPLISTS.get(language, "English")))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


_JUSTEXT_STOPLISTS = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch",
}


def trafilatura_html(html: str) -> str:
    """The trafilatura peer on the page HTML."""
    import trafilatura  # optional extra: evaluation only

    return trafilatura.extract(html) or ""


def load_seed_labels(shared: Path) -> list[dict]:
    return list(read_jsonl(Path(shared) / "eval" / "seeds_boilerplate.jsonl"))


def main() -> None:  # pragma: no cover - a report for humans
    import argparse

    from transforms.boilerplate import BoilerplateConfig, strip_boilerplate

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    parser.add_argument("--peers", action="store_true", help="also score raw text, jusText, trafilatura")
    args = parser.parse_args()
    config = BoilerplateConfig()

    def ours(text: str) -> str:
        return strip_boilerplate(text, config).clean_text

    zyte = list(read_jsonl(args.shared / "eval/boilerplate/zyte_article_extraction.jsonl"))
    snippets = list(read_jsonl(args.shared / "eval/boilerplate/trafilatura_snippets.jsonl"))
    systems: dict[str, Strip] = {"storybeam": ours}
    if args.peers:
        systems.update({"raw": no_strip, "justext": justext_strip})
    report: dict = {}
    for name, strip in systems.items():
        z = evaluate_zyte(zyte, strip)
        z.pop("page_f1")
        s = evaluate_snippets(snippets, strip)
        report[name] = {"zyte": z, "snippets": s}
    if args.peers:
        z = evaluate_zyte_html(zyte, trafilatura_html)
        z.pop("page_f1")
        report["trafilatura_html"] = {"zyte": z}
    seeds = evaluate_seeds(args.shared / "seeds", load_seed_labels(args.shared), ours)
    report["storybeam"]["seeds"] = seeds
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
