"""NormalizeArticles: one record per article id, text and title normalised."""
from __future__ import annotations

import dataclasses
from typing import Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.records import Article
from transforms.article_identity import REVISED, renamed, resolve_same_id
from transforms.article_parsing import content_sha1
from transforms.normalization import normalize_line, normalize_text

STAGE = "normalize"
COLLAPSED = "collapsed"


class _ResolveIds(beam.DoFn):
    def __init__(self) -> None:
        self._collapsed = Metrics.counter(STAGE, "collapsed:repeated_record")
        self._earlier = Metrics.counter(STAGE, "collapsed:ingested_on_an_earlier_night")
        self._renamed = Metrics.counter(STAGE, "repaired:id_conflict_renamed")
        self._revised = Metrics.counter(STAGE, "revised:new_text_of_earlier_id")

    def process(self, element: tuple[str, dict]) -> Iterable:
        article_id, joined = element
        kept, collapsed = resolve_same_id(joined["articles"])
        self._renamed.inc(max(len(kept) - 1, 0))
        # The same id with the same text on an earlier night: a redelivery, not a second article.
        earlier = set(joined["seen"])
        if earlier:
            again = [a for a in kept if content_sha1(a.text) in earlier]
            self._earlier.inc(len(again))
            kept = [a for a in kept if a not in again]
            collapsed = collapsed + again
            # The same id with another text than an earlier night's: the site revised the article. The new
            # text is an article of tonight under its own id, as a second text within one run is.
            kept = [renamed(a, REVISED) if a.article_id == article_id else a for a in kept]
            self._revised.inc(sum(REVISED in a.repair_notes for a in kept))
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
    are renamed (see ``resolve_same_id``). With ``seen`` ((article_id, text sha1) of articles ingested
    on earlier nights), a record whose id and text were ingested before is collapsed too (a redelivered
    feed item); a new text under an old id is a revision of that article: tonight's article, renamed
    ``<id>#<8 hex>`` and noted ``id:revised_text``. Output: dict with ``articles`` and ``collapsed``. Metrics:
    ``normalize/collapsed:repeated_record``, ``normalize/collapsed:ingested_on_an_earlier_night``,
    ``normalize/repaired:id_conflict_renamed``, ``normalize/revised:new_text_of_earlier_id``.
    """

    def __init__(self, seen: beam.PCollection | None = None) -> None:
        super().__init__()
        self._seen = seen

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        keyed = (
            articles
            | "Normalize" >> beam.Map(_normalize)
            | "KeyById" >> beam.Map(lambda a: (a.article_id, a))
        )
        seen = self._seen if self._seen is not None else articles.pipeline | "NothingSeen" >> beam.Create([])
        resolved = (
            {"articles": keyed, "seen": seen}
            | "GroupById" >> beam.CoGroupByKey()
            | "Resolve" >> beam.ParDo(_ResolveIds()).with_outputs(COLLAPSED, main="articles")
        )
        return {"articles": resolved.articles, "collapsed": resolved[COLLAPSED]}
