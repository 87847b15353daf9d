"""Output is committed whole or not at all; configuration errors stop before any work; reruns agree.

- A configuration problem: exit code 2, one ``storybeam: error: ...`` line, no output or staging created.
- A staged run that fails verification (accounting, schema) raises PublishError; nothing is published.
- A job killed mid-run leaves the published output as it was; the next run removes its leftovers.
- The same input gives the same rows whatever the order, the sharding or the runner's parallelism.
- No file of an earlier run survives in the published tables.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.locking import LOCK
from pipelines import events, publish
from pipelines.config import job_config
from tests.conftest import REPO, SAMPLE
from tests.fakes import FakeEmbeddingHandler

FAKE = FakeEmbeddingHandler


def _run(inputs: list[str], output: Path, *extra: str) -> dict[str, Any]:
    argv = [a for i in inputs for a in ("--input", i)] + ["--output", str(output), *extra]
    return events.run(argv, model_handler=FAKE())


def _rows(output: Path, table: str, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    rows = publish.read_table(str(output / table), table).to_pylist()
    key = "article_id" if table == "articles" else "event_id" if table == "events" else "payload_excerpt"
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in rows), key=lambda r: str(r[key]))


def _tree(folder: Path) -> dict[str, bytes]:
    """Every published file and its bytes; the lock file only says who ran last, it is not output."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != LOCK}


# ------------------------------------------------------------------ configuration errors
def _config_error(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    code = events.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("storybeam: error: "), err
    return err


def test_missing_input_stops_before_any_work(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    err = _config_error(["--input", str(tmp_path / "nowhere" / "*.jsonl"), "--output", str(out)], capsys)
    assert "matched no files" in err
    assert not out.exists()


def test_glob_that_matches_nothing(tmp_path: Path, capsys) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("x")
    out = tmp_path / "out"
    err = _config_error(["--input", str(tmp_path / "in" / "*.jsonl"), "--output", str(out)], capsys)
    assert err == f"storybeam: error: input '{tmp_path}/in/*.jsonl' matched no files"
    assert not out.exists()


def test_no_input_at_all(tmp_path: Path, capsys) -> None:
    err = _config_error(["--output", str(tmp_path / "out")], capsys)
    assert err == "storybeam: error: no input: give at least one --input GLOB"
    assert not (tmp_path / "out").exists()


def test_unknown_option(tmp_path: Path, capsys) -> None:
    err = _config_error(["--input", str(SAMPLE / "articles.jsonl"), "--output", str(tmp_path / "out"),
                         "--dedup_treshold", "0.5"], capsys)
    assert err == "storybeam: error: unknown option(s): --dedup_treshold"
    assert not (tmp_path / "out").exists()


def test_unwritable_output(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    err = _config_error(["--input", str(SAMPLE / "articles.jsonl"), "--output", str(blocker / "out")], capsys)
    assert err.startswith(f"storybeam: error: cannot write to output '{blocker}/out'")
    assert blocker.read_text() == "not a folder"


def test_missing_model_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    err = _config_error(["--input", str(SAMPLE / "articles.jsonl"), "--output", str(out),
                         "--model", str(tmp_path / "no-model")], capsys)
    assert err == f"storybeam: error: model folder not found or not a sentence-transformers model: {tmp_path}/no-model"
    assert not out.exists()


# ------------------------------------------------------------------ verify before publish
@pytest.fixture(scope="module")
def staged_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample run into a staging folder, not published (build + run, as ``events.run`` does)."""
    root = tmp_path_factory.mktemp("staged")
    options = PipelineOptions(["--input", str(SAMPLE / "articles.jsonl"), "--output", str(root / "out")])
    pipeline = beam.Pipeline(runner=events._runner(options), options=options)
    events.build(pipeline, job_config(options), str(root / "staging"), FAKE())
    pipeline.run().wait_until_finish()
    return root / "staging"


def _doctored(staging: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "staging"
    shutil.copytree(staging, copy)
    return copy


def test_clean_staging_verifies(staged_sample: Path) -> None:
    staged = publish.verify_staged(str(staged_sample), None)
    assert staged.summary["accounting_ok"] is True
    assert staged.summary["totals"] == {"records_read": 23, "articles": 23, "dead_letters": 0, "collapsed": 0}


def test_a_lost_article_row_fails_the_accounting(staged_sample: Path, tmp_path: Path) -> None:
    staging = _doctored(staged_sample, tmp_path)
    (part,) = (staging / "articles").glob("*.parquet")
    table = pq.read_table(part)
    pq.write_table(table.slice(1), part)
    with pytest.raises(publish.PublishError, match="accounting mismatch") as e:
        publish.verify_staged(str(staging), None)
    assert "articles.jsonl" in str(e.value) and '"articles": 22' in str(e.value)


def test_a_miscounted_read_fails_the_accounting(staged_sample: Path, tmp_path: Path) -> None:
    staging = _doctored(staged_sample, tmp_path)
    (part,) = (staging / "_accounting").glob("*.jsonl")
    line = json.loads(part.read_text())
    part.write_text(json.dumps(dict(line, records_read=line["records_read"] + 1)) + "\n")
    with pytest.raises(publish.PublishError, match=r"accounting mismatch.*\"records_read\": 24"):
        publish.verify_staged(str(staging), None)


def test_a_dead_letter_nobody_read_fails_the_accounting(staged_sample: Path, tmp_path: Path) -> None:
    staging = _doctored(staged_sample, tmp_path)
    (part,) = (staging / "dead_letters").glob("*.parquet")
    table = pq.read_table(part)
    row = {"stage": "read", "article_id": "ghost", "input_file": "/nowhere/ghost.jsonl", "record_no": 1,
           "reason": "malformed_json", "error": "x", "payload_excerpt": "{"}
    pq.write_table(table.from_pylist([row], schema=table.schema), part)
    with pytest.raises(publish.PublishError, match="ghost.jsonl"):
        publish.verify_staged(str(staging), None)


def test_a_changed_schema_fails_verification(staged_sample: Path, tmp_path: Path) -> None:
    staging = _doctored(staged_sample, tmp_path)
    (part,) = (staging / "events").glob("*.parquet")
    pq.write_table(pq.read_table(part).drop_columns(["cohesion"]), part)
    with pytest.raises(publish.PublishError, match="schema differs"):
        publish.verify_staged(str(staging), None)


def test_a_failed_verification_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run([str(SAMPLE / "articles.jsonl")], out)
    before = _tree(out)
    real_verify = publish.verify_staged

    def lose_a_row(staging: str, partition: str | None) -> publish.StagedRun:
        (part,) = Path(staging, "articles").glob("*.parquet")
        pq.write_table(pq.read_table(part).slice(1), part)
        return real_verify(staging, partition)

    monkeypatch.setattr(publish, "verify_staged", lose_a_row)
    with pytest.raises(publish.PublishError):
        _run([str(SAMPLE / "articles.jsonl")], out)
    after = _tree(out)
    leftovers = [p for p in after if p.startswith(publish.STAGING + "/")]
    assert {k: v for k, v in after.items() if k not in leftovers} == before
    assert leftovers  # the failed run's staging stays until the next run cleans it up
    monkeypatch.setattr(publish, "verify_staged", real_verify)
    _run([str(SAMPLE / "articles.jsonl")], out)
    assert not [p for p in _tree(out) if p.startswith(publish.STAGING + "/")]


# ------------------------------------------------------------------ killed mid-run
@pytest.mark.slow
def test_a_killed_run_leaves_the_published_output_untouched(tmp_path: Path) -> None:
    """SIGKILL the real CLI (real model) once it has started writing its staging folder."""
    out = tmp_path / "out"
    _run([str(SAMPLE / "articles.jsonl")], out)
    before = _tree(out)
    success = (out / publish.SUCCESS).read_text()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    job = subprocess.Popen([sys.executable, "-m", "pipelines.events", "--input", str(SAMPLE / "articles.jsonl"),
                            "--output", str(out)], cwd=REPO, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging_root = out / publish.STAGING
    deadline = time.monotonic() + 120
    killed_run = None
    try:
        while time.monotonic() < deadline and job.poll() is None:
            runs = [p for p in staging_root.iterdir() if p.is_dir()] if staging_root.exists() else []
            if runs:
                (killed_run,) = runs
                break
            time.sleep(0.02)
        job.send_signal(signal.SIGKILL)
    finally:
        job.wait(timeout=30)
    assert job.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    assert killed_run is not None
    after = _tree(out)
    assert {k: v for k, v in after.items() if not k.startswith(publish.STAGING + "/")} == before
    assert (out / publish.SUCCESS).read_text() == success
    assert _rows(out, "articles") and len(_rows(out, "articles")) == 23  # still readable
    assert killed_run.exists()

    _run([str(SAMPLE / "articles.jsonl")], out)  # the next run removes what the killed one left
    assert not killed_run.exists()
    assert not [p for p in _tree(out) if p.startswith(publish.STAGING + "/")]


# ------------------------------------------------------------------ reruns agree
@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    _run([str(SAMPLE / "articles.jsonl")], out)
    return out


@pytest.mark.slow
def test_rerun_gives_the_same_rows(reference: Path, tmp_path: Path) -> None:
    _run([str(SAMPLE / "articles.jsonl")], tmp_path / "out")
    for table in ("articles", "events", "dead_letters"):
        assert _rows(tmp_path / "out", table) == _rows(reference, table), table


def _shuffled_shards(folder: Path, shards: int, seed: int) -> None:
    lines = (SAMPLE / "articles.jsonl").read_text().splitlines()
    random.Random(seed).shuffle(lines)
    folder.mkdir(parents=True)
    for i in range(shards):
        (folder / f"shard-{i}.jsonl").write_text("".join(line + "\n" for line in lines[i::shards]))


@pytest.mark.slow
def test_same_rows_whatever_the_order_and_sharding(reference: Path, tmp_path: Path) -> None:
    _shuffled_shards(tmp_path / "in", 3, seed=4)
    _run([str(tmp_path / "in" / "*.jsonl")], tmp_path / "out", "--output_shards", "2")
    for table in ("articles", "events"):
        assert _rows(tmp_path / "out", table, drop=("input_file",)) == _rows(reference, table, drop=("input_file",))


@pytest.mark.slow
def test_same_rows_with_two_worker_processes(reference: Path, tmp_path: Path, monkeypatch) -> None:
    # The SDK worker processes import the fake handler by name: put the repository on their path.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    _shuffled_shards(tmp_path / "in", 2, seed=9)
    _run([str(tmp_path / "in" / "*.jsonl")], tmp_path / "out",
         "--direct_running_mode=multi_processing", "--direct_num_workers=2")
    for table in ("articles", "events"):
        assert _rows(tmp_path / "out", table, drop=("input_file",)) == _rows(reference, table, drop=("input_file",))


# ------------------------------------------------------------------ nothing stale
@pytest.mark.slow
def test_no_stale_files_survive_a_smaller_rerun(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run([str(SAMPLE / "articles.jsonl")], out, "--output_shards", "3")
    assert sorted(p.name for p in (out / "articles").iterdir()) == [
        f"part-0000{i}-of-00003.parquet" for i in range(3)]
    fewer = tmp_path / "fewer"
    fewer.mkdir()
    (fewer / "some.jsonl").write_text("".join((SAMPLE / "articles.jsonl").read_text().splitlines(True)[:5]))
    summary = _run([str(fewer / "some.jsonl")], out)
    for table in ("articles", "events", "dead_letters"):
        assert sorted(p.name for p in (out / table).iterdir()) == ["part-00000-of-00001.parquet"], table
    assert len(_rows(out, "articles")) == 5 == summary["totals"]["articles"]
    assert sorted(p.name for p in out.iterdir() if p.name != publish.STAGING) == sorted(
        [publish.MANIFEST, publish.SUMMARY, publish.SUCCESS, LOCK, "articles", "events", "dead_letters",
             "event_merges"])
    assert not [p for p in (out / publish.STAGING).rglob("*")] if (out / publish.STAGING).exists() else True
    assert json.loads((out / publish.MANIFEST).read_text())["run_id"] == summary["run_id"]
    assert (out / publish.SUCCESS).read_text().strip() == summary["run_id"]
