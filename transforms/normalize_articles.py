"""NormalizeArticles: one record per article id, text and title normalised."""
from __future__ import annotations

import dataclasses
from typing import Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.records import Article
from transforms.article_identity import resolve_same_id
from transforms.normalization import normalize_line, normalize_text

STAGE = "normalize"
COLLAPSED = "collapsed"


class _ResolveIds(beam.DoFn):
    def __init__(self) -> None:
        self._collapsed = Metrics.counter(STAGE, "collapsed:repeated_record")
        self._renamed = Metrics.counter(STAGE, "repaired:id_conflict_renamed")

    def process(self, element: tuple[str, Iterable[Article]]) -> Iterable:
        _, articles = element
        kept, collapsed = resolve_same_id(articles)
        self._renamed.inc(len(kept) - 1)
        for article in collapsed:
            self._collapsed.inc()
            yield beam.pvalue.TaggedOutput(COLLAPSED, (article.input_file, 1))
        yield from kept


def _normalize(article: Article) -> Article:
    title = normalize_line(article.title) if article.title else None
    return dataclasses.replace(article, text=normalize_text(article.text), title=title or None)


class NormalizeArticles(beam.PTransform):
    """Article → Article with NFKC text, folded quotes and dashes, clean whitespace; one per id.

    Records with the same id and text (read twice) collapse into one; the collapsed ones come out as
    ``collapsed`` ((input_file, 1)) for the run's accounting. Same id, different text: the later texts
    are renamed (see ``resolve_same_id``). Output: dict with ``articles`` and ``collapsed``.
    Metrics: ``normalize/collapsed:repeated_record``, ``normalize/repaired:id_conflict_renamed``.
    """

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        resolved = (
            articles
            | "Normalize" >> beam.Map(_normalize)
            | "KeyById" >> beam.Map(lambda a: (a.article_id, a))
            | "GroupById" >> beam.GroupByKey()
            | "Resolve" >> beam.ParDo(_ResolveIds()).with_outputs(COLLAPSED, main="articles")
        )
        return {"articles": resolved.articles, "collapsed": resolved[COLLAPSED]}
