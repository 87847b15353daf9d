"""What the clustering steps shuffle, packed into one bytes value each: a story's features (to the
time-block grouping), a block's cluster or an earlier event (to the linking step) and a member's vectors
(to its similarity to its event).

A grouping step of the in-process runner holds every value it groups as decoded Python objects until the
step runs, and combining into a list holds them again. As dataclasses these values are many objects each:
a story's features (:class:`transforms.event_features.DocFeatures`) four numpy arrays and a tuple of
name strings, about 8.3 KB decoded; a cluster (:class:`transforms.event_engine.Unit`) six arrays and a
Counter of names, about 14.6 KB; a member's vectors four objects, 5.3 KB. Clustering by time block
groups every story twice (as a member of its block and as context of the next), and at 100,000 stories
those objects were the run's peak (4.5 GB). Packed, they are one bytes value each of about 3.1, 7.6 and
2.9 KB. Unpacking gives back equal values: the same dtypes, floats bit for bit, strings in order (a
cluster's names come back in sorted order: a Counter's order carries no meaning there).
"""
from __future__ import annotations

import struct
from collections import Counter
from typing import Sequence

import numpy as np

from transforms.event_engine import SparseVec, Unit
from transforms.event_features import DocFeatures

_F64, _U32 = struct.Struct("<d"), struct.Struct("<I")


class _Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def number(self, value: float) -> None:
        self.parts.append(_F64.pack(value))

    def count(self, value: int) -> None:
        self.parts.append(_U32.pack(value))

    def array(self, values: np.ndarray, dtype: str | None = None) -> None:
        """An array in its own dtype, or cast to ``dtype`` (ValueError when that would change a value)."""
        cast = np.ascontiguousarray(values, dtype=dtype)
        if dtype is not None and not np.array_equal(cast, values):
            raise ValueError(f"values do not fit {dtype}")
        values = cast
        self.parts += [values.dtype.str.encode("ascii").ljust(4), _U32.pack(values.size), values.tobytes()]

    def strings(self, values: Sequence[str]) -> None:
        encoded = [v.encode("utf-8") for v in values]
        self.array(np.array([len(e) for e in encoded], dtype=np.uint32))
        self.parts += encoded

    def packed(self) -> bytes:
        return b"".join(self.parts)


class _Reader:
    def __init__(self, packed: bytes) -> None:
        self.packed, self.at = packed, 0

    def number(self) -> float:
        (value,) = _F64.unpack_from(self.packed, self.at)
        self.at += _F64.size
        return value

    def count(self) -> int:
        (value,) = _U32.unpack_from(self.packed, self.at)
        self.at += _U32.size
        return value

    def array(self, dtype: str | None = None) -> np.ndarray:
        """The next array as a fresh, writable copy (in ``dtype`` when given)."""
        stored = self.packed[self.at:self.at + 4].decode("ascii").strip()
        (size,) = _U32.unpack_from(self.packed, self.at + 4)
        values = np.frombuffer(self.packed, dtype=stored, count=size, offset=self.at + 8)
        self.at += 8 + values.nbytes
        return values.astype(dtype or values.dtype)  # astype copies

    def strings(self) -> list[str]:
        out = []
        for length in self.array().tolist():
            out.append(self.packed[self.at:self.at + length].decode("utf-8"))
            self.at += length
        return out


# Feature ids are below 2**21 (event_features.HASH_BITS + 1 bits): int32 holds them exactly.

def pack_doc(doc: DocFeatures) -> bytes:
    """A story's features as one bytes value (see :func:`unpack_doc`)."""
    w = _Writer()
    w.number(doc.hours)  # first: packed_hours reads it from there
    w.count(doc.words)
    w.strings([doc.article_id, *doc.names])
    w.array(doc.embedding)
    w.array(doc.term_ids, "<i4")
    w.array(doc.term_counts)
    w.array(doc.name_ids, "<i4")
    return w.packed()


def unpack_doc(packed: bytes) -> DocFeatures:
    """The DocFeatures that :func:`pack_doc` packed (ids back in int64, as features keep them)."""
    r = _Reader(packed)
    hours, words = r.number(), r.count()
    article_id, *names = r.strings()
    return DocFeatures(article_id=article_id, hours=hours, embedding=r.array(), term_ids=r.array("<i8"),
                       term_counts=r.array(), names=tuple(names), name_ids=r.array("<i8"), words=words)


def packed_hours(packed: bytes) -> float:
    """The story's publish time in hours since the epoch (NaN when unknown), read without unpacking."""
    return _F64.unpack_from(packed)[0]


def pack_vectors(dense: np.ndarray, sparse: SparseVec) -> bytes:
    """A member's (dense, sparse) vectors as one bytes value (see :func:`unpack_vectors`)."""
    w = _Writer()
    for values in (dense, sparse.ids, sparse.values):
        w.array(values)
    return w.packed()


def unpack_vectors(packed: bytes) -> tuple[np.ndarray, SparseVec]:
    r = _Reader(packed)
    dense = r.array()
    return dense, SparseVec(r.array(), r.array())


def pack_unit(unit: Unit) -> bytes:
    """A cluster or an earlier event as one bytes value (see :func:`unpack_unit`)."""
    w = _Writer()
    for value in (unit.size, unit.t_min, unit.t_max, unit.founder[0]):
        w.number(value)
    names = sorted(unit.names)  # a Counter's order is its insertion order: sorted, it packs the same
    for strings in ([unit.key, unit.founder[1], unit.event_id or ""], unit.members, unit.absorbed, names):
        w.strings(strings)
    w.count(unit.event_id is not None)
    w.array(np.array([unit.names[n] for n in names], dtype=np.int64))
    for values in (unit.dense, unit.sparse.ids, unit.sparse.values,
                   unit.raw_dense, unit.raw_sparse.ids, unit.raw_sparse.values):
        w.array(values)
    return w.packed()


def unpack_unit(packed: bytes) -> Unit:
    r = _Reader(packed)
    size, t_min, t_max, founder_hours = (r.number() for _ in range(4))
    key, founder_id, event_id = r.strings()
    members, absorbed, names = r.strings(), r.strings(), r.strings()
    has_event_id = bool(r.count())
    counts = r.array().tolist()
    dense, sparse = r.array(), SparseVec(r.array(), r.array())
    raw_dense, raw_sparse = r.array(), SparseVec(r.array(), r.array())
    return Unit(key=key, size=int(size), dense=dense, sparse=sparse, raw_dense=raw_dense, raw_sparse=raw_sparse,
                t_min=t_min, t_max=t_max, founder=(founder_hours, founder_id), names=Counter(dict(zip(names, counts))),
                event_id=event_id if has_event_id else None, members=members, absorbed=absorbed)
