"""DescribeArticles: stripped articles → the same articles with authors, dateline, and a source and
publish time read from the page where the record has none."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.records import Article
from transforms.canonical import page_headline_of
from transforms.page_metadata import describe_page

STAGE = "describe_articles"


@dataclass(frozen=True)
class DescribeConfig:
    """reference_time: page dates later than this (plus two days) are not publish times.
    infer_source / infer_published_at: fill a missing source / published_at from the page."""

    reference_time: datetime | None = None
    infer_source: bool = True
    infer_published_at: bool = True

    def __post_init__(self) -> None:
        if self.reference_time is not None and self.reference_time.tzinfo is None:
            raise ValueError("reference_time must be timezone-aware")


class _Describe(beam.DoFn):
    def __init__(self, config: DescribeConfig) -> None:
        self._config = config

    def process(self, article: Article) -> Iterable[Article]:
        config = self._config
        # A source or time the record carried is never replaced: only missing ones are looked for.
        page = describe_page(
            article.text, article.clean_text or "", article.input_file, config.reference_time,
            find_source=config.infer_source and not article.source,
            find_published_at=config.infer_published_at and article.published_at is None)
        source_inferred = page.source is not None
        time_inferred = page.published_at is not None
        if source_inferred:
            Metrics.counter(STAGE, f"source_inferred:{page.source_method}").inc()
        if time_inferred:
            Metrics.counter(STAGE, f"published_at_inferred:{page.published_method}").inc()
        if page.authors:
            Metrics.counter(STAGE, "with_authors").inc()
        if page.dateline:
            Metrics.counter(STAGE, "with_dateline").inc()
        yield dataclasses.replace(
            article,
            authors=page.authors,
            dateline=page.dateline,
            source=page.source if source_inferred else article.source,
            source_inferred=source_inferred,
            published_at=page.published_at if time_inferred else article.published_at,
            published_at_inferred=time_inferred,
            page_headline=page_headline_of(article),
        )


class DescribeArticles(beam.PTransform):
    """Article (with ``clean_text``) → Article with ``authors``, ``dateline`` and, where the record had
    none, ``source`` / ``published_at`` read from the page (``source_inferred`` /
    ``published_at_inferred`` set). Rules in ``transforms/page_metadata.py``. Nothing is dropped: no dead
    letters. Metrics: ``describe_articles/source_inferred:<method>``,
    ``describe_articles/published_at_inferred:page_date``, ``describe_articles/with_authors``,
    ``describe_articles/with_dateline``.
    """

    def __init__(self, config: DescribeConfig) -> None:
        super().__init__()
        self._config = config

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        return articles | "Describe" >> beam.ParDo(_Describe(self._config))
