"""DescribeArticles on a TestPipeline: authors, dateline, and source / time only where missing."""
from __future__ import annotations

from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import Article
from transforms.describe_articles import DescribeArticles, DescribeConfig

UTC = timezone.utc
WIRE = ("By Steve Holland and Olena Harmash\n"
        "WASHINGTON/KYIV (Reuters) -U.S. President Donald Trump said on Monday that talks would start at once.\n"
        "Published: 19 May 2025\n"
        "The second paragraph of the story goes on from here.")
GIVEN = datetime(2025, 5, 20, 8, tzinfo=UTC)


def test_describe_articles_fills_only_what_is_missing(pipeline):
    articles = [
        Article("wire", WIRE, clean_text=WIRE, input_file="/in/wire.txt"),
        Article("given", WIRE, clean_text=WIRE, source="Daily Ledger", published_at=GIVEN),
        Article("filed", "Nothing here says who wrote it or when.", clean_text="Nothing here says who wrote it or when.",
                input_file="/in/articles/harbor-ledger/story.txt"),
    ]
    with pipeline as p:
        out = p | beam.Create(articles) | DescribeArticles(DescribeConfig(reference_time=datetime(2026, 1, 1, tzinfo=UTC)))
        rows = out | beam.Map(lambda a: (a.article_id, a.authors, a.dateline, a.source, a.source_inferred,
                                         a.published_at, a.published_at_inferred))
        assert_that(rows, equal_to([
            ("wire", ("Steve Holland", "Olena Harmash"), "WASHINGTON/KYIV", "Reuters", True,
             datetime(2025, 5, 19, tzinfo=UTC), True),
            ("given", ("Steve Holland", "Olena Harmash"), "WASHINGTON/KYIV", "Daily Ledger", False, GIVEN, False),
            ("filed", (), None, "harbor-ledger", True, None, False),
        ]), label="described")


def test_describe_articles_can_leave_source_and_time_alone(pipeline):
    with pipeline as p:
        out = (p | beam.Create([Article("wire", WIRE, clean_text=WIRE)])
               | DescribeArticles(DescribeConfig(infer_source=False, infer_published_at=False)))
        rows = out | beam.Map(lambda a: (a.source, a.source_inferred, a.published_at, a.published_at_inferred))
        assert_that(rows, equal_to([(None, False, None, False)]), label="untouched")
