"""NoteRevisedTexts: the streaming job renames an article id that comes back with another text.

A site that updates a story publishes the same id with a new text. Nightly runs see it through their
``seen`` state (``NormalizeArticles``); the stream keeps, per article id, the digest of the latest text it
took in, in keyed Beam state with an event-time timer that forgets the id ``ttl_seconds`` after its latest
text. An article whose id is remembered with another digest is renamed ``<id>#<8 hex>`` and noted
``id:revised_text``, as in nightly runs: an article of its window under an id of its own (so it never
founds an event under the id of the one its earlier text founded). Runs after ``FirstIngest``, so a
repeat (same id, same text) never reaches it.
"""
from __future__ import annotations

from typing import Any, Iterable, Tuple

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Duration

from schemas.records import Article
from transforms.article_identity import REVISED, original_id, renamed
from transforms.article_parsing import content_sha1


class _NoteRevised(beam.DoFn):
    LATEST = ReadModifyWriteStateSpec("latest_text_sha1", StrUtf8Coder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = Duration(seconds=ttl_seconds)

    def process(self, element: tuple[str, Article], timestamp=beam.DoFn.TimestampParam,
                latest=beam.DoFn.StateParam(LATEST), expiry=beam.DoFn.TimerParam(EXPIRY)) -> Iterable[Article]:
        _, article = element
        digest = content_sha1(article.text)
        before = latest.read()
        latest.write(digest)
        expiry.set(timestamp + self._ttl)
        if before is not None and before != digest and article.article_id == original_id(article):
            Metrics.counter("normalize", "revised:new_text_of_earlier_id").inc()
            article = renamed(article, REVISED)
        yield article

    @on_timer(EXPIRY)
    def expire(self, latest=beam.DoFn.StateParam(LATEST)) -> Iterable[Any]:
        latest.clear()
        return []


class NoteRevisedTexts(beam.PTransform):
    """Article → the same article, renamed ``<id>#<8 hex>`` and noted ``id:revised_text`` when its id was
    taken in with another text within ``ttl_seconds`` of event time before. Runs in the global window (keyed state must outlive a
    window); outputs keep their timestamps, so a later ``WindowInto`` puts them back in their windows.
    Metric: ``normalize/revised:new_text_of_earlier_id`` (the nightly runs' counter)."""

    def __init__(self, ttl_seconds: float) -> None:
        super().__init__()
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._ttl = ttl_seconds

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        return (
            articles
            | "KeyById" >> beam.Map(lambda a: (original_id(a), a)).with_output_types(Tuple[str, Any])
            | "Global" >> beam.WindowInto(GlobalWindows())
            | "Note" >> beam.ParDo(_NoteRevised(self._ttl))
            # Through a shuffle, as FirstPerKey's outputs: a timer's empty bundle must not reach a step
            # with side inputs on Beam's streaming direct runner (2.77).
            | "Settle" >> beam.Reshuffle()
        )
