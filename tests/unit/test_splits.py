"""evaluation/splits.py: fixed, deterministic halves of the labelled sets."""
from __future__ import annotations

from evaluation.splits import part_of_ecbplus_topic, part_of_key, split, split_ecbplus


def test_a_key_always_falls_on_the_same_side():
    # Known answers: the split must never move (the held-out figures would silently become in-sample).
    assert [part_of_key(k) for k in ("a", "b", "c", "d", "page-1", "page-2")] == [
        "tuning", "held_out", "held_out", "held_out", "held_out", "tuning"]
    assert part_of_key("042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856") == "tuning"
    assert part_of_key("https://lemire.me/blog/2019/08/") == part_of_key("https://lemire.me/blog/2019/08/")


def test_about_half_of_many_keys_each_way():
    parts = [part_of_key(f"page-{i}") for i in range(2000)]
    assert 900 <= parts.count("tuning") <= 1100


def test_copies_follow_their_page_and_ecbplus_splits_by_topic():
    rows = [{"id": f"{page}:{system}", "label": page} for page in ("p1", "p2", "p3") for system in ("a", "b")]
    parts = split(rows, "label")
    for part, members in parts.items():
        assert all(part_of_key(r["label"]) == part for r in members)
    assert sum(len(m) for m in parts.values()) == 6
    ecb = split_ecbplus([{"id": "1_1ecb", "topic": 1}, {"id": "2_1ecb", "topic": "2"}])
    assert ([r["id"] for r in ecb["tuning"]], [r["id"] for r in ecb["held_out"]]) == (["1_1ecb"], ["2_1ecb"])
    assert (part_of_ecbplus_topic(35), part_of_ecbplus_topic(34)) == ("tuning", "held_out")
