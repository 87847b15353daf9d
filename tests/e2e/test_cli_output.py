"""What a user sees from `storybeam run`: progress lines on stderr, none of the old noise."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow


def test_run_prints_progress_and_no_noise(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(SAMPLE / "articles.jsonl"),
         "--output", str(tmp_path / "out"), "--progress_seconds", "1"],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    progress = [ln for ln in lines if ln.startswith("storybeam [")]
    assert progress and len(progress) == len(lines), done.stderr  # nothing but progress on stderr
    assert re.fullmatch(r"storybeam \[\d\d:\d\d\] articles read 23 \u00b7 stripped 23 \u00b7 embedded 21 "
                        r"\u00b7 clustered 21  \(done\)", progress[-1])
    assert "apitools" not in done.stderr and "Loading weights" not in done.stderr
    assert done.stdout.splitlines()[1] == "7 events (5 with more than one article), 2 near-duplicate copies"
