"""Tuning and reporting (held-out) parts of the labelled sets, fixed once and for all.

Every labelled set is cut in two deterministic halves. Thresholds, weights and phrase rules may be
chosen by looking at the **tuning** part only; the **held-out** part is only ever scored, so its
figures say how the settings carry over to pages they were not chosen on.

- Pages (Zyte pages, trafilatura snippet pages) by a salted hash of the page id;
- near-duplicate variants by the same hash of their ``label`` (the Zyte page they copy), so all copies
  of one page, and the page itself in the boilerplate set, fall on the same side;
- ECB+ by topic: odd topics tune, even topics are held out (each topic holds two look-alike events,
  which must stay together).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Literal

Part = Literal["tuning", "held_out"]
PARTS: tuple[Part, Part] = ("tuning", "held_out")
LABELS: dict[Part, str] = {"tuning": "tuning (in-sample)", "held_out": "held out"}
_SALT = "storybeam-split-v1:"


def part_of_key(key: str) -> Part:
    """The part of a page (or of all copies of one page) with this id: half the ids each way."""
    return "tuning" if hashlib.sha1((_SALT + key).encode("utf-8")).digest()[0] % 2 == 0 else "held_out"


def part_of_ecbplus_topic(topic: int | str) -> Part:
    return "tuning" if int(topic) % 2 == 1 else "held_out"


def split(records: Iterable[Mapping], key: str) -> dict[Part, list]:
    """``records`` in their parts by ``record[key]``, in input order."""
    parts: dict[Part, list] = {"tuning": [], "held_out": []}
    for record in records:
        parts[part_of_key(str(record[key]))].append(record)
    return parts


def split_ecbplus(records: Iterable[Mapping]) -> dict[Part, list]:
    parts: dict[Part, list] = {"tuning": [], "held_out": []}
    for record in records:
        parts[part_of_ecbplus_topic(record["topic"])].append(record)
    return parts
