"""A Flex Template launch is never waited on: the job must verify and publish its own output."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import events
from tests.fakes import FakeEmbeddingHandler
from tests.pipeline_runs import read_tables

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[2] / "sample" / "articles.jsonl"


def test_template_launch_publishes_from_inside_the_pipeline(tmp_path):
    out = tmp_path / "out"
    summary = events.run(["--input", str(SAMPLE), "--output", str(out), "--template_location", str(tmp_path / "t")],
                         model_handler=FakeEmbeddingHandler())
    assert summary["submitted_as_template"] is True
    # The in-process runner runs the job to the end inside run(): its last step published.
    assert (out / "_SUCCESS").read_text().strip() == summary["run_id"]
    published = json.loads((out / "_summary.json").read_text())
    assert published["totals"] == {"records_read": 23, "articles": 23, "dead_letters": 0, "collapsed": 0}
    assert "counters" not in published
    assert len(read_tables(out)["articles"]) == 23
    assert not list((out / "_staging").glob("*"))
