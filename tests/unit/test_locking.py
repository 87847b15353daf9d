"""The output lock: one run at a time per local output folder."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.locking import LOCK, output_lock
from pipelines.options import ConfigError


def test_a_second_holder_is_refused_with_one_clear_message(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(str(out)) as lock:
        assert lock == out / LOCK
        with pytest.raises(ConfigError, match=r"another run holds the lock .*_lock \(pid \d+ on "):
            with output_lock(str(out)):
                pass
    with output_lock(str(out)):  # released when the block ends
        pass


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with output_lock(str(tmp_path)):
            raise RuntimeError("pipeline failed")
    with output_lock(str(tmp_path)):
        pass


def test_a_lock_held_by_another_process_is_seen_and_dies_with_it(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, sys.argv[2]); from pipelines.locking import output_lock\n"
         "with output_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
         str(tmp_path), str(Path(__file__).resolve().parents[2])],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match=f"pid {holder.pid} "):
            with output_lock(str(tmp_path)):
                pass
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 5
    while True:  # a killed holder leaves no stale lock
        try:
            with output_lock(str(tmp_path)):
                break
        except ConfigError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_remote_outputs_are_not_locked_here() -> None:
    with output_lock("gs://bucket/out") as lock:
        assert lock is None


def test_a_second_run_into_a_locked_output_stops_with_one_clear_error(tmp_path):
    from pipelines import events
    from pipelines.locking import output_lock
    from tests.fakes import FakeEmbeddingHandler

    sample = Path(__file__).resolve().parents[2] / "sample" / "articles.jsonl"
    out = tmp_path / "out"
    with output_lock(str(out)):
        with pytest.raises(ConfigError, match="another run holds the lock"):
            events.run(["--input", str(sample), "--output", str(out)], model_handler=FakeEmbeddingHandler())
    assert not (out / "_SUCCESS").exists()
