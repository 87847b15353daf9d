"""Progress of a running job on the in-process runner: how many articles each stage has passed, the rate and
the time elapsed, printed every few seconds.

The stages stay unaware of it: the job's wiring (``pipelines/events.py:build``) hangs a counting branch
off the collections it wants counted (:func:`count_into`); the branch adds to a process-wide
:class:`ProgressBoard` and outputs nothing. A :class:`ProgressPrinter` thread in the launching process
reads the board. This works where the pipeline runs in the launching process (Beam's in-process
``FnApiRunner``, also multi-threaded); elsewhere (multi-process workers, Dataflow) the job is built
without the branches and prints no progress — Dataflow has its own monitoring.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, Iterable, TextIO

import apache_beam as beam

STAGES = ("read", "stripped", "embedded", "clustered")


class ProgressBoard:
    """Thread-safe counts per stage, shared by every counting branch in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, stage: str, n: int = 1) -> None:
        with self._lock:
            self._counts[stage] = self._counts.get(stage, 0) + n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


BOARD = ProgressBoard()  # the process's board; counting branches find it by module, not by pickling


class _Count(beam.DoFn):
    def __init__(self, stage: str) -> None:
        self._stage = stage

    def process(self, element: Any) -> Iterable[Any]:
        BOARD.add(self._stage)
        return ()


def count_into(pcoll: beam.PCollection, stage: str) -> None:
    """Count ``pcoll``'s elements on the board under ``stage`` (a branch with no output)."""
    _ = pcoll | f"Progress:{stage}" >> beam.ParDo(_Count(stage))


def progress_line(counts: dict[str, int], elapsed: float, before: dict[str, int] | None = None,
                  seconds: float = 0.0) -> str:
    """``storybeam [01:05] articles read 3,000 · stripped 2,950 · embedded 410 · clustered 0 · embedding 24.0/s``:
    the counts so far and the rate of the furthest stage that moved since ``before`` (``seconds`` ago)."""
    minutes, secs = divmod(int(elapsed), 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    parts = [f"{stage} {counts.get(stage, 0):,}" for stage in STAGES]
    moving = [s for s in STAGES if before is not None and counts.get(s, 0) > before.get(s, 0)]
    if moving and before is not None and seconds > 0:
        stage = moving[-1]
        rate = (counts.get(stage, 0) - before.get(stage, 0)) / seconds
        parts.append(f"{_DOING[stage]} {rate:,.1f}/s")
    elif before is not None:
        parts.append("working")  # a step between counted ones (grouping, loading the model, clustering)
    return f"storybeam [{clock}] articles " + " \u00b7 ".join(parts)


_DOING = {"read": "reading", "stripped": "stripping", "embedded": "embedding", "clustered": "clustering"}


class ProgressPrinter:
    """Prints :func:`progress_line` every ``interval`` seconds while the job runs (nothing for runs shorter
    than one interval); used as a context manager around ``pipeline.run()``."""

    def __init__(self, board: ProgressBoard, interval: float, stream: TextIO | None = None) -> None:
        self._board, self._interval = board, interval
        self._stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = self._last_time = 0.0
        self._last: dict[str, int] = {}
        self.lines_printed = 0

    def _print(self, final: bool = False) -> None:
        now, counts = time.monotonic(), self._board.snapshot()
        line = progress_line(counts, now - self._started, None if final else self._last, now - self._last_time)
        self._stream.write(line + ("  (done)" if final else "") + "\n")
        self._stream.flush()
        self._last, self._last_time = counts, now
        self.lines_printed += 1

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._print()

    def __enter__(self) -> "ProgressPrinter":
        self._board.reset()
        self._started = self._last_time = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="storybeam-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lines_printed:
            self._print(final=True)  # the totals, once a run was long enough to report on
