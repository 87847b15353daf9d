"""Linking clusters (a run's blocks' and earlier runs' events) in pieces that each see a part of them.

:func:`link_units` is the engine's second step (``transforms/event_engine.py``): average link over a
graph of candidate pairs. Here it is cut into pieces that need no more than a part of the clusters, so
the Beam stage (``transforms/link_clusters.py``) runs each piece as a step keyed by time window, by
cluster, by name or by component, and this module runs the same pieces one after the other:

1. **Near pairs, per time window.** Two clusters are compared in full when their publish-time spans
   are within ``near_days`` of each other. Time is cut into windows of :data:`WINDOW_HOURS`; a
   cluster goes to every window its span, widened by half of ``near_days`` on each side, touches
   (:func:`windows_of`), so any near pair meets in some window, and is compared in exactly one: the
   window where the later-starting of the two starts (widened). A cluster with no known time is
   near every cluster: it goes to every window. :func:`near_candidates` gives, per cluster, its
   partners that reach the threshold, best ``max_neighbours`` (ties kept); :func:`best_partners`
   cuts the union of a cluster's windows to its best ``max_neighbours``, which is exactly the cut
   over all its partners at once (each window kept every partner at least as close as the overall
   cut).
2. **Far pairs, per name.** Clusters further apart than ``near_days`` (at most
   ``max_time_gap_hours``) are compared only when they share a name that is rare (held by at most
   ``rare_name_clusters`` clusters) and among the ``far_names`` names each is most sure of
   (:func:`rarest_names`: named by most of its members, then rarest), and are a pair only when their mean similarity reaches what their gap
   requires (``threshold x (1 + gap_penalty x ln(1 + days))``), not just the threshold
   (:func:`far_edges`, per name). Both bounds keep linking apart: with the threshold alone, pairs
   that could not merge on their own chained 63% of the clusters of 10,000 scaled-corpus articles
   into one component; with every rare name, each cluster went to 23 name groups on average. The
   labelled sets' figures move by less than 0.002 B³ F1 (README, Quality).
3. **Components.** Average link only ever merges two clusters joined by candidate pairs (a merged
   cluster's neighbours are its parts' neighbours), so each connected component of the candidate
   graph is agglomerated on its own and gives what agglomerating the whole graph gives: the same
   merges in the same order (ties break on the clusters' keys, whose order a component keeps).
   Finding them (``transforms.minhash.component_roots``, the union-find near-duplicate grouping uses)
   needs only the pairs' keys; a cluster in no pair is an event by itself.

The pieces compute every similarity from the same clusters in the same order whichever way they run,
so the Beam stage equals this module bit for bit.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from transforms.event_config import EventClusteringConfig
from transforms.event_engine import Unit, Vectors, _agglomerate, _compact, _gap, _required, merge_units
from transforms.minhash import component_roots

__all__ = [
    "UNDATED_WINDOW",
    "WINDOW_HOURS",
    "agglomerate_component",
    "best_partners",
    "candidate_pairs",
    "far_edges",
    "is_rare",
    "link_units",
    "near_candidates",
    "probe_of",
    "rarest_names",
    "route",
    "windows_of",
]

# A week: with near_days = 3 a cluster of one day goes to one or two windows.
WINDOW_HOURS = 7 * 24.0
# The window of pairs of clusters with no known time (no dated window is this far in the past).
UNDATED_WINDOW = -(2**62)
# A cluster's windows reach this many hours further than its widened span: a window too many is only
# a copy, one too few would lose a pair to rounding.
_MARGIN_HOURS = 1.0
_ROWS = 256  # rows of a window's similarity matrix taken at a time


def probe_of(unit: Unit) -> Unit:
    """The unit as candidate search reads it: summed scaled vectors, size, span, key and whether it is
    an earlier event; raw sums, members and names left out (they are what makes a unit big)."""
    return replace(unit, raw_dense=np.zeros(0, np.float32), raw_sparse=unit.raw_sparse.empty(),
                   names=type(unit.names)(), members=[], absorbed=[])


def _window_at(hours: float) -> int:
    return int(math.floor(hours / WINDOW_HOURS)) if math.isfinite(hours) else UNDATED_WINDOW


def _first_window(t_min: float, config: EventClusteringConfig) -> int:
    return _window_at(t_min - config.near_days * 12.0)


def windows_of(unit: Unit, config: EventClusteringConfig) -> list[int]:
    """The dated windows a dated unit goes to ([] for a unit with no known time: it goes to all)."""
    if not math.isfinite(unit.t_min):
        return []
    last = _window_at(unit.t_max + config.near_days * 12.0 + _MARGIN_HOURS)
    return list(range(_first_window(unit.t_min, config), last + 1))


def route(unit: Unit, dated_windows: Iterable[int], config: EventClusteringConfig) -> list[int]:
    """Every window ``unit`` goes to, given the windows the run's dated units go to."""
    if math.isfinite(unit.t_min):
        return windows_of(unit, config)
    return sorted(set(dated_windows)) + [UNDATED_WINDOW]


def _means(units: Sequence[Unit]) -> Vectors:
    size = np.array([u.size for u in units], dtype=np.float64)
    matrix, columns = _compact([(u.sparse.ids, u.sparse.values) for u in units])
    return Vectors(np.stack([u.dense for u in units]) / size[:, None],
                   sp.csr_matrix(sp.diags(1.0 / size) @ matrix), columns)


def _best(sims: np.ndarray, config: EventClusteringConfig) -> np.ndarray:
    """Which of ``sims`` (one cluster's partners) are kept: at least the threshold, and of those the best
    ``max_neighbours``, ties with the last one kept."""
    keep = sims >= config.threshold
    if keep.sum() > config.max_neighbours:
        keep &= sims >= -np.partition(-sims, config.max_neighbours - 1)[config.max_neighbours - 1]
    return keep


def _owned(starts: np.ndarray, window: int) -> np.ndarray:
    # The pair's window: where the later of its two widened spans starts (as _window_at computes it).
    if window == UNDATED_WINDOW:
        return np.isnan(starts)
    return np.floor(starts / WINDOW_HOURS) == window


def near_candidates(window: int, units: Sequence[Unit], config: EventClusteringConfig
                    ) -> list[tuple[str, list[tuple[float, str]]]]:
    """The near pairs a window owns: (key, [(similarity, partner key)]) for each unit with partners,
    partners later in key order that reach the threshold, best ``max_neighbours`` (ties kept).

    ``units``: every unit that :func:`route` sends to ``window``, in any order."""
    units = sorted(units, key=lambda u: u.key)
    n = len(units)
    if n < 2:
        return []
    mean = _means(units)
    t_min = np.array([u.t_min for u in units])
    t_max = np.array([u.t_max for u in units])
    earlier = np.array([u.is_earlier_event for u in units])
    starts = t_min - config.near_days * 12.0
    near = config.near_days * 24.0
    out = []
    for start in range(0, n - 1, _ROWS):
        rows = np.arange(start, min(start + _ROWS, n - 1))
        cols = np.arange(start + 1, n)
        sims = mean.rows(rows).dot(mean.rows(cols))
        owned = _owned(np.fmax(starts[rows][:, None], starts[cols][None, :]), window)
        gap = _gap(t_min, t_max, rows[:, None], cols[None, :])
        sims[(gap > near) | (rows[:, None] >= cols[None, :]) | ~owned
             | (earlier[rows][:, None] & earlier[cols][None, :])] = -np.inf
        for r, row in zip(rows.tolist(), sims):
            keep = np.nonzero(_best(row, config))[0]
            if len(keep):
                out.append((units[r].key, [(float(row[c]), units[cols[c]].key) for c in keep.tolist()]))
    return out


def best_partners(partials: Iterable[Sequence[tuple[float, str]]], config: EventClusteringConfig) -> list[str]:
    """A unit's partner keys from its windows' lists (:func:`near_candidates`): the best
    ``max_neighbours`` of them all, ties kept; sorted."""
    found = [p for part in partials for p in part]
    keep = _best(np.array([s for s, _ in found], dtype=np.float64), config)
    return sorted(key for (_, key), k in zip(found, keep.tolist()) if k)


def _far_pairs(t_min: np.ndarray, t_max: np.ndarray, earlier: np.ndarray, config: EventClusteringConfig
               ) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(len(t_min), 1)
    gap = _gap(t_min, t_max, i, j)
    keep = (gap > config.near_days * 24.0) & (gap <= config.max_time_gap_hours) & ~(earlier[i] & earlier[j])
    return i[keep], j[keep]


def is_rare(holders: int, config: EventClusteringConfig) -> bool:
    """Whether a name held by ``holders`` clusters can pair clusters far apart in time."""
    return 2 <= holders <= config.rare_name_clusters


def rarest_names(rare: Iterable[tuple[str, int, int]], config: EventClusteringConfig) -> list[str]:
    """The names that may pair a unit with units far away in time: of its rare names, given as (name,
    its members that name it, clusters that hold it), the ``far_names`` that most of its members name,
    then the rarest (then by name). What most members name is what the reports agree on (a victim, a
    town), not one report's stray capitalised word; rarest tells one event from its look-alikes."""
    ranked = sorted(rare, key=lambda r: (-r[1], r[2], r[0]))
    return [name for name, _, _ in ranked[:config.far_names]]


def _sparse_dot(a: Unit, b: Unit) -> float:
    _, i, j = np.intersect1d(a.sparse.ids, b.sparse.ids, assume_unique=True, return_indices=True)
    return float(a.sparse.values[i].astype(np.float64) @ b.sparse.values[j].astype(np.float64))


def far_edges(units: Sequence[Unit], config: EventClusteringConfig) -> list[tuple[str, str]]:
    """Pairs (smaller key, larger key) among the units that hold one name among their rarest, further
    apart than ``near_days`` (at most ``max_time_gap_hours``; never two earlier events), whose mean
    similarity reaches what their gap requires."""
    units = sorted(units, key=lambda u: u.key)
    if len(units) < 2:
        return []
    t_min = np.array([u.t_min for u in units])
    t_max = np.array([u.t_max for u in units])
    i, j = _far_pairs(t_min, t_max, np.array([u.is_earlier_event for u in units]), config)
    if not len(i):
        return []
    size = np.array([u.size for u in units], dtype=np.float64)
    dense = np.stack([u.dense for u in units]).astype(np.float64)
    sims = np.einsum("ij,ij->i", dense[i], dense[j]) + np.array(
        [_sparse_dot(units[a], units[b]) for a, b in zip(i.tolist(), j.tolist())])
    sims /= size[i] * size[j]
    keep = sims >= _required(_gap(t_min, t_max, i, j), config)
    return [(units[a].key, units[b].key) for a, b in zip(i[keep].tolist(), j[keep].tolist())]


def agglomerate_component(units: Sequence[Unit], edges: Iterable[tuple[str, str]],
                          config: EventClusteringConfig) -> list[Unit]:
    """The events of one component: average link over its units along its candidate pairs."""
    units = sorted(units, key=lambda u: u.key)
    index = {u.key: i for i, u in enumerate(units)}
    pairs = sorted({(min(index[a], index[b]), max(index[a], index[b])) for a, b in edges})
    ends = (np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=np.int64))
    return [merge_units([units[i] for i in group]) for group in _agglomerate(units, ends, config)]


def candidate_pairs(units: Sequence[Unit], config: EventClusteringConfig) -> set[tuple[str, str]]:
    """Every candidate pair (smaller key, larger key): the near pairs found window by window and cut per
    unit, and the far pairs found name by name."""
    dated = {w for u in units for w in windows_of(u, config)}
    by_window: dict[int, list[Unit]] = {}
    for u in units:
        for w in route(u, dated, config):
            by_window.setdefault(w, []).append(u)
    partials: dict[str, list[list[tuple[float, str]]]] = {}
    for window in sorted(by_window):
        for key, found in near_candidates(window, by_window[window], config):
            partials.setdefault(key, []).append(found)
    pairs = {(key, partner) for key, parts in partials.items() for partner in best_partners(parts, config)}
    holders = Counter(name for u in units for name in u.names)
    by_name: dict[str, list[Unit]] = {}
    for u in units:
        rare = [(n, u.names[n], holders[n]) for n in u.names if is_rare(holders[n], config)]
        for name in rarest_names(rare, config):
            by_name.setdefault(name, []).append(u)
    for name in sorted(by_name):
        pairs.update(far_edges(by_name[name], config))
    return pairs


def link_units(units: Sequence[Unit], config: EventClusteringConfig) -> list[Unit]:
    """Link clusters (of blocks, and events of earlier runs) by average link; returns the events.

    An event that holds earlier events keeps the id of the one founded first; the others are listed
    in its ``absorbed``. Output sorted by key; input order does not matter. The pieces above, one after
    the other.
    """
    units = sorted(units, key=lambda u: u.key)
    keys = [u.key for u in units]
    if len(set(keys)) != len(keys):
        raise ValueError("unit keys must be unique")
    pairs = candidate_pairs(units, config)
    component = component_roots(sorted(pairs))
    members: dict[str, list[Unit]] = {}
    for u in units:
        members.setdefault(component.get(u.key, u.key), []).append(u)
    pairs_of: dict[str, list[tuple[str, str]]] = {}
    for a, b in pairs:
        pairs_of.setdefault(component[a], []).append((a, b))
    events = [e for c in sorted(members) for e in agglomerate_component(members[c], pairs_of.get(c, []), config)]
    return sorted(events, key=lambda u: u.key)
