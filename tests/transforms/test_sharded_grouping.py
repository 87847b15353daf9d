"""Groupings split into shards (transforms/sharded_grouping.py) give exactly the groups of one grouping."""
from __future__ import annotations

import json

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipelines import events, publish
from pipelines.events import grouping_shards_for
from tests.conftest import SAMPLE
from tests.fakes import FakeEmbeddingHandler
from tests.pipeline_runs import run_job
from transforms.sharded_grouping import ShardedGroupByKey, shard_of

PAIRS = [(f"k{i % 7}", i) for i in range(40)] + [(b"raw", 1), (12, 2), (-3, 3)]


def _sorted_groups(kv):
    return kv[0], sorted(kv[1])


def test_shards_are_stable_across_processes_and_types():
    # crc32 of the UTF-8 key, mod the shard count: the same in every worker and every Python process
    assert [shard_of(k, 5) for k in ("a", "évènement", b"a", 7, -3, 10)] == [2, 4, 2, 2, 2, 0]
    with pytest.raises(TypeError):
        shard_of(1.5, 3)
    with pytest.raises(TypeError):
        shard_of(("a", 1), 3)
    with pytest.raises(ValueError):
        ShardedGroupByKey(0, lambda: beam.Map(_sorted_groups))


@pytest.mark.parametrize("shards", [1, 4])
def test_sharded_group_by_key_gives_the_groups_of_one_grouping(pipeline, shards):
    expected = {}
    for k, v in PAIRS:
        expected.setdefault(k, []).append(v)
    with pipeline as p:
        pairs = p | beam.Create(PAIRS)
        grouped = pairs | "Plain" >> ShardedGroupByKey(shards, lambda: beam.Map(_sorted_groups))
        assert_that(grouped, equal_to([(k, sorted(v)) for k, v in expected.items()]))
        sizes = pairs | "Then" >> ShardedGroupByKey(shards, lambda: beam.MapTuple(lambda k, vs: (k, len(list(vs)))))
        assert_that(sizes, equal_to([(k, len(v)) for k, v in expected.items()]), label="then")


@pytest.mark.parametrize("shards", [1, 3])
def test_sharded_grouping_with_several_outputs(pipeline, shards):
    def split(kv):
        key, values = kv
        yield beam.pvalue.TaggedOutput("odd", (key, sorted(v for v in values if v % 2)))
        yield key, sorted(v for v in values if not v % 2)

    with pipeline as p:
        pairs = p | beam.Create([("a", 1), ("a", 2), ("b", 3), ("c", 4)])
        out = pairs | ShardedGroupByKey(shards, lambda: beam.FlatMap(split).with_outputs("odd", main="even"),
                                        outputs=("odd", "even"))
        assert_that(out["odd"], equal_to([("a", [1]), ("b", [3]), ("c", [])]), label="odd")
        assert_that(out["even"], equal_to([("a", [2]), ("b", []), ("c", [4])]), label="even")


def test_the_job_picks_one_shard_per_64_mb_of_input_up_to_8():
    mb = 2**20
    assert [grouping_shards_for(n) for n in (0, 2 * mb, 64 * mb, 64 * mb + 1, 275 * mb, 10_000 * mb)] == [
        1, 1, 1, 2, 5, 8]


def test_a_run_sizes_its_grouping_steps_by_the_inputs_it_matched(tmp_path, monkeypatch):
    # With 4 KB per step, the bundled sample needs several: the run resolves them from the matched files'
    # sizes and records what it used in its manifest; an explicit --grouping_shards is kept as given.
    monkeypatch.setattr(events, "SHARD_INPUT_BYTES", 4096)
    sample = SAMPLE / "articles.jsonl"
    expected = min(events.MAX_AUTO_SHARDS, -(-sample.stat().st_size // 4096))
    assert expected > 1
    for extra, shards in (([], expected), (["--grouping_shards", "3"], 3)):
        output = tmp_path / f"out{shards}"
        run_job([str(sample)], output, model_handler=FakeEmbeddingHandler(), extra=extra)
        manifest = json.loads((output / publish.MANIFEST).read_text())
        assert manifest["options"]["grouping_shards"] == shards
