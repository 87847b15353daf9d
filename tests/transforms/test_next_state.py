"""NextState's copies rows on the in-process runner: the earlier rows within the copy window carried over
(event ids resolved through tonight's merges), tonight's anchors added, one row per anchor id (tonight's
when an id is both), tonight's copies adding none."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import DupInfo, EventMembership
from transforms.event_history import NextState
from transforms.event_state import EventMerge

DT = "2026-03-20"


def _earlier(article_id: str, event_id: str, dt: str) -> dict:
    return {"article_id": article_id, "dup_group_id": f"g-{article_id}", "event_id": event_id,
            "event_similarity": 0.5, "published_at": None, "shingles": [1, 2, 3], "dt": dt}


def _assert_copies(earlier: list[dict], tonight: dict[str, bool], merges: list[EventMerge], expected: list[tuple]
                   ) -> None:
    """The next state's copies rows, as (id, group, event, dt, shingles), are ``expected``."""
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        def create(label: str, values: list) -> beam.PCollection:
            return pipeline | label >> beam.Create(values, reshuffle=False)

        out = {
            "recent": create("Recent", []), "seen_tonight": create("SeenTonight", []),
            "seen_earlier": create("SeenEarlier", []),
            "dups": create("Dups", [(i, DupInfo(i, f"g-{i}-new", i if anchor else "x", 1.0, anchor))
                                    for i, anchor in tonight.items()]),
            "shingles": create("Shingles", [(i, [7, 8]) for i, anchor in tonight.items() if anchor]),
            "memberships": create("Memberships", [(i, EventMembership(i, "ev-new", 1.0))
                                                  for i, anchor in tonight.items() if anchor]),
            "copies_earlier": create("CopiesEarlier", earlier), "merges": create("Merges", merges),
        } | NextState(DT, repeat_window_days=30, copy_window_days=7)
        rows = out["copies"] | beam.Map(
            lambda r: (r["article_id"], r["dup_group_id"], r["event_id"], r["dt"], list(r["shingles"])))
        assert_that(rows, equal_to(expected))


def test_earlier_rows_are_carried_resolved_and_give_way_to_tonights_row_of_their_id():
    earlier = [_earlier("a", "ev-1", "2026-03-18"), _earlier("b", "ev-2", "2026-03-19"),
               _earlier("c", "ev-3", "2026-03-14"), _earlier("old", "ev-1", "2026-03-13")]
    tonight = {"c": True, "n": True, "copy": False}
    _assert_copies(earlier, tonight, [EventMerge("ev-2", "ev-9")], [
        ("a", "g-a", "ev-1", "2026-03-18", [1, 2, 3]),
        ("b", "g-b", "ev-9", "2026-03-19", [1, 2, 3]),  # its event merged into ev-9 tonight
        ("c", "g-c-new", "ev-new", DT, [7, 8]),  # back after the repeat window: tonight's row only
        ("n", "g-n-new", "ev-new", DT, [7, 8]),
    ])  # "old" left the 7-day window (it starts on 2026-03-14); "copy" is no anchor


def test_a_night_without_anchors_carries_every_earlier_row():
    earlier = [_earlier(f"e{i}", f"ev-{i}", "2026-03-19") for i in range(5)]
    _assert_copies(earlier, {"copy": False}, [],
                   [(f"e{i}", f"g-e{i}", f"ev-{i}", "2026-03-19", [1, 2, 3]) for i in range(5)])
