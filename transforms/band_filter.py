"""A Bloom filter of LSH bucket keys: may an earlier anchor's key meet one of tonight's?

``MatchEarlierCopies`` groups tonight's anchors' bucket keys with the earlier anchors' to find candidate
pairs. A quiet night over a big copies state has a few hundred keys of its own against 32 per earlier anchor
(320,000 for 10,000 anchors): nearly all of those meet no key of tonight's and only cost the grouping. The
filter is built from tonight's keys by a combine (each worker ORs its own bits in, the merge ORs the
workers' arrays: nothing gathers the keys), reaches the earlier anchors as a side input of a fixed
2 MiB, and drops their keys that are certainly not tonight's. A Bloom filter has no false negatives: every
key that meets one of tonight's passes, so the buckets that can pair anything are exactly as they were; a
false positive only passes a key that pairs nothing.

Positions: a bucket key is a 2-byte band index and a 16-byte xxh3-128 digest (``minhash.band_keys``); the
digest's four 32-bit words, each mixed with the band index, are the key's ``HASHES`` bit positions.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import apache_beam as beam
import numpy as np

# 2 MiB. A night of 10,000 anchors (320,000 keys) sets 7.3% of the bits: another key passes with p ~ 3e-5.
BITS = 1 << 24
HASHES = 4
_KEY = np.dtype([("band", ">u2"), ("words", "<u4", (HASHES,))])
_MIX = np.uint32(0x9E3779B1)


def _positions(keys: Sequence[bytes]) -> np.ndarray:
    """The bit positions of each key, shape (len(keys), HASHES)."""
    parsed = np.frombuffer(b"".join(keys), dtype=_KEY)
    if len(parsed) != len(keys):
        raise ValueError("bucket keys are 18 bytes: a 2-byte band index and a 16-byte digest")
    mixed = parsed["words"] ^ (parsed["band"].astype(np.uint32) * _MIX)[:, None]
    return mixed & np.uint32(BITS - 1)


def empty() -> np.ndarray:
    return np.zeros(BITS // 8, dtype=np.uint8)


def add(bits: np.ndarray, keys: Sequence[bytes]) -> np.ndarray:
    """``bits`` with ``keys`` set (changed in place)."""
    if keys:
        positions = _positions(keys).ravel()
        np.bitwise_or.at(bits, positions >> 3, (1 << (positions & 7)).astype(np.uint8))
    return bits


def may_contain(bits: np.ndarray, keys: Sequence[bytes]) -> np.ndarray:
    """Per key: False when it is certainly not in the filter."""
    if not keys:
        return np.zeros(0, dtype=bool)
    positions = _positions(keys)
    return ((bits[positions >> 3] >> (positions & 7).astype(np.uint8)) & 1).all(axis=1)


class BandFilter(beam.CombineFn):
    """Lists of bucket keys (one list per anchor) → the filter of all of them (``may_contain``)."""

    def create_accumulator(self) -> np.ndarray:
        return empty()

    def add_input(self, bits: np.ndarray, keys: Sequence[bytes]) -> np.ndarray:
        return add(bits, keys)

    def merge_accumulators(self, accumulators: Iterable[np.ndarray]) -> np.ndarray:
        merged = None
        for bits in accumulators:
            merged = bits.copy() if merged is None else np.bitwise_or(merged, bits, out=merged)
        return empty() if merged is None else merged

    def extract_output(self, bits: np.ndarray) -> np.ndarray:
        return bits


__all__ = ["BITS", "HASHES", "BandFilter", "add", "empty", "may_contain"]
