"""What travels per story between the clustering steps, packed into one bytes value: a story's
features (to the time-block grouping) and a member's vectors (to its similarity to its event).

Sent as a dataclass, a story's features (:class:`transforms.event_features.DocFeatures`) are a dozen
Python objects: four numpy arrays and a tuple of name strings. A grouping step of the in-process
runner holds every value it groups as decoded Python objects until the step runs; clustering by time
block groups every story twice (as a member of its block and as context of the next), and at 100,000
stories those objects, about 8 KB a story, were the run's peak (4.5 GB). Packed, a story is one bytes
value of about 3 KB: a fixed header, the article id, the arrays' raw bytes and the names with their
lengths. Unpacking gives back an equal DocFeatures (same dtypes; float values bit for bit).

A member's raw vectors (dense float32 and a float32 sparse vector, ``BlockResult.member_vectors``)
likewise travel as one value of about 2.9 KB instead of four objects of 5.3 KB.
"""
from __future__ import annotations

import struct

import numpy as np

from transforms.event_engine import SparseVec
from transforms.event_features import DocFeatures

# hours, words, then byte lengths / counts: article id, embedding values, terms, name ids, names
_HEADER = struct.Struct("<dqIIIII")


def pack_doc(doc: DocFeatures) -> bytes:
    """``doc`` as one bytes value (see :func:`unpack_doc`)."""
    article_id = doc.article_id.encode("utf-8")
    names = [n.encode("utf-8") for n in doc.names]
    embedding = np.ascontiguousarray(doc.embedding, dtype=np.float32)
    return b"".join([
        _HEADER.pack(doc.hours, doc.words, len(article_id), embedding.size, len(doc.term_ids),
                     len(doc.name_ids), len(names)),
        article_id,
        embedding.tobytes(),
        # feature ids are below 2**21 (event_features.HASH_BITS + 1 bits): int32 holds them exactly
        np.asarray(doc.term_ids, dtype=np.int32).tobytes(),
        np.asarray(doc.term_counts, dtype=np.int32).tobytes(),
        np.asarray(doc.name_ids, dtype=np.int32).tobytes(),
        np.array([len(n) for n in names], dtype=np.uint32).tobytes(),
        *names,
    ])


def unpack_doc(packed: bytes) -> DocFeatures:
    """The DocFeatures that :func:`pack_doc` packed (arrays are fresh, writable copies)."""
    hours, words, id_len, dim, terms, name_ids, names = _HEADER.unpack_from(packed)
    at = _HEADER.size

    def take(count: int, dtype: type) -> np.ndarray:
        nonlocal at
        out = np.frombuffer(packed, dtype=dtype, count=count, offset=at)
        at += out.nbytes
        return out

    article_id = packed[at:at + id_len].decode("utf-8")
    at += id_len
    embedding = take(dim, np.float32).copy()
    term_ids = take(terms, np.int32).astype(np.int64)
    term_counts = take(terms, np.int32).copy()
    name_id_values = take(name_ids, np.int32).astype(np.int64)
    name_list = []
    for length in take(names, np.uint32).tolist():
        name_list.append(packed[at:at + length].decode("utf-8"))
        at += length
    return DocFeatures(article_id=article_id, hours=hours, embedding=embedding, term_ids=term_ids,
                       term_counts=term_counts, names=tuple(name_list), name_ids=name_id_values, words=words)


def packed_hours(packed: bytes) -> float:
    """The story's publish time in hours since the epoch (NaN when unknown), read from the header only."""
    return _HEADER.unpack_from(packed)[0]


_VECTORS = struct.Struct("<II")  # dense length, sparse length


def pack_vectors(dense: np.ndarray, sparse: SparseVec) -> bytes:
    """A member's (dense, sparse) vectors as one bytes value, in float32 and int32 ids (see
    :func:`unpack_vectors`)."""
    return b"".join([
        _VECTORS.pack(dense.size, sparse.ids.size),
        np.asarray(dense, dtype=np.float32).tobytes(),
        np.asarray(sparse.ids, dtype=np.int32).tobytes(),
        np.asarray(sparse.values, dtype=np.float32).tobytes(),
    ])


def unpack_vectors(packed: bytes) -> tuple[np.ndarray, SparseVec]:
    """The vectors :func:`pack_vectors` packed: float32 values and int32 ids, read-only views of ``packed``."""
    dim, nnz = _VECTORS.unpack_from(packed)
    at = _VECTORS.size
    dense = np.frombuffer(packed, dtype=np.float32, count=dim, offset=at)
    at += dense.nbytes
    ids = np.frombuffer(packed, dtype=np.int32, count=nnz, offset=at)
    values = np.frombuffer(packed, dtype=np.float32, count=nnz, offset=at + ids.nbytes)
    return dense, SparseVec(ids, values)
