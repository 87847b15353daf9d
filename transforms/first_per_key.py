"""FirstPerKey: (key, value) → the first value per key within a time-to-live; later ones come out apart.

The streaming job's memory of what it has already taken in: a Pub/Sub message id delivered again (Pub/Sub
delivers at least once) and an article id with the same text published again. Keyed Beam state (one
flag per key) with an event-time timer that clears the key ``ttl_seconds`` after its first sighting,
so the state holds only the keys of the last ``ttl_seconds`` of event time, never history.
Like Beam's ``DeduplicatePerKey``, but the repeats are an output, so they can be counted and
accounted for instead of disappearing.
"""
from __future__ import annotations

from typing import Any, Iterable, Tuple

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Duration

AGAIN = "again"


class _FirstPerKey(beam.DoFn):
    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, ttl_seconds: float, namespace: str) -> None:
        self._ttl = Duration(seconds=ttl_seconds)
        self._namespace = namespace

    def process(self, element: tuple[Any, Any], timestamp=beam.DoFn.TimestampParam,
                seen=beam.DoFn.StateParam(SEEN), expiry=beam.DoFn.TimerParam(EXPIRY)) -> Iterable[Any]:
        _, value = element
        if seen.read():
            Metrics.counter(self._namespace, "again").inc()
            yield beam.pvalue.TaggedOutput(AGAIN, value)
            return
        seen.write(True)
        expiry.set(timestamp + self._ttl)
        Metrics.counter(self._namespace, "first").inc()
        yield value

    @on_timer(EXPIRY)
    def expire(self, seen=beam.DoFn.StateParam(SEEN)) -> Iterable[Any]:
        Metrics.counter(self._namespace, "expired").inc()
        seen.clear()
        return []


class FirstPerKey(beam.PTransform):
    """(key: str, value) → {``first``: value, the first per key; ``again``: value, every later one within
    ``ttl_seconds`` of event time after the first}. Runs in the global window (keyed state must outlive
    a window); the outputs keep the input timestamps, so a later ``WindowInto`` puts them back in their
    windows. Metrics: ``<namespace>/first``, ``again``, ``expired``.
    """

    def __init__(self, ttl_seconds: float, namespace: str = "first_per_key") -> None:
        super().__init__()
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._ttl = ttl_seconds
        self._namespace = namespace

    def expand(self, keyed: beam.PCollection) -> dict[str, beam.PCollection]:
        out = (
            keyed
            | "Global" >> beam.WindowInto(GlobalWindows())
            | "First" >> beam.ParDo(_FirstPerKey(self._ttl, self._namespace))
            .with_input_types(Tuple[str, Any]).with_outputs(AGAIN, main="first")
        )
        # Through a shuffle: a timer firing leaves an empty bundle on the DoFn's outputs, and Beam's
        # streaming direct runner (2.77) fails on an empty bundle that reaches a step with side inputs.
        return {"first": out.first | "Settle" >> beam.Reshuffle(),
                "again": out[AGAIN] | "SettleAgain" >> beam.Reshuffle()}
