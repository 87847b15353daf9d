"""DetectNearDuplicates groups per connected component: the same groups as one global grouping call,
whatever the input order, the number of label rounds or the number of worker processes."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import Article, DupInfo
from transforms.detect_near_duplicates import DetectNearDuplicates, anchor_priority
from transforms.minhash import NearDupConfig, group_duplicates, shingles, verify_pair

CONFIG = NearDupConfig()
_RNG = random.Random(11)
_VOCABULARY = [f"w{i}" for i in range(5000)]
_STREAM = [_RNG.choice(_VOCABULARY) for _ in range(3000)]
_T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _corpus() -> list[Article]:
    articles = []
    # A chain: each text is a 100-word window moved on by 10 words. Neighbours are copies (Jaccard 0.81),
    # so are texts two steps apart (Jaccard 0.66, containment 0.79 >= 0.7), three steps apart are not: the
    # component is one of 9 texts and 15 pairs, 4 hops across.
    for i in range(9):
        articles.append(Article(f"chain{i}", "", clean_text=" ".join(_STREAM[i * 10 : i * 10 + 100]),
                                published_at=_T0 + timedelta(hours=(7 * i) % 5)))
    # A wire story and four light edits (a clique), one reprint later than the rest.
    wire = _STREAM[1000:1150]
    for i in range(5):
        words = list(wire)
        words[20 + i] = f"edit{i}"
        articles.append(Article(f"wire{i}", "", clean_text=" ".join(words),
                                published_at=_T0 + timedelta(days=1 if i == 3 else 0)))
    # Singletons, one without words.
    articles.append(Article("alone", "", clean_text=" ".join(_STREAM[2000:2200])))
    articles.append(Article("nowords", "", clean_text="-- !!"))
    return articles


def _expected(articles: list[Article]) -> list[tuple[str, DupInfo]]:
    """One global group_duplicates call over every verified pair: the definition."""
    shingle_sets = {a.article_id: shingles(a.clean_text, CONFIG.shingle_size) for a in articles}
    ids = sorted(shingle_sets)
    verified = [verify_pair(x, shingle_sets[x], y, shingle_sets[y], CONFIG)
                for i, x in enumerate(ids) for y in ids[i + 1 :]]
    priority = {a.article_id: anchor_priority(a) for a in articles}
    return [(x.article_id, DupInfo(x.article_id, x.dup_group_id, x.anchor_id, x.similarity_to_anchor, x.is_anchor))
            for x in group_duplicates(ids, verified, priority)]


def test_the_corpus_has_a_long_chain_and_a_clique():
    expected = dict(_expected(_corpus()))
    # The chain splits around anchors without chaining; the wire story is one group.
    assert {expected[f"wire{i}"].dup_group_id for i in range(5)} == {expected["wire0"].dup_group_id}
    assert len({expected[f"chain{i}"].dup_group_id for i in range(9)}) >= 3


# The chain's 15 pairs settle only after 3 rounds (labels start one hop out); the clique's 10 at once.
@pytest.mark.parametrize(("label_rounds", "unsettled_pairs"), [(0, 15), (1, 15), (2, 15), (3, 0), (8, 0)])
def test_grouping_per_component_equals_one_global_grouping(label_rounds, unsettled_pairs):
    articles = _corpus()
    expected = _expected(articles)
    shuffled = articles[:]
    random.Random(label_rounds).shuffle(shuffled)
    p = test_pipeline.TestPipeline(runner=FnApiRunner())
    out = p | beam.Create(shuffled, reshuffle=True) | DetectNearDuplicates(CONFIG, label_rounds=label_rounds)
    assert_that(out["dups"], equal_to(expected), label="dups")
    anchors = sorted(k for k, info in expected if info.is_anchor)
    assert_that(out["representatives"] | beam.Map(lambda a: a.article_id), equal_to(anchors),
                label="representatives")
    result = p.run()
    result.wait_until_finish()
    (counter,) = result.metrics().query(MetricsFilter().with_name("grouping:unsettled_pairs"))["counters"] or [None]
    assert (counter.committed if counter else 0) == unsettled_pairs


def test_grouping_on_two_worker_processes_equals_one_global_grouping():
    articles = _corpus()
    options = PipelineOptions(["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    with test_pipeline.TestPipeline(runner=FnApiRunner(), options=options) as p:
        out = p | beam.Create(articles, reshuffle=True) | DetectNearDuplicates(CONFIG, label_rounds=1)
        assert_that(out["dups"], equal_to(_expected(articles)), label="dups")
