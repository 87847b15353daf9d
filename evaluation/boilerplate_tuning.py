"""Tune the stripper's weights on the tuning parts of the boilerplate sets only.

    python -m evaluation.boilerplate_tuning [--eval_dir ../shared/eval] [--rounds 2]

Reads only the **tuning** parts (``evaluation/splits.py``) of the Zyte pages and the trafilatura snippet
pages, and the seeds (in-sample by nature: the phrase rules were written on them). Pages are stripped
exactly as the StripBoilerplate stage strips them (normalised text, site furniture learned per source
from the same pages; ``tests/golden/test_boilerplate_golden.py`` checks that the two agree), so the
search is cheap enough to run in a few minutes.

Objective: the mean of the Zyte mean page F1 and the snippets' balanced rate (keep + drop) / 2, both on
the tuning parts; a configuration that loses any seed line (``must_remove`` kept or ``must_keep``
removed) is rejected. Search: coordinate descent over the numeric fields of ``BoilerplateConfig``, each
tried at a few values around the current one; a change is taken only when it gains more than
``--min_gain`` (smaller gains are noise at this sample size). Prints every accepted step and the final
configuration's differences from the defaults. The held-out parts are never read here.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from evaluation import boilerplate_eval as be
from evaluation.labelled_data import read_jsonl
from evaluation.splits import split
from transforms.article_parsing import source_from_url
from transforms.boilerplate import BoilerplateConfig, article_line_keys, furniture_from_counts, strip_boilerplate
from transforms.normalization import normalize_text

REPO = Path(__file__).resolve().parents[1]

# Values tried for each field (the default is always tried too).
SEARCH_SPACE: dict[str, tuple] = {
    "furniture_min_articles": (2, 3, 4, 5),
    "furniture_min_share": (0.2, 0.3, 0.4, 0.5),
    "furniture_max_body_share": (0.3, 0.5, 0.7),
    "phrase_max_words": (15, 20, 30, 40),
    "marker_max_words": (4, 6, 8),
    "marker_min_position": (0.3, 0.4, 0.5, 0.6, 0.7),
    "marker_max_prose_after": (0.3, 0.5, 0.7, 1.0),
    "marker_max_prose_after_prose": (0.1, 0.2, 0.3, 0.5),
    "prose_min_words": (6, 7, 8, 10, 12),
    "short_line_penalty": (5.0, 7.0, 9.0, 11.0, 14.0),
    "isolated_sentence_weight": (0.1, 0.2, 0.3, 0.5, 0.7),
    "teaser_max_words": (15, 20, 25, 30, 40),
    "repeat_min_words": (2, 3, 4, 6),
    "comment_min_headers": (1, 2, 3),
    "comment_min_prose_before": (20.0, 40.0, 80.0),
    "truncated_prose_min_words": (50, 100, 150, 250),
    "title_max_words": (20, 30, 40),
    "list_item_weight": (0.1, 0.25, 0.4, 0.6),
    "anchor_min_share": (0.2, 0.3, 0.4, 0.5),
    "anchor_min_share_short": (0.3, 0.5, 0.7),
    "anchor_min_lines": (2, 3, 4),
    "headline_record_max_lines": (0, 1, 2, 3),
    "sentence_min_words": (4, 5, 6, 8),
    "sentence_floor_per_word": (0.1, 0.25, 0.4, 0.6),
}


@dataclasses.dataclass(frozen=True)
class Page:
    text: str               # normalised
    source: str | None


def prepare(rows: Iterable[dict], text_key: str = "text", url_key: str | None = "url") -> list[Page]:
    return [Page(normalize_text(r[text_key]), source_from_url(r.get(url_key)) if url_key else None) for r in rows]


def line_counts(pages: list[Page]) -> tuple[dict[str, Counter], Counter]:
    """Per source: how many of its pages hold each line key, and how many pages it has."""
    by_source: dict[str, Counter] = defaultdict(Counter)
    article_counts: Counter = Counter()
    for page in pages:
        article_counts[page.source or ""] += 1
        if page.source:
            by_source[page.source].update(article_line_keys(page.text))
    return by_source, article_counts


def strip_like_the_stage(pages: list[Page], config: BoilerplateConfig, min_words: int = 3,
                         counts: tuple[dict[str, Counter], Counter] | None = None) -> list[str]:
    """Clean texts of ``pages`` as StripBoilerplate makes them in one run: furniture is learned per
    source from these pages (pages without a source learn none), then each page is stripped; a page
    left with fewer than ``min_words`` words is a dead letter (empty here, as ``run_stages`` reports it).
    ``counts``: :func:`line_counts` of ``pages``, when already known."""
    line_counts_of_source, article_counts = counts or line_counts(pages)
    furniture = {source: furniture_from_counts(
        {k: n for k, n in counts.items() if n >= config.furniture_min_articles}, article_counts[source], config)
        for source, counts in line_counts_of_source.items()}
    clean = [strip_boilerplate(page.text, config, furniture.get(page.source or "", frozenset())).clean_text
             for page in pages]
    return [text if len(text.split()) >= min_words else "" for text in clean]


class Objective:
    """Scores of one configuration on the tuning parts (and the seeds as a constraint)."""

    def __init__(self, eval_dir: Path) -> None:
        zyte = split(read_jsonl(eval_dir / "boilerplate" / "zyte_article_extraction.jsonl"), "id")["tuning"]
        snippets = split(read_jsonl(eval_dir / "boilerplate" / "trafilatura_snippets.jsonl"), "id")["tuning"]
        self.zyte_rows, self.snippet_rows = be.prepare_zyte_rows(zyte), be.prepare_snippet_rows(snippets)
        self.zyte = prepare(zyte)
        self.snippets = prepare(snippets)
        self.counts = {"zyte": line_counts(self.zyte), "snippets": line_counts(self.snippets)}
        self.seeds_dir = eval_dir.parent / "seeds"
        self.seed_labels = read_jsonl(eval_dir / "seeds_boilerplate.jsonl")
        self.seeds = [Page(normalize_text((self.seeds_dir / s["file"]).read_text(encoding="utf-8")), None)
                      for s in self.seed_labels]

    @staticmethod
    def _by_text(pages: list[Page], clean: list[str]) -> Callable[[str], str]:
        table = {page.text: text for page, text in zip(pages, clean)}
        return lambda text: table[text]

    def __call__(self, config: BoilerplateConfig) -> dict:
        zyte = be.score_zyte(self.zyte_rows, self._by_text(
            self.zyte, strip_like_the_stage(self.zyte, config, counts=self.counts["zyte"])))
        snippets = be.score_snippets(self.snippet_rows, self._by_text(
            self.snippets, strip_like_the_stage(self.snippets, config, counts=self.counts["snippets"])))
        seeds = be.evaluate_seeds(self.seeds_dir, self.seed_labels, self._by_text(
            self.seeds, strip_like_the_stage(self.seeds, config)))
        balanced = (snippets["keep_rate"] + snippets["drop_rate"]) / 2
        return {"objective": (zyte["mean_page_f1"] + balanced) / 2, "zyte_mean_page_f1": zyte["mean_page_f1"],
                "zyte_f1": zyte["f1"], "snippet_keep": snippets["keep_rate"], "snippet_drop": snippets["drop_rate"],
                "seed_failures": len(seeds["failures"])}


def tune(objective: Objective, start: BoilerplateConfig, rounds: int, min_gain: float,
         log: Callable[[str], None] = print) -> BoilerplateConfig:
    best = start
    best_scores = objective(best)
    log(f"start: {best_scores}")
    for round_no in range(1, rounds + 1):
        changed = False
        for name, values in SEARCH_SPACE.items():
            for value in values:
                if value == getattr(best, name):
                    continue
                try:
                    candidate = dataclasses.replace(best, **{name: value})
                except ValueError:
                    continue
                scores = objective(candidate)
                if scores["seed_failures"] == 0 and scores["objective"] > best_scores["objective"] + min_gain:
                    log(f"round {round_no}: {name} {getattr(best, name)} -> {value}: {scores}")
                    best, best_scores, changed = candidate, scores, True
        if not changed:
            break
    log(f"final: {best_scores}")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--min_gain", type=float, default=0.002)
    args = parser.parse_args(argv)
    default = BoilerplateConfig()
    best = tune(Objective(args.eval_dir), default, args.rounds, args.min_gain)
    changes = {f.name: (getattr(default, f.name), getattr(best, f.name)) for f in dataclasses.fields(default)
               if f.init and getattr(default, f.name) != getattr(best, f.name)}
    print("changes from the defaults:", changes or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
