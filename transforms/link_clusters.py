"""LinkClusters: the blocks' clusters (and earlier runs' events) → events, as Beam steps keyed by time
window, cluster, name and component (``transforms/event_linking.py`` is the same in one process).

No step gathers the clusters: the near pairs are found per time window, the far pairs per rare name,
and each connected component of the pairs is agglomerated on its own; clusters in no pair are events
by themselves. One step sees every pair's two keys (nothing else) to find the components; how many
clusters hold each rare name (a combine) and which component each paired cluster is in reach the
steps that need them as side inputs (a few dozen bytes per name or cluster).
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import apache_beam as beam

from transforms.event_config import EventClusteringConfig
from transforms.event_engine import Unit
from transforms.event_linking import (
    agglomerate_component,
    best_partners,
    far_edges,
    is_rare,
    near_candidates,
    probe_of,
    rarest_names,
    route,
    windows_of,
)
from transforms.minhash import component_roots
from transforms.packed_values import pack_unit, unpack_unit
from transforms.sharded_grouping import ShardedGroupByKey

_PROBE, _NAMED, _DATED, _NAMES, _T_MAX = "probes", "named", "dated", "names", "t_max"
_ALONE, _PAIRS = "alone", "pairs"


class _Describe(beam.DoFn):
    """A packed unit → (key, packed unit); tagged: its packed probe, (packed probe, its names and how
    many members name each) when it has names, its dated windows, (name, 1) per name, its last time when
    known."""

    def __init__(self, config: EventClusteringConfig) -> None:
        self._config = config

    def process(self, packed: bytes) -> Iterable[Any]:
        unit = unpack_unit(packed)
        yield unit.key, packed
        probe = pack_unit(probe_of(unit))
        yield beam.pvalue.TaggedOutput(_PROBE, probe)
        if unit.names:
            yield beam.pvalue.TaggedOutput(_NAMED, (probe, list(unit.names.items())))
        for window in windows_of(unit, self._config):
            yield beam.pvalue.TaggedOutput(_DATED, window)
        for name in unit.names:
            yield beam.pvalue.TaggedOutput(_NAMES, (name, 1))
        if math.isfinite(unit.t_max):
            yield beam.pvalue.TaggedOutput(_T_MAX, unit.t_max)


def _to_windows(probe: bytes, dated: list[int], config: EventClusteringConfig) -> Iterable[tuple[int, bytes]]:
    for window in route(unpack_unit(probe), dated, config):
        yield window, probe


def _near(element: tuple[int, Iterable[bytes]], config: EventClusteringConfig) -> Iterable[Any]:
    window, packed = element
    return near_candidates(window, [unpack_unit(p) for p in packed], config)


def _partners(element: tuple[str, Iterable[list]], config: EventClusteringConfig) -> Iterable[tuple[str, str]]:
    key, partials = element
    return [(key, partner) for partner in best_partners(partials, config)]


def _to_surest_names(named: tuple[bytes, list[tuple[str, int]]], holders: dict[str, int],
                     config: EventClusteringConfig) -> Iterable[tuple[str, bytes]]:
    probe, names = named
    rare = [(name, members, holders[name]) for name, members in names if name in holders]
    for name in rarest_names(rare, config):
        yield name, probe


def _far(element: tuple[str, Iterable[bytes]], config: EventClusteringConfig) -> list[tuple[str, str]]:
    _, probes = element
    return far_edges([unpack_unit(p) for p in probes], config)


def _components(pairs: list[tuple[str, str]]) -> Iterable[Any]:
    component = component_roots(pairs)
    for key, name in component.items():
        yield key, name
    for a, b in pairs:
        yield beam.pvalue.TaggedOutput(_PAIRS, (component[a], (a, b)))


def _to_components(keyed: tuple[str, bytes], component: dict[str, str]) -> Iterable[Any]:
    key, packed = keyed
    if key in component:
        yield component[key], packed
    else:
        yield beam.pvalue.TaggedOutput(_ALONE, packed)


def _agglomerate(element: tuple[str, dict], config: EventClusteringConfig) -> list[Unit]:
    _, joined = element
    return agglomerate_component([unpack_unit(p) for p in joined["units"]], joined["pairs"], config)


class LinkClusters(beam.PTransform):
    """Packed units (``pack_unit``: blocks' clusters, earlier events) → {events: Unit, newest: the latest
    time of any unit (one float; none when no unit has a time)}. The events are
    :func:`transforms.event_linking.link_units` of all the units, bit for bit. ``shards``: the clusters'
    copies grouped by name go through that many grouping steps (``transforms/sharded_grouping.py``)."""

    def __init__(self, config: EventClusteringConfig, shards: int = 1) -> None:
        super().__init__()
        self._config = config
        self._shards = shards

    def expand(self, units: beam.PCollection) -> dict[str, beam.PCollection]:
        config = self._config
        described = units | "Describe" >> beam.ParDo(_Describe(config)).with_outputs(
            _PROBE, _NAMED, _DATED, _NAMES, _T_MAX, main="units")
        dated = (described[_DATED]
                 | "DatedWindows" >> beam.Distinct()
                 | "AllDatedWindows" >> beam.combiners.ToList().without_defaults())
        near = (
            described[_PROBE]
            | "ToWindows" >> beam.FlatMap(_to_windows, beam.pvalue.AsSingleton(dated, default_value=[]), config)
            | "ByWindow" >> beam.GroupByKey()
            | "NearPairs" >> beam.FlatMap(_near, config)
            | "ByCluster" >> beam.GroupByKey()
            | "BestPartners" >> beam.FlatMap(_partners, config)
        )
        rare = (described[_NAMES]
                | "CountHolders" >> beam.CombinePerKey(sum)
                | "RareNames" >> beam.Filter(lambda kv: is_rare(kv[1], config)))
        far = (
            described[_NAMED]
            | "ToSurestNames" >> beam.FlatMap(_to_surest_names, beam.pvalue.AsDict(rare), config)
            # A cluster goes to up to far_names of these groupings: the biggest one, so in shards.
            | "ByName" >> ShardedGroupByKey(self._shards, lambda: beam.FlatMap(_far, config))
        )
        found = (
            (near, far)
            | "AllPairs" >> beam.Flatten()
            # Only the pairs' keys meet here (a few dozen bytes a pair), never the clusters.
            | "PairList" >> beam.combiners.ToList().without_defaults()
            | "Components" >> beam.FlatMap(_components).with_outputs(_PAIRS, main="component")
        )
        placed = described["units"] | "ToComponents" >> beam.FlatMap(
            _to_components, beam.pvalue.AsDict(found["component"])).with_outputs(_ALONE, main="placed")
        linked = (
            {"units": placed["placed"], "pairs": found[_PAIRS]}
            | "ByComponent" >> beam.CoGroupByKey()
            | "Agglomerate" >> beam.FlatMap(_agglomerate, config)
        )
        alone = placed[_ALONE] | "Alone" >> beam.Map(unpack_unit)
        newest = described[_T_MAX] | "Newest" >> beam.CombineGlobally(max).without_defaults()
        return {"events": (linked, alone) | "Events" >> beam.Flatten(), "newest": newest}
