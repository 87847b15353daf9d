"""LinkClusters (transforms/link_clusters.py) on a real in-process Beam runner gives the events of the
one-process link_units bit for bit: near pairs per time window, far pairs per name, one component per
grouping, units in no pair passed straight through."""
from __future__ import annotations

import math

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.unit.test_event_linking import CONFIG, _units
from transforms.event_engine import Unit
from transforms.event_linking import link_units
from transforms.link_clusters import LinkClusters
from transforms.packed_values import pack_unit


def _fields(event: Unit) -> tuple:
    return (event.key, event.size, tuple(event.members), event.event_id, tuple(event.absorbed), event.t_min,
            event.t_max, event.founder, tuple(sorted(event.names.items())), event.dense.tobytes(),
            event.sparse.ids.tobytes(), event.sparse.values.tobytes(), event.raw_dense.tobytes())


@pytest.mark.parametrize("seed, undated, earlier, shards", [(1, 0, 0, 1), (4, 5, 15, 3)])
def test_link_clusters_on_beam_equals_link_units(pipeline, seed, undated, earlier, shards):
    units = _units(seed, undated=undated, earlier=earlier)
    expected = link_units(units, CONFIG)
    assert len(expected) < len(units)  # merges happen
    newest = max(u.t_max for u in units if math.isfinite(u.t_max))
    linked = pipeline | beam.Create([pack_unit(u) for u in units]) | LinkClusters(CONFIG, shards)
    assert_that(linked["events"] | "Fields" >> beam.Map(_fields), equal_to([_fields(e) for e in expected]),
                label="events")
    assert_that(linked["newest"], equal_to([newest]), label="newest")
    pipeline.run()


def test_link_clusters_of_nothing_is_nothing(pipeline):
    linked = pipeline | beam.Create([], reshuffle=False).with_output_types(bytes) | LinkClusters(CONFIG)
    assert_that(linked["events"], equal_to([]), label="events")
    assert_that(linked["newest"], equal_to([]), label="newest")
    pipeline.run()
