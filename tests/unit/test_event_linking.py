"""Linking in pieces (transforms/event_linking.py) finds exactly the pairs a direct search over all
clusters finds, and agglomerating per component gives what agglomerating everything at once gives."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from transforms.event_config import EventClusteringConfig
from transforms.event_engine import SparseVec, Unit, _agglomerate, _gap, _required, merge_units
from transforms.event_linking import (
    UNDATED_WINDOW,
    WINDOW_HOURS,
    agglomerate_component,
    best_partners,
    candidate_pairs,
    far_edges,
    is_rare,
    link_units,
    probe_of,
    rarest_names,
    route,
    windows_of,
)

T0 = 490_000.0  # hours since the epoch (2025)
CONFIG = EventClusteringConfig(max_neighbours=3, rare_name_clusters=6, far_names=2)


def _units(seed: int, n: int = 120, undated: int = 0, earlier: int = 0) -> list[Unit]:
    """Random clusters on a few topics over five weeks, some spanning more than a window, with names
    from a small pool (some rare, some common)."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(8, 24))
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    out = []
    for k in range(n):
        size = int(rng.integers(1, 4))
        v = topics[rng.integers(len(topics))] + 0.1 * rng.normal(size=24)
        v *= 1.1 / np.linalg.norm(v)  # scaled up a little, as local scaling does to a story
        ids = np.unique(rng.integers(0, 40, size=5)).astype(np.int64)
        sparse = SparseVec(ids, rng.uniform(0.05, 0.2, size=len(ids)) * size)
        if k < undated:
            t_min = t_max = math.nan
        else:
            t_min = T0 + rng.uniform(0, 5 * 168)
            t_max = t_min + (rng.uniform(0, 400) if rng.random() < 0.1 else rng.uniform(0, 20))
        key = f"u{k:04d}"
        is_earlier = undated <= k < undated + earlier
        out.append(Unit(key=key, size=size, dense=v * size, sparse=sparse, raw_dense=v * size, raw_sparse=sparse,
                        t_min=t_min, t_max=t_max, founder=(t_min if math.isfinite(t_min) else math.inf, key),
                        names=Counter({f"name{j}": int(rng.integers(1, size + 1)) for j in rng.integers(0, 70, size=3)}),
                        event_id=key if is_earlier else None, members=[] if is_earlier else [key]))
    return out


def _mean_sim(a: Unit, b: Unit) -> float:
    return (float(a.dense @ b.dense) + a.sparse.dot(b.sparse)) / (a.size * b.size)


def _gap_of(a: Unit, b: Unit) -> float:
    return float(_gap(np.array([a.t_min, b.t_min]), np.array([a.t_max, b.t_max]), 0, 1))


def _direct_pairs(units: list[Unit], config: EventClusteringConfig) -> set[tuple[str, str]]:
    """The candidate graph by a direct search over every pair of clusters."""
    units = sorted(units, key=lambda u: u.key)
    near, pairs = config.near_days * 24, set()
    for i, a in enumerate(units):
        found = [(_mean_sim(a, b), b.key) for b in units[i + 1:]
                 if _gap_of(a, b) <= near and not (a.is_earlier_event and b.is_earlier_event)]
        found = [f for f in found if f[0] >= config.threshold]
        if len(found) > config.max_neighbours:
            kth = sorted((s for s, _ in found), reverse=True)[config.max_neighbours - 1]
            found = [f for f in found if f[0] >= kth]
        pairs.update((a.key, key) for _, key in found)
    holders = Counter(name for u in units for name in u.names)

    def rarest(u: Unit) -> set[str]:
        rare = sorted((-u.names[n], holders[n], n) for n in u.names if 2 <= holders[n] <= config.rare_name_clusters)
        return {n for _, _, n in rare[:config.far_names]}

    for i, a in enumerate(units):
        for b in units[i + 1:]:
            gap = _gap_of(a, b)
            if (rarest(a) & rarest(b) and near < gap <= config.max_time_gap_hours
                    and not (a.is_earlier_event and b.is_earlier_event)
                    and _mean_sim(a, b) >= float(_required(np.array(gap), config))):
                pairs.add((a.key, b.key))
    return pairs


@pytest.mark.parametrize("seed, undated, earlier", [(1, 0, 0), (2, 0, 20), (3, 6, 0), (4, 5, 15)])
def test_windows_and_names_find_exactly_the_pairs_of_a_direct_search(seed, undated, earlier):
    units = _units(seed, undated=undated, earlier=earlier)
    pairs = candidate_pairs(units, CONFIG)
    assert pairs == _direct_pairs(units, CONFIG)
    # The case is not trivial: near and far pairs, several windows, some cut to max_neighbours.
    near = {p for p in pairs if _gap_of(*(next(u for u in units if u.key == k) for k in p)) <= 72}
    assert len(near) > 20 and len(pairs) - len(near) > 5
    assert len({w for u in units for w in windows_of(u, CONFIG)}) >= 5


@pytest.mark.parametrize("seed, undated, earlier", [(1, 0, 0), (4, 5, 15), (5, 0, 30)])
def test_agglomerating_each_component_equals_agglomerating_everything_at_once(seed, undated, earlier):
    units = sorted(_units(seed, undated=undated, earlier=earlier), key=lambda u: u.key)
    pairs = sorted(candidate_pairs(units, CONFIG))
    index = {u.key: i for i, u in enumerate(units)}
    ends = (np.array([index[a] for a, _ in pairs]), np.array([index[b] for _, b in pairs]))
    at_once = sorted((merge_units([units[i] for i in g]) for g in _agglomerate(units, ends, CONFIG)),
                     key=lambda u: u.key)
    linked = link_units(list(reversed(units)), CONFIG)
    assert [(e.key, e.members, e.size, e.event_id, e.absorbed) for e in linked] == \
        [(e.key, e.members, e.size, e.event_id, e.absorbed) for e in at_once]
    assert all(np.array_equal(a.dense, b.dense) for a, b in zip(linked, at_once))
    assert len(linked) < len(units) and max(e.size for e in linked) > 4  # merges happened


def test_a_cluster_goes_to_every_window_its_widened_span_touches():
    start = 3000 * WINDOW_HOURS  # the start of window 3000
    unit = _units(1, n=1)[0]
    short = replace(unit, t_min=start + 40, t_max=start + 50)
    assert windows_of(short, CONFIG) == [3000]  # 36 hours either side (and a margin) stay inside
    early = replace(unit, t_min=start + 10, t_max=start + 200)
    assert windows_of(early, CONFIG) == [2999, 3000, 3001]  # starts 36 h before its start: the window before
    undated = replace(unit, t_min=math.nan, t_max=math.nan)
    assert windows_of(undated, CONFIG) == []
    assert route(undated, [7, 3, 5], CONFIG) == [3, 5, 7, UNDATED_WINDOW]
    assert route(short, [7, 3, 5], CONFIG) == [3000]


def test_a_far_pair_must_reach_what_its_gap_requires_not_just_the_threshold():
    config = EventClusteringConfig(names_weight=1.0)
    base = _units(1, n=1)[0]
    v = np.zeros(24)
    v[0] = 1.0
    gap = 30 * 24.0  # 30 days: requires 0.64 x (1 + 0.2 ln 31) = 1.08 of the mean similarity
    required = float(_required(np.array(gap), config))
    a = replace(base, key="a", size=1, dense=v, sparse=SparseVec.empty(), t_min=T0, t_max=T0,
                names=Counter({"Ortiz": 1}))

    def partner(similarity: float) -> Unit:
        w = np.zeros(24)
        w[0], w[1] = similarity, math.sqrt(max(0.0, 1 - similarity ** 2))
        return replace(a, key="b", dense=w, t_min=T0 + 24 + gap, t_max=T0 + 24 + gap)

    assert far_edges([a, partner(0.9)], config) == []  # above the threshold, below the requirement
    assert required > 1.0  # unit vectors can never reach it: the pair is never a candidate
    strong = replace(partner(1.0), dense=v * 1.2)  # a scaled-up match (local scaling does this)
    assert far_edges([a, strong], config) == [("a", "b")]


def test_a_far_pair_needs_a_name_rare_overall_and_among_the_surest_of_both():
    config = EventClusteringConfig(rare_name_clusters=3, far_names=2)
    base = _units(1, n=1)[0]
    v = np.zeros(24)
    v[0] = 1.5  # far above any requirement within a year

    def cluster(key: str, day: float, *names: str) -> Unit:
        return replace(base, key=key, size=1, dense=v, sparse=SparseVec.empty(), t_min=T0 + 24 * day,
                       t_max=T0 + 24 * day, names=Counter(dict.fromkeys(names, 1)), event_id=None)

    fillers = [cluster(f"f{i}", 100 + i, "Common", "Mid", "Mid2") for i in range(3)]
    a = cluster("a", 0, "Ortiz", "Common")
    b = cluster("b", 20, "Ortiz")
    assert candidate_pairs([a, b] + fillers, config) >= {("a", "b")}
    # "Common" (4 holders > 3) is not rare: it pairs no one far apart; the fillers are near each other.
    assert not {p for p in candidate_pairs([cluster("a", 0, "Common"), cluster("b", 20, "Common")] + fillers,
                                           config) if "a" in p}
    # "Ortiz" (3 holders) is rare but not among a's two rarest (X and Y, held by 2 each, come first);
    # it still pairs b and c, for whom it is.
    a = cluster("a", 0, "Ortiz", "X", "Y")
    pairs = candidate_pairs([a, b, cluster("c", 40, "Ortiz"), cluster("x", 50, "X"), cluster("y", 60, "Y")],
                            config)
    assert ("a", "b") not in pairs and ("a", "c") not in pairs
    assert {("b", "c"), ("a", "x"), ("a", "y")} <= pairs
    assert rarest_names([("Ortiz", 1, 3), ("Y", 1, 2), ("X", 1, 2)], config) == ["X", "Y"]
    # What more of its members name comes first, rare or not so rare.
    assert rarest_names([("Ortiz", 3, 3), ("Y", 1, 2), ("X", 2, 2)], config) == ["Ortiz", "X"]
    assert [is_rare(n, config) for n in (1, 2, 3, 4)] == [False, True, True, False]


def test_best_partners_cut_the_union_of_windows_as_one_list():
    config = EventClusteringConfig(max_neighbours=2)
    parts = [[(0.9, "b"), (0.7, "c")], [(0.8, "d"), (0.7, "e")], [(0.95, "f")]]
    assert best_partners(parts, config) == ["b", "f"]
    assert best_partners([[(0.9, "b")], [(0.9, "c"), (0.9, "d")]], config) == ["b", "c", "d"]  # ties kept
    assert best_partners([], config) == []


def test_a_component_of_one_is_its_unit_and_probes_drop_what_search_does_not_read():
    unit = _units(1, n=1)[0]
    assert agglomerate_component([unit], [], CONFIG) == [unit]
    probe = probe_of(unit)
    assert (probe.key, probe.size, probe.t_min, probe.t_max, probe.event_id) == \
        (unit.key, unit.size, unit.t_min, unit.t_max, unit.event_id)
    assert np.array_equal(probe.dense, unit.dense) and probe.raw_dense.size == 0
    assert (probe.members, probe.names, probe.absorbed) == ([], Counter(), [])


def test_duplicate_keys_are_refused():
    unit = _units(1, n=1)[0]
    with pytest.raises(ValueError, match="unique"):
        link_units([unit, unit], CONFIG)
