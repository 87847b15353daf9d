"""One run at a time per output folder: an exclusive lock on ``OUTPUT/_lock``.

Two runs into the same output would delete each other's staging folders and race to publish. For a local
output the job holds an ``flock`` on ``OUTPUT/_lock`` from before it cleans leftovers until it has
published; the kernel drops the lock when the process ends, however it ends, so a killed run never leaves
a stale lock behind. Object stores (``gs://``) have no such lock: there, one scheduler (Cloud Scheduler,
Composer) must own the output, and a Dataflow job name per date keeps two launches of one date apart.
"""
from __future__ import annotations

import fcntl
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipelines.options import ConfigError

LOCK = "_lock"


def is_local(output: str) -> bool:
    return "://" not in output or output.startswith("file://")


@contextmanager
def output_lock(output: str) -> Iterator[Path | None]:
    """Hold the output's lock for the ``with`` block; yields the lock file (None for remote outputs).

    Raises ConfigError at once, without waiting, when another run holds it.
    """
    if not is_local(output):
        yield None
        return
    path = Path(output.removeprefix("file://")) / LOCK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise ConfigError(f"cannot create the lock file {path}: {e}") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise ConfigError(
                f"another run holds the lock {path} ({holder}); wait for it to finish or stop it") from None
        # Who holds it, for the message above; the lock itself is the flock, not this text.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                      f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the only descriptor releases the flock
