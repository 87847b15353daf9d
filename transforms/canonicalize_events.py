"""CanonicalizeEvents: articles + near-duplicate groups + anchor events → event rows and article rows."""
from __future__ import annotations

from typing import Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.canonical import EventMember, build_event

STAGE = "canonicalize_events"
ARTICLE_ROWS = "article_rows"


def _by_anchor(element: tuple[str, dict]) -> Iterable[tuple[str, tuple]]:
    article_id, joined = element
    (article,), (dup,) = joined["articles"], joined["dups"]
    yield dup.anchor_id, (article, dup)


def _by_event(element: tuple[str, dict]) -> Iterable[tuple[str, EventMember]]:
    anchor_id, joined = element
    if not joined["events"]:
        # An anchor the clusterer never saw would be a bug upstream; fail loudly rather than drop rows.
        raise RuntimeError(f"near-duplicate anchor {anchor_id} has no event")
    (event,) = joined["events"]
    for article, dup in joined["members"]:
        yield event.event_id, EventMember(article, dup, event.similarity)


class _Build(beam.DoFn):
    def process(self, element: tuple[str, Iterable[EventMember]]) -> Iterable:
        event_id, members = element
        event, rows = build_event(list(members), event_id)
        Metrics.counter(STAGE, "events").inc()
        Metrics.distribution(STAGE, "event_size").update(event.article_count)
        yield event
        for row in rows:
            yield beam.pvalue.TaggedOutput(ARTICLE_ROWS, row)


class CanonicalizeEvents(beam.PTransform):
    """{articles: Article, dups: (id, DupInfo), events: (anchor_id, EventMembership)} →
    {events: EventRow, articles: ArticleRow}.

    Copies inherit their anchor's event and similarity. Rules for ids, canonical choice, headline and
    summary are in ``transforms/canonical.py``. Metrics: ``canonicalize_events/events``, ``event_size``.
    No dead letters: an article without an event is an upstream bug and fails the run.
    """

    def expand(self, inputs: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        keyed = inputs["articles"] | "KeyArticles" >> beam.Map(lambda a: (a.article_id, a))
        members = (
            {"articles": keyed, "dups": inputs["dups"]}
            | "JoinDups" >> beam.CoGroupByKey()
            | "ByAnchor" >> beam.FlatMap(_by_anchor)
        )
        built = (
            {"members": members, "events": inputs["events"]}
            | "JoinEvents" >> beam.CoGroupByKey()
            | "ByEvent" >> beam.FlatMap(_by_event)
            | "GroupEvents" >> beam.GroupByKey()
            | "Build" >> beam.ParDo(_Build()).with_outputs(ARTICLE_ROWS, main="events")
        )
        return {"events": built.events, "articles": built[ARTICLE_ROWS]}
