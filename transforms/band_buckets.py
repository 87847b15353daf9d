"""LSH band keys packed for the shuffle: one element per (band shard, batch of articles), not per key.

Every article has one key per band, and almost every key is held by that article alone. Sent one by
one, each (key, article id) pair is a separate element that the runner holds as Python objects until
its grouping step runs: the in-process runner held one such pair per band per article (32 bands by
default), hundreds of bytes each. Packed, a batch's keys for one shard travel as three flat buffers (ids, id
ends, 16-byte digests), and buckets are found per shard by sorting the digests.

A shard is a band and one of ``SUB_SHARDS`` slices of its digest space, so the shard key plus the
digest is the whole bucket key: two articles share a bucket exactly when they share a shard and a
digest, as with ``minhash.band_keys``.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

import numpy as np

# Slices per band: the shards a band's buckets are spread over (Beam spreads shards over workers).
SUB_SHARDS = 8


class BandPack(NamedTuple):
    """Some articles' digests in one shard: ids as UTF-8 with end offsets, digests concatenated."""

    ids_utf8: bytes
    ends: np.ndarray  # int64, end offset of each id in ids_utf8
    digests: bytes  # 16 bytes per id, same order

    def ids(self) -> list[str]:
        starts = np.concatenate([[0], self.ends[:-1]])
        return [self.ids_utf8[s:e].decode("utf-8") for s, e in zip(starts.tolist(), self.ends.tolist())]


def shard_of(key: bytes) -> int:
    """The shard of a ``band_keys`` key (2-byte band index + 16-byte digest)."""
    return int.from_bytes(key[:2], "big") * SUB_SHARDS + key[2] % SUB_SHARDS


def pack_keys(keyed: Iterable[tuple[str, Sequence[bytes]]]) -> list[tuple[int, BandPack]]:
    """(article id, its band keys) of a batch → one (shard, BandPack) per shard that any key falls in."""
    by_shard: dict[int, tuple[list[bytes], list[bytes]]] = {}
    for article_id, keys in keyed:
        encoded = article_id.encode("utf-8")
        for key in keys:
            ids, digests = by_shard.setdefault(shard_of(key), ([], []))
            ids.append(encoded)
            digests.append(key[2:])
    out = []
    for shard in sorted(by_shard):
        ids, digests = by_shard[shard]
        ends = np.cumsum([len(i) for i in ids], dtype=np.int64)
        out.append((shard, BandPack(b"".join(ids), ends, b"".join(digests))))
    return out


def shard_buckets(packs: Iterable[BandPack]) -> Iterable[list[str]]:
    """The buckets of one shard with more than one member: the ids of each group of equal digests,
    in digest order (each bucket's ids as they came; callers sort)."""
    ids: list[str] = []
    digests = []
    for pack in packs:
        ids.extend(pack.ids())
        digests.append(np.frombuffer(pack.digests, dtype=">u8").reshape(-1, 2))
    if len(ids) < 2:
        return
    d = np.concatenate(digests)
    order = np.lexsort((d[:, 1], d[:, 0]))
    d = d[order]
    new_run = np.ones(len(d), dtype=bool)
    new_run[1:] = (d[1:] != d[:-1]).any(axis=1)
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(d))
    for s, e in zip(starts.tolist(), ends.tolist()):
        if e - s >= 2:
            yield [ids[k] for k in order[s:e].tolist()]
