"""Runs that remember, on real data with the real model: two nightly runs continue each other as one run
over both nights would decide.

Night 1 and night 2 are two consecutive weeks of GVA dev (the two weeks with the most incidents reported
in both: follow-ups of night-1 shootings arrive on night 2) plus extractor variants of Zyte pages (night 1:
one extractor's text of each page, night 2: another extractor's text of the same pages — a next-day reprint
with different leftovers and edits). The same records go through one run over both nights. Measured
2026-12-05 at the default embedding; the exact counts are pinned."""
from __future__ import annotations

import json

from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from evaluation.labelled_data import read_jsonl
from evaluation.metrics import clustering_report
from evaluation.mixed_feed import weeks_with_most_follow_ups, zyte_variants
from tests.golden_policy import require_shared

pytestmark = pytest.mark.golden

REFERENCE = ["--reference_time", "2030-01-01T00:00:00+00:00", "--progress_seconds", "0"]
NIGHTS = ("2017-01-09", "2017-01-10")
ZYTE_PAGES = 30


def _gva_weeks() -> tuple[list[dict], list[dict]]:
    return weeks_with_most_follow_ups(read_jsonl(require_shared("eval/events/gva_shootings_dev.jsonl")))


def _zyte_nights() -> tuple[list[dict], list[dict]]:
    """Per page (the first ZYTE_PAGES by id): the variant of the first extractor by name on night 1, of the
    second on night 2, published at noon of its night (the pages carry no date; undated, the one-shot run
    would put them in a block of their own while nightly runs place them at partition noon)."""
    night1, night2 = [], []
    for variants in list(zyte_variants(require_shared("eval")).values())[:ZYTE_PAGES]:
        if len(variants) >= 2:
            night1.append(dict(variants[0], published_at=f"{NIGHTS[0]}T12:00:00+00:00"))
            night2.append(dict(variants[1], published_at=f"{NIGHTS[1]}T12:00:00+00:00"))
    return night1, night2


def _run(inputs: list[str], output: Path, extra: list[str]) -> dict[str, list[dict]]:
    from pipelines import events

    events.run([a for i in inputs for a in ("--input", i)] + ["--output", str(output), *REFERENCE, *extra])
    return {t: ds.dataset(str(output / t), format="parquet", partitioning="hive").to_table().to_pylist()
            for t in ("articles", "events")}


def _record(r: dict) -> dict:
    out = {"id": str(r["id"]), "text": r["text"]}
    for key in ("title", "published_at"):
        if r.get(key):
            out[key] = r[key]
    return out


def _write(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(_record(r)) + "\n" for r in records))
    return str(path)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("incremental_golden")
    (g1, g2), (z1, z2) = _gva_weeks(), _zyte_nights()
    inputs = [_write(tmp / "night1.jsonl", g1 + z1), _write(tmp / "night2.jsonl", g2 + z2)]
    for night, path in zip(NIGHTS, inputs):
        nightly = _run([path], tmp / "nightly", ["--date", night])
    return {"gva": (g1, g2), "zyte": (z1, z2), "nightly": nightly, "one_shot": _run(inputs, tmp / "one_shot", [])}


def _articles(tables: dict) -> dict[str, dict]:
    return {a["article_id"]: a for a in tables["articles"]}


def test_the_weeks_picked_have_follow_ups_on_the_second_night(runs):
    g1, g2 = runs["gva"]
    assert (len(g1), len(g2)) == (18, 59)
    assert len({r["label"] for r in g1} & {r["label"] for r in g2}) == 8


def test_next_night_reprints_are_copies_of_the_first_nights_articles(runs):
    nightly, one_shot = _articles(runs["nightly"]), _articles(runs["one_shot"])
    z1, z2 = runs["zyte"]
    first = {r["label"]: r["id"] for r in z1}
    copies = [nightly[r["id"]] for r in z2 if nightly[r["id"]]["dup_anchor_id"] == first[r["label"]]]
    print(f"\nreprints that are copies of night 1: {len(copies)} of {len(z2)}")
    assert len(copies) == 29
    for a in copies:
        anchor = nightly[a["dup_anchor_id"]]
        assert a["is_duplicate"] and a["dt"] == NIGHTS[1] and anchor["dt"] == NIGHTS[0]
        assert (a["dup_group_id"], a["event_id"]) == (anchor["dup_group_id"], anchor["event_id"])
    # The copy groups over both nights are those of one run over both.
    ids = [r["id"] for r in z1 + z2]
    assert {i: (nightly[i]["dup_group_id"], nightly[i]["is_duplicate"]) for i in ids} == \
        {i: (one_shot[i]["dup_group_id"], one_shot[i]["is_duplicate"]) for i in ids}


def test_next_night_reports_of_earlier_shootings_carry_their_event_ids(runs):
    nightly = _articles(runs["nightly"])
    g1, g2 = runs["gva"]
    night1_events = {r["label"]: nightly[r["id"]]["event_id"] for r in g1}
    follow_ups = [r for r in g2 if r["label"] in night1_events]
    continued = [r for r in follow_ups if nightly[r["id"]]["event_id"] == night1_events[r["label"]]]
    one_shot = _articles(runs["one_shot"])
    same_in_one_run = [r for r in follow_ups if one_shot[r["id"]]["event_id"] ==
                       one_shot[next(x["id"] for x in g1 if x["label"] == r["label"])]["event_id"]]
    print(f"\nfollow-ups {len(follow_ups)}, continued {len(continued)}, in one run {len(same_in_one_run)}")
    # Measured at the default embedding (int8, 7-bit weights): 7 of the 9 continued, 8 in one run. These two
    # counts hang on one or two similarities near the threshold: with 8-bit weights they were 8 and 9 on a
    # CPU with VNNI and 9 and 9 on an AVX2 one (transforms/onnx_embedding.py), so they are floors.
    assert len(follow_ups) == 9
    assert len(continued) >= 7 and len(same_in_one_run) >= 8


def _scores(runs) -> tuple[float, float]:
    g1, g2 = runs["gva"]
    gold = {r["id"]: r["label"] for r in g1 + g2}
    nightly, one_shot = _articles(runs["nightly"]), _articles(runs["one_shot"])
    return (clustering_report({i: nightly[i]["event_id"] for i in gold}, gold)["b3_f1"],
            clustering_report({i: one_shot[i]["event_id"] for i in gold}, gold)["b3_f1"])


def test_event_quality_of_the_two_nights(runs):
    """Measured 0.930 (two nights) and 0.965 (one run) at the default embedding (int8 with 7-bit weights, 128
    tokens; with 8-bit weights 0.950 on a CPU with VNNI and 0.937 on an AVX2 one, one run 0.965 on both; with
    torch-256 0.938 and 0.965): the nights lose up to 0.035 on 77 articles, night-2 clusters linked to a
    night-1 event of another shooting (the whole set replayed week by week stays within 0.004 of one run:
    README, Quality)."""
    nightly, one_shot = _scores(runs)
    print(f"\nB3 F1 on the GVA articles: nightly {nightly:.3f}, one run {one_shot:.3f}")
    assert one_shot >= 0.96
    assert nightly >= 0.92
    assert nightly >= one_shot - 0.04
