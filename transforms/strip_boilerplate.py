"""StripBoilerplate: normalised articles → clean body text, every removed line with a reason."""
from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Iterable, Mapping

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.records import Article
from schemas.tables import DeadLetter
from transforms.boilerplate import (
    BoilerplateConfig,
    article_line_keys,
    furniture_from_counts,
    strip_boilerplate,
)

STAGE = "strip_boilerplate"
DEAD_LETTERS = "dead_letters"
_NO_SOURCE = ""


def _source_key(article: Article) -> str:
    return article.source or _NO_SOURCE


def _line_counts(article: Article) -> Iterable[tuple[tuple[str, str], int]]:
    source = _source_key(article)
    # Articles of unknown source teach nothing about any site's furniture.
    keys = article_line_keys(article.text) if source != _NO_SOURCE else ()
    for key in keys:
        yield (source, key), 1


def _furniture_of_source(
    element: tuple[str, tuple[Iterable[tuple[str, int]], Iterable[int]]], config: BoilerplateConfig
) -> Iterable[tuple[str, frozenset[str]]]:
    source, (line_counts, article_counts) = element
    n_articles = sum(article_counts)
    furniture = furniture_from_counts(dict(line_counts), n_articles, config)
    if furniture:
        yield source, furniture


class _Strip(beam.DoFn):
    def __init__(self, config: BoilerplateConfig, min_words: int) -> None:
        self._config = config
        self._min_words = min_words

    def process(self, article: Article, furniture: Mapping[str, frozenset[str]]) -> Iterable:
        result = strip_boilerplate(
            article.text, self._config, furniture.get(_source_key(article), frozenset()), title=article.title
        )
        reasons = Counter(removal.reason for removal in result.removals)
        for reason, n in reasons.items():
            Metrics.counter(STAGE, f"removed_lines:{reason}").inc(n)
        words = len(result.clean_text.split())
        if words < self._min_words:
            # Too short to be an article even before stripping, or an article that stripping emptied.
            reason = "too_short" if len(article.text.split()) < self._min_words else "only_boilerplate"
            Metrics.counter(STAGE, f"dropped:{reason}").inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, DeadLetter(
                stage=STAGE, reason=reason, article_id=article.article_id, input_file=article.input_file,
                record_no=article.record_no, error=f"{words} words left after stripping (minimum {self._min_words})",
                payload_excerpt=DeadLetter.excerpt(article.text)))
            return
        Metrics.counter(STAGE, "articles_kept").inc()
        yield dataclasses.replace(
            article,
            title=article.title or result.title_line,
            # The clean text's language comes with the result (counted from the kept lines' tokens).
            language=article.language or result.language,
            clean_text=result.clean_text,
            removal_reasons=tuple(sorted(reasons.items())),
            removed_line_count=len(result.removals),
        )


class StripBoilerplate(beam.PTransform):
    """Article (normalised text) → Article with ``clean_text``, removal reasons, title and language.

    Site furniture is learned from the run itself: a line key seen in many articles of the same source
    (thresholds in BoilerplateConfig) is removed from all of them. Articles with fewer than
    ``min_words`` words left go to ``dead_letters`` with reason ``only_boilerplate`` or ``too_short``.
    Output: dict with ``articles`` and ``dead_letters``. Metrics: ``strip_boilerplate/removed_lines:<reason>``,
    ``strip_boilerplate/dropped:<reason>``, ``strip_boilerplate/articles_kept``.
    """

    def __init__(self, config: BoilerplateConfig, min_words: int = 3) -> None:
        super().__init__()
        self._config = config
        self._min_words = min_words

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        config = self._config
        line_counts = (
            articles
            | "LineKeys" >> beam.FlatMap(_line_counts)
            | "CountLines" >> beam.CombinePerKey(sum)
            | "KeepRepeated" >> beam.Filter(lambda kv: kv[1] >= config.furniture_min_articles)
            | "BySource" >> beam.Map(lambda kv: (kv[0][0], (kv[0][1], kv[1])))
        )
        article_counts = (
            articles
            | "SourceOf" >> beam.Map(lambda a: (_source_key(a), 1))
            | "CountArticles" >> beam.CombinePerKey(sum)
        )
        furniture = (
            (line_counts, article_counts)
            | "JoinCounts" >> beam.CoGroupByKey()
            | "Furniture" >> beam.FlatMap(_furniture_of_source, config)
        )
        stripped = articles | "Strip" >> beam.ParDo(
            _Strip(config, self._min_words), furniture=beam.pvalue.AsDict(furniture)
        ).with_outputs(DEAD_LETTERS, main="articles")
        return {"articles": stripped.articles, "dead_letters": stripped[DEAD_LETTERS]}
