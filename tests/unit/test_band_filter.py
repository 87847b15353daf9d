"""The Bloom filter of tonight's LSH bucket keys, and MatchEarlierCopies with it: the same matches as
every earlier anchor against every new one."""
from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import Article, DupInfo
from transforms import band_filter
from transforms.band_filter import BandFilter
from transforms.earlier_copies import AnchorIndex, EarlierAnchor, MatchEarlierCopies, _OldBands
from transforms.minhash import NearDupConfig, band_keys, dup_group_id, shingles, signature
from transforms.normalization import normalize_text

CONFIG = NearDupConfig()


def _keys(text: str) -> list[bytes]:
    return band_keys(signature(shingles(normalize_text(text), CONFIG.shingle_size), CONFIG), CONFIG)


def _story(i: int) -> str:
    words = ["council", "harbour", "river", "bridge", "school", "market", "railway", "museum", "storm", "clinic"]
    rng = np.random.default_rng(i)
    return " ".join(f"{words[j % 10]}{j}" for j in rng.integers(0, 5000, size=80)) + "."


def test_every_key_put_in_passes_and_other_keys_do_not():
    tonight = [key for i in range(50) for key in _keys(_story(i))]
    assert len(tonight) == 50 * CONFIG.bands
    bits = band_filter.add(band_filter.empty(), tonight)
    assert band_filter.may_contain(bits, tonight).all()  # no false negatives
    others = [key for i in range(1000, 1300) for key in _keys(_story(i))]
    assert not band_filter.may_contain(bits, others).any()  # 9,600 other keys: expected false positives ~1e-12
    # The same digest in another band is another key.
    moved = [(int.from_bytes(k[:2], "big") + 1).to_bytes(2, "big") + k[2:] for k in tonight[:100]]
    assert not band_filter.may_contain(bits, moved).any()
    assert band_filter.may_contain(bits, []).shape == (0,)


def test_the_combine_merges_workers_filters_into_the_filter_of_all_keys():
    lists = [_keys(_story(i)) for i in range(12)]
    fn = BandFilter()
    parts = [fn.create_accumulator() for _ in range(3)]
    for i, keys in enumerate(lists):
        parts[i % 3] = fn.add_input(parts[i % 3], keys)
    merged = fn.extract_output(fn.merge_accumulators(parts))
    assert np.array_equal(merged, band_filter.add(band_filter.empty(), [k for keys in lists for k in keys]))
    assert np.array_equal(fn.extract_output(fn.merge_accumulators([])), band_filter.empty())


def test_tonights_anchors_find_the_same_earlier_anchors_as_against_every_one():
    """40 earlier anchors (one of them the original of tonight's reprint, one a second copy of it) and 3 new
    anchors: the Beam composite, which drops the earlier keys the filter rules out, matches as the
    in-memory index over all of them."""
    original = _story(7)
    reprint = original.replace("council", "county council", 1) + " Reporting by the Gazette."
    earlier = [EarlierAnchor(f"old/{i:02d}", dup_group_id(f"old/{i:02d}"), f"ev-{i}", 0.9,
                             shingles(normalize_text(_story(i)), CONFIG.shingle_size)) for i in range(40)]
    earlier.append(EarlierAnchor("old/copy-of-07", dup_group_id("old/copy-of-07"), "ev-7b", 0.8,
                                 shingles(normalize_text(original + " More."), CONFIG.shingle_size)))
    new = {"new/reprint": reprint, "new/fresh": _story(500), "new/empty": ""}
    index = AnchorIndex(CONFIG)
    for anchor in earlier:
        index.add(anchor)
    expected = {i: index.best(i, shingles(normalize_text(t), CONFIG.shingle_size)) for i, t in new.items()}
    assert expected["new/reprint"][0].article_id == "old/07" and expected["new/fresh"] is None
    reps = [Article(article_id=i, text="", clean_text=normalize_text(t)) for i, t in new.items()]
    dups = [(i, DupInfo(i, dup_group_id(i), i, 1.0, True)) for i in new]
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        out = {"representatives": pipeline | "Reps" >> beam.Create(reps),
               "dups": pipeline | "Dups" >> beam.Create(dups),
               "earlier": pipeline | "Earlier" >> beam.Create(earlier)} | MatchEarlierCopies(CONFIG)
        jaccard = expected["new/reprint"][1]
        assert_that(out["dups"] | beam.Map(lambda kv: (kv[0], kv[1].dup_group_id, kv[1].anchor_id, kv[1].similarity)),
                    equal_to([("new/reprint", dup_group_id("old/07"), "old/07", jaccard),
                              ("new/fresh", dup_group_id("new/fresh"), "new/fresh", 1.0),
                              ("new/empty", dup_group_id("new/empty"), "new/empty", 1.0)]), label="dups")
        assert_that(out["representatives"] | beam.Map(lambda a: a.article_id), equal_to(["new/fresh", "new/empty"]),
                    label="representatives")
        assert_that(out["memberships"] | beam.Map(lambda kv: (kv[0], kv[1].event_id)), equal_to([("old/07", "ev-7")]),
                    label="memberships")


def test_a_night_without_anchors_matches_nothing_and_passes_no_earlier_key():
    earlier = [EarlierAnchor(f"old/{i}", dup_group_id(f"old/{i}"), f"ev-{i}", 0.9,
                             shingles(normalize_text(_story(i)), CONFIG.shingle_size)) for i in range(3)]
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        out = {"representatives": pipeline | "Reps" >> beam.Create([], reshuffle=False).with_output_types(Article),
               "dups": pipeline | "Dups" >> beam.Create([], reshuffle=False),
               "earlier": pipeline | "Earlier" >> beam.Create(earlier)} | MatchEarlierCopies(CONFIG)
        for name in ("dups", "representatives", "memberships", "shingles"):
            assert_that(out[name], equal_to([]), label=name)


def test_the_old_bands_step_builds_without_beams_yield_and_return_warning(caplog):
    """Beam warns, at every run, of a process method that both yields and returns; _OldBands does neither now."""
    with caplog.at_level(logging.WARNING):
        beam.ParDo(_OldBands(CONFIG), None)
    assert not [r for r in caplog.records if "yield and return" in r.getMessage()]
