"""pipelines/process_memory.py: after it, big blocks are mapped on their own (and so given back when freed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHILD = """
import ctypes, json, sys
from pipelines.process_memory import return_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
was_set = return_freed_memory() if sys.argv[1] == "set" else None
before = libc.mallinfo2().hblks
first = bytearray(1 << 20)  # freeing a mapped 1 MiB block raises glibc's default threshold to 1 MiB
del first
held = [bytearray(300 * 1024) for _ in range(20)]
print(json.dumps({"was_set": was_set, "mapped": libc.mallinfo2().hblks - before}))
"""


def _child(mode: str, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], cwd=REPO, check=True, capture_output=True,
                         text=True, env={**os.environ, **env}).stdout
    return json.loads(out)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_after_it_blocks_of_128_kib_and_more_are_mapped_on_their_own():
    assert _child("default") == {"was_set": None, "mapped": 0}  # glibc's default: from the heap
    assert _child("set") == {"was_set": True, "mapped": 20}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_users_own_setting_is_kept():
    assert _child("set", MALLOC_MMAP_THRESHOLD_="4194304")["was_set"] is False
