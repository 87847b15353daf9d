"""A story's features packed for the shuffle (transforms/packed_docs.py) unpack to the same features."""
from __future__ import annotations

import math
import pickle
from datetime import datetime, timezone

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.event_features import DocFeatures, EventDoc, doc_features, name_feature_ids
from transforms.event_engine import SparseVec
from transforms.packed_docs import pack_doc, pack_vectors, packed_hours, unpack_doc, unpack_vectors


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


def test_a_real_story_round_trips_in_under_half_the_pickled_size():
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
