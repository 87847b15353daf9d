"""Which pages of the labelled sets each phrase rule fires on: no rule may be written for one page.

    python -m evaluation.phrase_audit [--eval_dir ../shared/eval] [--all]

A phrase rule (a widget pattern or a section-marker pattern of :mod:`transforms.boilerplate_phrases`) is
tested the way the stripper tests it: widget patterns are searched in lines of at most
``phrase_max_words`` words, marker patterns must match a whole line of at most ``marker_max_words``
words (punctuation trimmed). Lines are the normalised, stripped lines of each text. A "page" is one
document: a seed, a Zyte page (its 33 extractor variants count as that page), a snippet page, a sample
article, an ECB+ or GVA article. For every rule the audit prints the pages it fires on, per set and
split part, and how many of the lines it fires on are article body by the labels (Zyte gold text,
snippet ``must_include``, seed ``must_keep``): body lines a rule would cut.

A rule that fires on exactly one page is a rule written for that page, unless it is a translation (see
``TRANSLATED_LANGUAGES``); the golden test ``tests/golden/test_phrase_rules_golden.py`` keeps that list
empty. The project's own sample does not count as evidence (it was written by the rules' authors).
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.labelled_data import read_jsonl
from evaluation.splits import part_of_ecbplus_topic, part_of_key
from transforms.boilerplate import _MARKER_TRIM, BoilerplateConfig
from transforms.boilerplate_phrases import PHRASES
from transforms.normalization import normalize_line, normalize_text

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Page:
    page_id: str        # "<set>:<id>"
    corpus: str         # seeds, zyte, snippets, sample, ecbplus, gva
    part: str           # tuning, held_out or "-" (sets that are not split)
    lines: tuple[str, ...]
    body: frozenset[str] = frozenset()   # lines that are article body by the labels


@dataclass
class RuleHits:
    language: str
    kind: str           # widget reason or marker kind
    pattern: str
    pages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # corpus:part -> page ids
    lines: int = 0
    body_lines: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def page_ids(self) -> set[str]:
        return set().union(*self.pages.values()) if self.pages else set()

    @property
    def evidence_pages(self) -> set[str]:
        """Pages of third-party labelled data (and the seeds): not the project's own sample, which was
        written by the same hands as the rules."""
        return set().union(*(ids for key, ids in self.pages.items() if not key.startswith("sample:")), set())


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in normalize_text(text).split("\n") if line.strip())


def _snippets(value: object) -> list[str]:
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.strip() else []
    return [normalize_line(s) for s in (value or []) if isinstance(s, str) and s.strip()]


def pages(eval_dir: Path) -> Iterator[Page]:
    """Every labelled page, with its split part and the lines the labels call body."""
    seeds_dir = eval_dir.parent / "seeds"
    for label in read_jsonl(eval_dir / "seeds_boilerplate.jsonl"):
        lines = _lines((seeds_dir / label["file"]).read_text(encoding="utf-8"))
        keep = {normalize_line(x) for x in label["must_keep"]}
        yield Page("seeds:" + label["file"], "seeds", "-", lines, frozenset(line for line in lines if line in keep))
    zyte = read_jsonl(eval_dir / "boilerplate" / "zyte_article_extraction.jsonl")
    variants: dict[str, list[str]] = defaultdict(list)
    for row in read_jsonl(eval_dir / "neardup" / "zyte_extractor_variants.jsonl"):
        variants[row["label"]].append(row["text"])
    for row in zyte:
        gold = normalize_text(row["label"])
        lines = _lines(row["text"]) + tuple(line for text in variants[row["id"]] for line in _lines(text))
        yield Page("zyte:" + row["id"], "zyte", part_of_key(row["id"]), lines,
                   frozenset(line for line in lines if line in gold))
    for row in read_jsonl(eval_dir / "boilerplate" / "trafilatura_snippets.jsonl"):
        lines = _lines(row["text"])
        include = _snippets(row["must_include"])
        yield Page("snippets:" + row["id"], "snippets", part_of_key(row["id"]), lines,
                   frozenset(line for line in lines if any(s in line or line in s for s in include)))
    for row in read_jsonl(REPO / "sample" / "articles.jsonl"):
        yield Page("sample:" + row["id"], "sample", "-", _lines(row["text"]))
    for row in read_jsonl(eval_dir / "events" / "ecbplus_topics_1-35.jsonl"):
        yield Page("ecbplus:" + row["id"], "ecbplus", part_of_ecbplus_topic(row["topic"]), _lines(row["text"]))
    gva = eval_dir / "events" / "gva_shootings_dev.jsonl"
    if gva.is_file():
        for row in read_jsonl(gva):
            yield Page("gva:" + str(row["id"]), "gva", "-", _lines(row["text"]))


def audit(all_pages: Iterable[Page], config: BoilerplateConfig | None = None) -> list[RuleHits]:
    """One :class:`RuleHits` per phrase rule of ``config.languages``, in declaration order."""
    config = config or BoilerplateConfig()
    widgets: list[RuleHits] = []
    markers: list[tuple[RuleHits, re.Pattern[str]]] = []
    for language in config.languages:
        widgets += [RuleHits(language, kind, pattern.pattern) for kind, pattern in PHRASES[language].widgets]
        markers += [(RuleHits(language, "marker:" + kind, pattern.pattern), pattern)
                    for kind, pattern in PHRASES[language].markers]
    matcher = config.phrase_matcher  # its candidates() are a superset of the widgets that match a line

    def record(hits: RuleHits, page: Page, line: str) -> None:
        hits.pages[f"{page.corpus}:{page.part}"].add(page.page_id)
        hits.lines += 1
        hits.body_lines += line in page.body
        if len(hits.examples) < 3:
            hits.examples.append(line[:80])

    for page in all_pages:
        for line in dict.fromkeys(page.lines):  # each line once, in page order (deterministic examples)
            words = len(line.split())
            if words <= config.phrase_max_words:
                for index in matcher.candidates(line):
                    if matcher.widgets[index][1].search(line):
                        record(widgets[index], page, line)
            if words <= config.marker_max_words:
                core = _MARKER_TRIM.sub("", line)
                for hits, pattern in markers:
                    if pattern.fullmatch(core):
                        record(hits, page, line)
    return widgets + [hits for hits, _ in markers]


# The French, Spanish and Italian sets are the English rules translated reason for reason; the labelled
# sets hold little text in these languages, so a translation may fire on one page or none without having
# been written for it. Its English counterpart must stand on evidence of its own.
TRANSLATED_LANGUAGES = ("fr", "es", "it")


def one_page_rules(report: list[RuleHits]) -> list[RuleHits]:
    """Rules that fire on exactly one page of the labelled sets (the sample does not count)."""
    return [hits for hits in report if len(hits.evidence_pages) == 1]


def rules_written_for_one_page(report: list[RuleHits]) -> list[RuleHits]:
    """One-page rules that are not translations of an English rule of the same reason with evidence on at
    least two pages: rules written for one page. Kept empty by the golden test."""
    backed = {hits.kind for hits in report if hits.language == "en" and len(hits.evidence_pages) >= 2}
    return [hits for hits in one_page_rules(report)
            if hits.language not in TRANSLATED_LANGUAGES or hits.kind not in backed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval_dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--all", action="store_true", help="list every rule, not only those on <= 1 page")
    args = parser.parse_args(argv)
    report = audit(pages(args.eval_dir))
    print("| lang | reason | pattern | pages | by set:part | lines | body lines | example |")
    print("|---|---|---|---|---|---|---|---|")
    for hits in report:
        if not args.all and len(hits.evidence_pages) > 1:
            continue
        by_set = ", ".join(f"{k} {len(v)}" for k, v in sorted(hits.pages.items()))
        print(f"| {hits.language} | {hits.kind} | `{hits.pattern[:60]}` | {len(hits.evidence_pages)} | {by_set} | "
              f"{hits.lines} | {hits.body_lines} | {hits.examples[0] if hits.examples else ''} |")
    single = one_page_rules(report)
    print(f"\n{len(report)} rules; {sum(1 for h in report if not h.evidence_pages)} fire on no labelled page, "
          f"{len(single)} on exactly one ({len(rules_written_for_one_page(report))} of them not a translation "
          f"of an English rule with evidence)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
