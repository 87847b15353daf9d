"""Band keys packed per shard (transforms/band_buckets.py) give exactly the buckets of the plain keys."""
from __future__ import annotations

import pickle
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.band_buckets import SUB_SHARDS, pack_keys, shard_buckets, shard_of
from transforms.minhash import NearDupConfig, band_keys, signature

CONFIG = NearDupConfig()


def _keys(words: list[str]) -> list[bytes]:
    hashes = np.unique(np.array([hash(w) & (2**64 - 1) for w in words], dtype=np.uint64))
    return band_keys(signature(hashes, CONFIG), CONFIG)


def _plain_buckets(keyed: list[tuple[str, list[bytes]]]) -> set[tuple[str, ...]]:
    buckets: dict[bytes, list[str]] = defaultdict(list)
    for article_id, keys in keyed:
        for key in keys:
            buckets[key].append(article_id)
    return {tuple(sorted(ids)) for ids in buckets.values() if len(ids) > 1}


def _packed_buckets(batches: list[list[tuple[str, list[bytes]]]]) -> set[tuple[str, ...]]:
    by_shard = defaultdict(list)
    for batch in batches:
        for shard, pack in pack_keys(batch):
            by_shard[shard].append(pickle.loads(pickle.dumps(pack)))  # as it crosses a shuffle
    return {tuple(sorted(ids)) for packs in by_shard.values() for ids in shard_buckets(packs)}


def test_a_shard_is_a_band_and_a_slice_of_its_digests():
    key = (5).to_bytes(2, "big") + bytes([SUB_SHARDS * 3 + 2]) + bytes(15)
    assert shard_of(key) == 5 * SUB_SHARDS + 2


def test_ids_of_any_text_survive_the_pack():
    same = _keys(["a", "b"])
    packs = pack_keys([("ünïcode/ïd 1", same), ("", same), ("x" * 300, same)])
    assert len(packs) == CONFIG.bands  # one shard per band: every article has the same keys
    for _, pack in packs:
        assert pack.ids() == ["ünïcode/ïd 1", "", "x" * 300]
        assert len(pack.digests) == 16 * 3


def test_a_shard_with_one_member_has_no_bucket():
    assert list(shard_buckets([pack_keys([("only", _keys(["a", "b", "c"]))])[0][1]])) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=6), min_size=1, max_size=25),
       st.integers(1, 5))
def test_packed_buckets_equal_plain_buckets_however_batched(texts, n_batches):
    # Few distinct words, so many texts share bands: buckets of every size occur.
    keyed = [(f"doc{i:02d}", _keys(words)) for i, words in enumerate(texts)]
    batches = [keyed[k::n_batches] for k in range(n_batches)]
    assert _packed_buckets(batches) == _plain_buckets(keyed)
