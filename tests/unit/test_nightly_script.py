"""deploy/nightly/storybeam-nightly.sh with a stand-in for the storybeam command: the date it picks, the
options it passes, its lock and its exit status."""
from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "nightly" / "storybeam-nightly.sh"
pytestmark = pytest.mark.skipif(not (shutil.which("bash") and shutil.which("flock")), reason="needs bash and flock")


def nightly(tmp_path: Path, *args: str, exit_status: int = 0, **env: str) -> subprocess.CompletedProcess:
    stub = tmp_path / "storybeam"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/argv"\nexit {exit_status}\n')
    stub.chmod(0o755)
    environment = {**os.environ, "STORYBEAM_BIN": str(stub), "STORYBEAM_INPUT": "/news/{date}/*.jsonl",
                   "STORYBEAM_OUTPUT": str(tmp_path / "out"), "STORYBEAM_LOCK_FILE": str(tmp_path / "nightly.lock"),
                   "STORYBEAM_WORKERS": "2", "TZ": "UTC", **env}
    return subprocess.run([str(SCRIPT), *args], env=environment, capture_output=True, text=True, timeout=30)


def argv(tmp_path: Path) -> list[str]:
    return (tmp_path / "argv").read_text().splitlines()


def test_default_date_is_yesterday_and_the_job_uses_every_worker(tmp_path: Path) -> None:
    result = nightly(tmp_path)
    assert result.returncode == 0, result.stderr
    yesterday = (date.today() - timedelta(days=1)).isoformat()  # TZ=UTC on both sides
    assert argv(tmp_path) == ["run", "--input", f"/news/{yesterday}/*.jsonl", "--output", str(tmp_path / "out"),
                              "--date", yesterday, "--direct_running_mode=multi_processing",
                              "--direct_num_workers=2"]


def test_a_given_date_and_extra_options_pass_through(tmp_path: Path) -> None:
    result = nightly(tmp_path, "2026-03-18", STORYBEAM_WORKERS="1", STORYBEAM_EXTRA="--torch_threads 1")
    assert result.returncode == 0, result.stderr
    assert argv(tmp_path) == ["run", "--input", "/news/2026-03-18/*.jsonl", "--output", str(tmp_path / "out"),
                              "--date", "2026-03-18", "--torch_threads", "1"]


@pytest.mark.parametrize("bad", ["18/03/2026", "2026-02-30", "yesterday"])
def test_a_bad_date_is_refused(tmp_path: Path, bad: str) -> None:
    result = nightly(tmp_path, bad)
    assert result.returncode == 2 and "not a date" in result.stderr
    assert not (tmp_path / "argv").exists()


def test_the_job_status_is_the_script_status(tmp_path: Path) -> None:
    assert nightly(tmp_path, "2026-03-18", exit_status=1).returncode == 1


def test_never_overlaps_a_running_night(tmp_path: Path) -> None:
    lock = tmp_path / "nightly.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "30"])
    try:
        for _ in range(100):  # wait until the holder has it
            if subprocess.run(["flock", "--nonblock", str(lock), "true"]).returncode != 0:
                break
            subprocess.run(["sleep", "0.05"])
        result = nightly(tmp_path, "2026-03-18")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 75 and "another run holds" in result.stderr
    assert not (tmp_path / "argv").exists()
