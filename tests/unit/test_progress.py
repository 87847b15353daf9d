"""Progress lines: counts, the moving stage's rate, the printer's rhythm; and the quiet entry points."""
from __future__ import annotations

import io
import logging
import os
import time

from pipelines.progress import ProgressBoard, ProgressPrinter, progress_line
from pipelines.quiet import quiet_known_noise


def test_progress_line_names_counts_and_the_rate_of_the_furthest_moving_stage():
    counts = {"read": 3000, "stripped": 2950, "embedded": 410}
    assert progress_line(counts, 65.2, {"read": 3000, "stripped": 2900, "embedded": 290}, 5.0) == (
        "storybeam [01:05] articles read 3,000 \u00b7 stripped 2,950 \u00b7 embedded 410 \u00b7 clustered 0 "
        "\u00b7 embedding 24.0/s")
    assert progress_line(counts, 3725, counts, 5.0).endswith("clustered 0 \u00b7 working")
    assert progress_line(counts, 3725).startswith("storybeam [1:02:05] articles read 3,000")
    assert progress_line(counts, 3725).endswith("clustered 0")


def test_printer_prints_every_interval_then_the_totals_and_nothing_for_short_runs():
    board, stream = ProgressBoard(), io.StringIO()
    with ProgressPrinter(board, 0.05, stream) as printer:
        board.add("read", 7)
        time.sleep(0.18)
    lines = stream.getvalue().splitlines()
    assert len(lines) == printer.lines_printed >= 3
    assert lines[-1].endswith("read 7 \u00b7 stripped 0 \u00b7 embedded 0 \u00b7 clustered 0  (done)")
    quiet_stream = io.StringIO()
    with ProgressPrinter(ProgressBoard(), 60, quiet_stream):
        pass
    assert quiet_stream.getvalue() == ""


def test_known_noise_is_filtered_and_other_warnings_are_not(caplog):
    quiet_known_noise()
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"]
    root = logging.getLogger()
    kept = [f.filter(logging.LogRecord("root", logging.WARNING, "x", 1, msg, None, None)) for f in root.filters
            for msg in ("apitools not found, and bigquery client libraries are not available despite ...",
                        "something else went wrong")]
    assert kept.count(False) == 1 and kept.count(True) >= 1
