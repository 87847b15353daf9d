"""Groupings split into shards by key: the same groups, in several grouping steps instead of one.

Beam's in-process runner runs a grouping step's whole input as one bundle: it holds the input as
decoded objects, encodes all of it into one buffer and hands that to the step, so while the step runs
its input is in memory about three times over (a one-off probe script: 620 MB of values grouped in one
step took the process to 2.5 GB; in four shards, 1.4 GB, the peak of the step that wrote them). With
``shards`` > 1, keys are spread over that many grouping steps by a stable hash, so each step holds its
share only. The groups are exactly those of one grouping (a key's values all go to one shard); on a
distributed runner the shards are parallel shuffles. ``shards=1`` is a plain GroupByKey. Used for the
clustering step's time blocks (``transforms/cluster_events.py``), its biggest grouping.
"""
from __future__ import annotations

import zlib
from typing import Any, Callable, Sequence

import apache_beam as beam


def shard_of(key: Any, shards: int) -> int:
    """A key's shard: the same on every worker and in every process (str, bytes or int keys)."""
    if isinstance(key, bool) or not isinstance(key, (str, bytes, int)):
        raise TypeError(f"sharded grouping needs str, bytes or int keys, got {type(key).__name__}")
    if isinstance(key, int):
        return key % shards
    return zlib.crc32(key.encode("utf-8") if isinstance(key, str) else key) % shards


class ShardedGroupByKey(beam.PTransform):
    """(key, value) → ``then`` applied to (key, values), as ``shards`` grouping steps.

    ``then``: makes the step that reads each shard's groups (called once per shard; it runs fused with
    that shard's grouping, so the groups are never gathered again). ``outputs``: the tags of ``then``'s
    outputs when it has several (a ParDo ``with_outputs``); the result is then {tag: PCollection}, each
    the flatten of that output over the shards.
    """

    def __init__(self, shards: int, then: Callable[[], beam.PTransform], outputs: Sequence[str] = ()) -> None:
        super().__init__()
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self._shards, self._then, self._outputs = shards, then, tuple(outputs)

    def expand(self, pairs: beam.PCollection) -> Any:
        parts = ([pairs] if self._shards == 1 else
                 list(pairs | "Shard" >> beam.Partition(lambda kv, n: shard_of(kv[0], n), self._shards)))
        done = [part | f"Group{i}" >> beam.GroupByKey() | f"Then{i}" >> self._then() for i, part in enumerate(parts)]
        if len(done) == 1:  # nothing to flatten (a flatten of one input would still cost the runner a buffer)
            return {tag: done[0][tag] for tag in self._outputs} if self._outputs else done[0]
        if self._outputs:
            return {tag: [d[tag] for d in done] | f"Flatten_{tag}" >> beam.Flatten() for tag in self._outputs}
        return done | "Shards" >> beam.Flatten()
