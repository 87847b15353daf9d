"""FirstPerKey on Beam's streaming direct runner: the first value per key passes, repeats come out
apart, and the key's state expires (event-time timer) ttl seconds after its first sighting."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from transforms.first_per_key import FirstPerKey

T0 = 1_768_464_000


def _run(events, ttl: float):
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(runner=BundleBasedDirectRunner(), options=options) as p:
        out = p | events | FirstPerKey(ttl)
        assert_that(out["first"], equal_to(["a1", "b1", "a4"]), label="first")
        assert_that(out["again"], equal_to(["a2", "b2", "a3"]), label="again")


def test_repeats_within_the_ttl_come_out_apart_and_the_key_expires_after_it():
    stream = (
        TestStream()
        .advance_watermark_to(T0)
        .add_elements([TimestampedValue(("a", "a1"), T0 + 1), TimestampedValue(("b", "b1"), T0 + 2)])
        .add_elements([TimestampedValue(("a", "a2"), T0 + 3), TimestampedValue(("b", "b2"), T0 + 50)])
        .advance_watermark_to(T0 + 30)  # a's state is 29 s old: not expired (ttl 60)
        .add_elements([TimestampedValue(("a", "a3"), T0 + 31)])
        .advance_watermark_to(T0 + 62)  # past a's expiry timer (T0 + 1 + 60): a is forgotten
        .add_elements([TimestampedValue(("a", "a4"), T0 + 63)])
        .advance_watermark_to(T0 + 1000)
        .advance_watermark_to_infinity()
    )
    _run(stream, ttl=60)
