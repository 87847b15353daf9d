"""Memory a local run frees goes back to the operating system.

The in-process runner holds each grouping step's whole input as Python objects and frees it once the
step has run. glibc's malloc keeps freed memory for reuse, and raises its mmap threshold each time a big
block is freed, so more and more blocks come from the heap, where a few live objects pin the rest: the
process's resident memory only grows. With fixed thresholds (what the ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` environment variables do at start-up) blocks of 128 KiB or more are mapped
and unmapped on their own and the heap's free top is trimmed; README Speed has the peak memory it saves.
A user who set either variable keeps their setting; elsewhere than glibc this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

THRESHOLD = 128 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def _mallopt():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # no C library by that name, or one without mallopt (musl)
        return None


def return_freed_memory() -> bool:
    """Fix glibc's malloc thresholds for this process (idempotent); True when they were set."""
    mallopt = _mallopt()
    if mallopt is None or any(v in os.environ for v in _USER_SETTINGS):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, THRESHOLD))
