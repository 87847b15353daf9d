"""The copy-of-an-earlier-anchor decision shared by nightly runs and the stream: ``best_earlier`` and the
in-memory ``AnchorIndex`` the streaming job matches each window against, and its state round trip."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from schemas.records import DupInfo
from schemas.stream import STREAM_STATE_SCHEMAS, decode_rows, encode_rows
from transforms.earlier_copies import (AnchorIndex, EarlierAnchor, best_earlier, copies_after, earlier_anchor,
                                        match_window, rewrite_dups)
from transforms.minhash import NearDupConfig, dup_group_id, shingles
from transforms.normalization import normalize_text

CONFIG = NearDupConfig()
WIRE = ("The Bank of Veltria cut its main interest rate by a quarter point on Wednesday, the first cut in "
        "two years, saying inflation had eased faster than expected while growth slowed in the second half "
        "of last year. Governor Ilse Marken said the board would watch wages closely before any further "
        "move, and mortgage lenders said they expected to pass the cut on to borrowers within weeks.")
REPRINT = WIRE.replace("on Wednesday", "on Wednesday morning") + " Reporting by the Lowland Gazette."
OTHER = ("Fire crews fought a blaze at the Brennick plastics plant in Korvel on Tuesday night, and residents "
         "of the nearby streets were told to keep their windows shut while the smoke cleared over the river, "
         "officials said. No one was hurt; the cause of the fire is under investigation by the county.")


def _hashes(text: str) -> np.ndarray:
    return shingles(normalize_text(text), CONFIG.shingle_size)


def _anchor(article_id: str, text: str, event_id: str = "ev-1") -> EarlierAnchor:
    return EarlierAnchor(article_id, f"dup-{article_id}", event_id, 0.9, _hashes(text))


def test_a_reprint_finds_its_earlier_anchor_and_another_story_does_not():
    index = AnchorIndex(CONFIG)
    index.add(_anchor("gazette/rate-cut", WIRE))
    index.add(_anchor("courier/fire", OTHER, "ev-2"))
    match = index.best("ledger/rate-cut", _hashes(REPRINT))
    assert match is not None
    anchor, jaccard = match
    assert anchor.article_id == "gazette/rate-cut" and anchor.event_id == "ev-1"
    assert 0.7 < jaccard < 1.0
    assert index.best("post/other", _hashes("A different story about a library that reopened after "
                                            "two years of repairs to its roof and its reading rooms.")) is None
    assert index.best("empty", np.zeros(0, dtype=np.uint64)) is None


def test_the_index_decides_as_the_pairwise_rule_does():
    """Highest Jaccard wins, ties to the lower id; the index only narrows the candidates."""
    anchors = [_anchor("b/copy", WIRE), _anchor("a/copy", WIRE), _anchor("c/near", REPRINT)]
    index = AnchorIndex(CONFIG)
    for a in anchors:
        index.add(a, index.keys(a.shingles))
    new = _hashes(WIRE)
    assert index.best("new", new) == best_earlier("new", new, anchors, CONFIG)
    assert index.best("new", new)[0].article_id == "a/copy"


def test_stream_copies_state_round_trips_through_its_schema():
    index = AnchorIndex(CONFIG)
    hashes = _hashes(WIRE)
    row = {"article_id": "gazette/rate-cut", "dup_group_id": "dup-1", "event_id": "ev-1",
           "event_similarity": 0.5, "published_at": None, "shingles": [int(h) for h in hashes],
           "band_keys": index.keys(hashes), "window_end": datetime(2026, 3, 18, 9, 1, tzinfo=timezone.utc)}
    schemas = {"copies": STREAM_STATE_SCHEMAS["copies"]}
    (back,) = decode_rows(encode_rows({"copies": [row]}, schemas), schemas)["copies"]
    assert back["band_keys"] == row["band_keys"] and back["window_end"] == row["window_end"]
    anchor = earlier_anchor(back)
    assert np.array_equal(anchor.shingles, hashes) and anchor.dup_group_id == "dup-1"
    # A stored state of another major version is refused, a newer minor one read.
    import pytest

    wanted = schemas["copies"].metadata[b"storybeam.schema_version"].decode()
    for version, refused in (("2.0", True), (wanted.split(".")[0] + ".7", False)):
        stored = {"copies": schemas["copies"].with_metadata(
            {**schemas["copies"].metadata, b"storybeam.schema_version": version.encode()})}
        data = encode_rows({"copies": [row]}, stored)
        if refused:
            with pytest.raises(ValueError, match=rf"stream state 'copies' has schema version '2.0'; "
                                                 rf"this code reads '{wanted}'"):
                decode_rows(data, schemas)
        else:
            assert decode_rows(data, schemas)["copies"][0]["band_keys"] == row["band_keys"]


def _state_row(article_id: str, text: str, event_id: str, stored: datetime) -> dict:
    hashes = _hashes(text)
    return {"article_id": article_id, "dup_group_id": f"dup-{article_id}", "event_id": event_id,
            "event_similarity": 0.9, "published_at": None, "shingles": [int(h) for h in hashes],
            "band_keys": AnchorIndex(CONFIG).keys(hashes), "window_end": stored}


def test_a_window_matches_its_anchors_against_the_copies_state_and_passes_it_on():
    day = datetime(2026, 3, 18, 9, tzinfo=timezone.utc)
    rows = [_state_row("gazette/rate-cut", WIRE, "ev-1", day), _state_row("old/fire", OTHER, "ev-2", day.replace(day=1))]
    window = match_window(rows, [("ledger/rate-cut", _hashes(REPRINT)), ("post/fire", _hashes(OTHER))],
                          since=day.replace(day=11), config=CONFIG)
    # The fire anchor was stored before the window: it is gone, so the fire story is fresh.
    assert [r["article_id"] for r in window.kept] == ["gazette/rate-cut"]
    assert {k: (a.article_id, a.dup_group_id) for k, (a, _) in window.copied.items()} == \
        {"ledger/rate-cut": ("gazette/rate-cut", "dup-gazette/rate-cut")}
    assert set(window.fresh) == {"post/fire"}
    now = day.replace(day=19)
    after = copies_after(window, [("post/fire", "ev-3", 0.8)], merged_into={"ev-1": "ev-0"}, now=now)
    assert [(r["article_id"], r["event_id"], r["window_end"]) for r in after] == \
        [("gazette/rate-cut", "ev-0", day), ("post/fire", "ev-3", now)]
    assert after[1]["band_keys"] == window.fresh["post/fire"][1] == AnchorIndex(CONFIG).keys(_hashes(OTHER))
    assert after[1]["dup_group_id"] == dup_group_id("post/fire")


def test_an_earlier_text_of_the_same_article_is_not_a_copy_of_it():
    """A site revised an article (same id, new text): its earlier text is no candidate (verifying an
    article against itself is an error), so the new text is fresh and replaces the earlier row."""
    revised = WIRE + " The central bank will publish its full statement on Friday."
    assert best_earlier("gazette/rate-cut", _hashes(revised), [_anchor("gazette/rate-cut", WIRE)], CONFIG) is None
    # Another outlet's reprint of the earlier text still finds it.
    assert best_earlier("ledger/rate-cut", _hashes(REPRINT), [_anchor("gazette/rate-cut", WIRE)], CONFIG)[0] \
        .article_id == "gazette/rate-cut"

    day = datetime(2026, 3, 18, 9, tzinfo=timezone.utc)
    rows = [_state_row("gazette/rate-cut", WIRE, "ev-1", day), _state_row("courier/fire", OTHER, "ev-2", day)]
    window = match_window(rows, [("gazette/rate-cut", _hashes(revised))], since=day.replace(day=11), config=CONFIG)
    assert window.copied == {} and set(window.fresh) == {"gazette/rate-cut"}
    now = day.replace(day=19)
    # The stream hands the window's assignments as a generator.
    after = copies_after(window, (a for a in [("gazette/rate-cut", "ev-1", 0.7)]), merged_into={}, now=now)
    assert [(r["article_id"], r["window_end"]) for r in after] == [("courier/fire", day), ("gazette/rate-cut", now)]
    assert after[1]["shingles"] == [int(h) for h in _hashes(revised)]


def test_a_group_joined_to_an_earlier_anchor_keeps_that_anchor_s_revised_text_as_its_anchor():
    """Tonight's group: a reprint of the earlier anchor's text (tonight's anchor) and the earlier anchor's
    own revised text. Joined to the earlier group, the reprint is a copy and the revision is the anchor."""
    earlier = _anchor("gazette/rate-cut", WIRE)
    members = [("agency/rate-cut", DupInfo("agency/rate-cut", "dup-agency", "agency/rate-cut", 1.0, True)),
               ("gazette/rate-cut", DupInfo("gazette/rate-cut", "dup-agency", "agency/rate-cut", 0.9, False))]
    out = dict(rewrite_dups(("agency/rate-cut", {"members": members, "matched": [(earlier, 0.95)]})))
    assert out == {
        "agency/rate-cut": DupInfo("agency/rate-cut", "dup-gazette/rate-cut", "gazette/rate-cut", 0.95, False),
        "gazette/rate-cut": DupInfo("gazette/rate-cut", "dup-gazette/rate-cut", "gazette/rate-cut", 0.9, True)}
