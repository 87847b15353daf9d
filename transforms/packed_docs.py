"""A story's features packed into one bytes value, for the steps that shuffle stories.

Sent as a dataclass, a story's features (:class:`transforms.event_features.DocFeatures`) are a dozen
Python objects: four numpy arrays and a tuple of name strings. A grouping step of the in-process
runner holds every value it groups as decoded Python objects until the step runs; clustering by time
block groups every story twice (as a member of its block and as context of the next), and at 100,000
stories those objects, about 8 KB a story, were the run's peak (4.5 GB). Packed, a story is one bytes
value of about 3 KB: a fixed header, the article id, the arrays' raw bytes and the names with their
lengths. Unpacking gives back an equal DocFeatures (same dtypes; float values bit for bit).
"""
from __future__ import annotations

import struct

import numpy as np

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
