"""What the clustering steps shuffle, packed (transforms/packed_values.py), unpacks to the same values."""
from __future__ import annotations

import dataclasses
import math
import pickle
from collections import Counter
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.event_features import DocFeatures, EventDoc, doc_features, name_feature_ids
from transforms.event_clustering import EventClusteringConfig
from transforms.event_engine import SparseVec, Unit, cluster_block
from transforms.event_linking import link_units
from transforms.packed_values import (
    pack_doc,
    pack_unit,
    pack_vectors,
    packed_hours,
    unpack_doc,
    unpack_unit,
    unpack_vectors,
)


def _fields(doc: DocFeatures) -> dict:
    return {
        "article_id": doc.article_id,
        "hours": "nan" if math.isnan(doc.hours) else doc.hours.hex(),
        "embedding": (doc.embedding.dtype.str, doc.embedding.tobytes()),
        "term_ids": (doc.term_ids.dtype.str, doc.term_ids.tolist()),
        "term_counts": (doc.term_counts.dtype.str, doc.term_counts.tolist()),
        "names": doc.names,
        "name_ids": (doc.name_ids.dtype.str, doc.name_ids.tolist()),
        "words": doc.words,
    }


def test_a_real_story_round_trips_in_a_known_size():
    doc = doc_features(EventDoc(
        article_id="wire-Ω-7",
        embedding=np.linspace(-1, 1, 384, dtype=np.float32),
        title="Fire at São Paulo depot",
        text="Firefighters in São Paulo fought a blaze at a fuel depot on Tuesday, officials said. "
             "Mayor Ricardo Nunes said 3 workers were hurt; 120 people were evacuated.",
        published_at=datetime(2026, 3, 4, 5, 6, tzinfo=timezone.utc),
    ))
    packed = pack_doc(doc)
    assert _fields(unpack_doc(pickle.loads(pickle.dumps(packed)))) == _fields(doc)
    assert packed_hours(packed) == doc.hours
    assert len(packed) < len(pickle.dumps(doc)) / 2 + 1_000
    # 12 (hours, words) + 1,544 (embedding) + 2 x 80 (18 term ids, counts) + 36 (7 name ids) + 40 (8 string
    # lengths) + 41 (the id's and names' UTF-8); pickled: 2,334 bytes
    assert (len(doc.term_ids), len(doc.names), len(packed)) == (18, 7, 1833)
    with pytest.raises(ValueError, match="do not fit"):
        pack_doc(dataclasses.replace(doc, term_ids=np.array([2**40], dtype=np.int64)))


_name = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    article_id=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    hours=st.one_of(st.just(math.nan), st.floats(-1e7, 1e7, allow_nan=False)),
    dim=st.integers(0, 16),
    terms=st.dictionaries(st.integers(0, 2**21 - 1), st.integers(1, 10_000), max_size=50),
    names=st.lists(_name, max_size=12, unique=True),
    words=st.integers(0, 10**6),
)
def test_any_features_round_trip(article_id, hours, dim, terms, names, words):
    ids = np.array(sorted(terms), dtype=np.int64)
    names = tuple(sorted(names))
    doc = DocFeatures(
        article_id=article_id, hours=hours,
        embedding=np.random.default_rng(dim).standard_normal(dim).astype(np.float32),
        term_ids=ids, term_counts=np.array([terms[i] for i in ids.tolist()], dtype=np.int32),
        names=names, name_ids=name_feature_ids(names), words=words,
    )
    back = unpack_doc(pack_doc(doc))
    assert _fields(back) == _fields(doc)
    back.embedding[:] = 0  # fresh arrays: the engine may write to them
    assert math.isnan(packed_hours(pack_doc(doc))) if math.isnan(hours) else packed_hours(pack_doc(doc)) == hours


@settings(max_examples=100, deadline=None)
@given(dim=st.integers(0, 400), sparse=st.dictionaries(st.integers(0, 2**21 - 1), st.floats(-2, 2, width=32), max_size=60))
def test_member_vectors_round_trip_in_float32(dim, sparse):
    ids = np.array(sorted(sparse), dtype=np.int32)
    vectors = (np.random.default_rng(dim).standard_normal(dim).astype(np.float32),
               SparseVec(ids, np.array([sparse[i] for i in ids.tolist()], dtype=np.float32)))
    dense, back = unpack_vectors(pickle.loads(pickle.dumps(pack_vectors(*vectors))))
    assert (dense.dtype.str, dense.tobytes()) == (vectors[0].dtype.str, vectors[0].tobytes())
    assert (back.ids.dtype.str, back.ids.tolist()) == (ids.dtype.str, ids.tolist())
    assert (back.values.dtype.str, back.values.tobytes()) == ("<f4", vectors[1].values.tobytes())


def _unit_fields(unit: Unit) -> dict:
    def arr(a: np.ndarray) -> tuple:
        return a.dtype.str, a.tobytes()
    return {
        "key": unit.key, "size": (type(unit.size), unit.size), "t": (unit.t_min, unit.t_max), "founder": unit.founder,
        "names": sorted(unit.names.items()), "event_id": unit.event_id, "members": unit.members,
        "absorbed": unit.absorbed,
        "vectors": [arr(a) for a in (unit.dense, unit.sparse.ids, unit.sparse.values,
                                     unit.raw_dense, unit.raw_sparse.ids, unit.raw_sparse.values)],
    }


def _story(i: int, hours: float) -> DocFeatures:
    text = f"Flood in Town{i % 3} as river Rhine{i % 2} rises; mayor Name{i % 4} orders {i % 5} evacuations."
    return doc_features(EventDoc(
        article_id=f"a{i:02d}", embedding=np.random.default_rng(i % 3).standard_normal(8).astype(np.float32),
        title=f"Flood {i % 3}", text=text,
        published_at=None if math.isnan(hours) else datetime.fromtimestamp(hours * 3600, timezone.utc)))


def test_clusters_and_earlier_events_round_trip_and_link_the_same():
    config = EventClusteringConfig()
    docs = [_story(i, math.nan if i == 5 else 490_000.0 + i) for i in range(12)]
    units = cluster_block(docs[:8], docs[8:], config).units + cluster_block(docs[8:], [], config).units
    earlier = Unit(key="evt-1", size=3, dense=np.ones(8, np.float32), sparse=SparseVec(np.array([3, 9], np.int32),
                   np.array([0.5, 0.25], np.float32)), raw_dense=np.ones(8, np.float32) * 2,
                   raw_sparse=SparseVec(np.array([3], np.int32), np.array([1.0], np.float32)), t_min=489_990.0,
                   t_max=489_999.5, founder=(489_990.0, "z9"), names=Counter({"rhine1": 2, "név": 1}),
                   event_id="evt-1", absorbed=["evt-0"])
    assert len(units) >= 3 and any(len(u.members) > 1 for u in units)
    for unit in units + [earlier]:
        assert _unit_fields(unpack_unit(pickle.loads(pickle.dumps(pack_unit(unit))))) == _unit_fields(unit)
    linked = link_units(units + [earlier], config)
    back = link_units([unpack_unit(pack_unit(u)) for u in units + [earlier]], config)
    assert [_unit_fields(e) for e in back] == [_unit_fields(e) for e in linked]
