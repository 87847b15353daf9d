"""ParseMessages: Pub/Sub messages → Article records or dead letters (one of the two per message).

A message's payload is one JSON object like a line of a ``.jsonl`` input (``id``, ``text``, ``title``,
``url``, ``source``, ``published_at``, ``language``), parsed by the same rules
(``transforms/article_parsing.py``). A payload that is not JSON, binary, has no text, or is larger than
``max_message_bytes`` becomes a dead letter with its reason; nothing stalls on it. The article's
``input_file`` names where it came from: ``<subscription>/messages/<message id>``. Without a fixed
``reference_time`` in ``config``, a ``published_at`` is checked against the message's own publish time
(a stream runs for weeks: the job's start time would make every later story look "in the future").
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.tables import DeadLetter
from transforms.article_parsing import BadRecord, ReadConfig, article_from_jsonl_line, sniff_binary

STAGE = "read_messages"
DEAD_LETTERS = "dead_letters"


def message_origin(subscription: str, message_id: str | None) -> str:
    return f"{subscription}/messages/{message_id or 'unknown'}"


class _Parse(beam.DoFn):
    def __init__(self, subscription: str, config: ReadConfig, max_message_bytes: int) -> None:
        self._subscription = subscription
        self._config = config
        self._max = max_message_bytes

    def _dead(self, reason: str, origin: str, error: str, payload: bytes | None,
              article_id: str | None = None) -> beam.pvalue.TaggedOutput:
        Metrics.counter(STAGE, f"dropped:{reason}").inc()
        return beam.pvalue.TaggedOutput(DEAD_LETTERS, DeadLetter(
            stage=STAGE, reason=reason, article_id=article_id, input_file=origin, record_no=0,
            error=error or None, payload_excerpt=DeadLetter.excerpt(payload)))

    def process(self, message: Any) -> Iterable[Any]:
        origin = message_origin(self._subscription, getattr(message, "message_id", None))
        data = message.data
        if not isinstance(data, (bytes, bytearray)):
            yield self._dead("payload_not_bytes", origin, type(data).__name__, None)
            return
        data = bytes(data)
        if len(data) > self._max:
            yield self._dead("message_too_large", origin, f"{len(data)} bytes > {self._max}", data[:1000])
            return
        if not data.strip():
            yield self._dead("empty_message", origin, "", data)
            return
        binary = sniff_binary(data)
        if binary is not None:  # a JSON parser would call a PNG "malformed JSON"; say what it is
            yield self._dead("binary_content", origin, binary, data[:1000])
            return
        config = self._config
        published = getattr(message, "publish_time", None)
        if config.reference_time is None and isinstance(published, datetime):
            config = dataclasses.replace(config, reference_time=(
                published if published.tzinfo else published.replace(tzinfo=timezone.utc)))
        try:
            article = article_from_jsonl_line(data, origin, 0, config)
        except BadRecord as e:
            yield self._dead(e.reason, origin, e.detail, data[:1000], article_id=e.article_id)
            return
        Metrics.counter(STAGE, "articles_parsed").inc()
        yield article


class ParseMessages(beam.PTransform):
    """PubsubMessage (``data`` bytes, ``message_id``) → {``articles``: Article, ``dead_letters``:
    DeadLetter}. Metrics: ``read_messages/articles_parsed``, ``read_messages/dropped:<reason>``."""

    def __init__(self, subscription: str, config: ReadConfig, max_message_bytes: int) -> None:
        super().__init__()
        if max_message_bytes < 1:
            raise ValueError("max_message_bytes must be positive")
        self._subscription = subscription
        self._config = config
        self._max = max_message_bytes

    def expand(self, messages: beam.PCollection) -> dict[str, beam.PCollection]:
        parsed = messages | "Parse" >> beam.ParDo(
            _Parse(self._subscription, self._config, self._max)).with_outputs(DEAD_LETTERS, main="articles")
        return {"articles": parsed.articles, "dead_letters": parsed[DEAD_LETTERS]}
