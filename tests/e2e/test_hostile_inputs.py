"""The hostile corpus (tests/hostile.py) through the real job, mixed with the sample: exact outcomes.

Every bad record is repaired (with its note) or a dead letter (stage, id, reason, payload excerpt);
the good articles come out exactly as they do alone; the accounting closes per file and in total.
"""
from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipelines import events, publish
from tests import hostile
from tests.conftest import REPO, SAMPLE
from tests.fakes import FakeEmbeddingHandler

pytestmark = pytest.mark.slow


@dataclass
class Run:
    summary: dict[str, Any]
    articles: dict[str, dict[str, Any]]
    dead_letters: list[dict[str, Any]]
    events: list[dict[str, Any]]


def read_run(output: Path) -> Run:
    summary = json.loads((output / publish.SUMMARY).read_text())
    articles = publish.read_table(str(output / "articles"), "articles").to_pylist()
    return Run(
        summary=summary,
        articles={a["article_id"]: a for a in articles},
        dead_letters=publish.read_table(str(output / "dead_letters"), "dead_letters").to_pylist(),
        events=publish.read_table(str(output / "events"), "events").to_pylist(),
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[hostile.Case]]:
    root = tmp_path_factory.mktemp("hostile")
    good = root / "good"
    good.mkdir()
    shutil.copy(SAMPLE / "articles.jsonl", good / "articles.jsonl")
    cases = hostile.write_hostile_corpus(root / "bad")
    return good, root / "bad", cases


@pytest.fixture(scope="module")
def mixed(corpus, tmp_path_factory) -> Run:
    good, bad, _ = corpus
    out = tmp_path_factory.mktemp("mixed") / "out"
    events.run(["--input", f"{good}/*.jsonl", "--input", f"{bad}/*", "--output", str(out)],
               model_handler=FakeEmbeddingHandler())
    return read_run(out)


@pytest.fixture(scope="module")
def alone(corpus, tmp_path_factory) -> Run:
    good, _, _ = corpus
    out = tmp_path_factory.mktemp("alone") / "out"
    events.run(["--input", f"{good}/*.jsonl", "--output", str(out)], model_handler=FakeEmbeddingHandler())
    return read_run(out)


def _dead_letters_of(run: Run, case: hostile.Case) -> list[dict[str, Any]]:
    return [d for d in run.dead_letters if (d["input_file"] or "").endswith("/" + case.file)
            and f"{d['stage']}:{d['reason']}" == case.reason and d["article_id"] == case.article_id
            and (case.record_no is None or d["record_no"] == case.record_no)]


def _outcome(run: Run, case: hostile.Case) -> Any:
    """What the run made of one case, in the shape the case describes."""
    if case.table == "articles":
        row = run.articles.get(case.article_id)
        if row is None:
            return "missing"
        return ("articles", tuple(row["repair_notes"]), row["language"] if case.language else None)
    if case.table == "dead_letters":
        return ("dead_letters", len(_dead_letters_of(run, case)))
    if case.table == "collapsed":
        return ("collapsed", run.summary["per_input_file"][_path_of(run, case.file)]["collapsed"])
    raise AssertionError(case.table)


def _expected(case: hostile.Case) -> Any:
    if case.table == "articles":
        return ("articles", case.notes, case.language)
    if case.table == "dead_letters":
        return ("dead_letters", 1)
    return ("collapsed", 1)


def _path_of(run: Run, name: str) -> str:
    (path,) = [p for p in run.summary["per_input_file"] if p.endswith("/" + name)]
    return path


# The one-word article is reported as only_boilerplate today: see the report / strip_boilerplate fix.
KNOWN_WRONG: set[str] = set()


def test_every_hostile_record_has_its_documented_outcome(mixed: Run, corpus) -> None:
    _, _, cases = corpus
    got = {c.name: _outcome(mixed, c) for c in cases if c.name not in KNOWN_WRONG}
    want = {c.name: _expected(c) for c in cases if c.name not in KNOWN_WRONG}
    assert got == want


def test_one_word_article_is_too_short(mixed: Run, corpus) -> None:
    (case,) = [c for c in corpus[2] if c.name == "one_word"]
    assert _outcome(mixed, case) == _expected(case)


def test_nothing_else_is_dead_and_every_dead_letter_is_replayable(mixed: Run, corpus) -> None:
    _, _, cases = corpus
    dead_cases = [c for c in cases if c.table == "dead_letters"]
    assert len(mixed.dead_letters) == len(dead_cases)
    for d in mixed.dead_letters:
        assert d["stage"] and d["reason"] and d["input_file"], d
        # Every dead letter says where it came from and carries the start of its payload, except those
        # that have no payload of their own (a whole unreadable file, an empty file).
        no_payload = d["reason"] in {"corrupt_compressed_file", "unsupported_file_type"} or d["article_id"] == "empty"
        assert no_payload or d["payload_excerpt"], d
        assert len(d["payload_excerpt"] or "") <= 500


def test_repairs_keep_the_text_right(mixed: Run) -> None:
    a = mixed.articles
    assert "Café owners in Zürich" in a["broken_utf8"]["clean_text"].replace("\ufffd", "")
    assert '"We are delighted," said the café manager - naïvely.' in a["cp1252"]["clean_text"]
    assert "Fußball und Crème brûlée" in a["latin1"]["clean_text"]
    assert a["utf16"]["clean_text"].startswith("Beekeepers report a record honey harvest")
    assert "\x00" not in a["nul_bytes"]["clean_text"] and "\x00" not in a["h-nul"]["clean_text"]
    assert a["mixed_endings"]["clean_text"] == "\n".join(hostile.PROSE["glacier"])
    for html in ("page", "h-html"):
        assert "<" not in a[html]["clean_text"] and "tracking" not in a[html]["clean_text"]
    assert a["page"]["clean_text"].startswith("Botanists have found a rare ghost orchid")
    assert a["h-bad-date"]["published_at"] is None and a["h-future"]["published_at"] is None
    assert a["h-naive-date"]["published_at"].isoformat() == "2019-06-05T10:00:00+00:00"
    assert a["90210"]["title"] is None or isinstance(a["90210"]["title"], str)
    assert a["h-title-dict"]["title"] != {"en": "nested"}


def test_whole_lines_before_a_gzip_cut_are_kept(mixed: Run, corpus) -> None:
    _, bad, _ = corpus
    readable = hostile.readable_gz_ids(bad)
    assert readable == ["h-gz-0", "h-gz-1"]  # the generator is deterministic: the cut falls in the third line
    got = sorted(i for i, a in mixed.articles.items() if (a["input_file"] or "").endswith("/cut.jsonl.gz"))
    assert got == readable
    counts = mixed.summary["per_input_file"][_path_of(mixed, "cut.jsonl.gz")]
    assert counts == {"records_read": 3, "articles": 2, "dead_letters": 1, "collapsed": 0}


def test_accounting_closes_per_file_and_in_total(mixed: Run) -> None:
    s = mixed.summary
    assert s["accounting_ok"] is True and s["accounting_mismatches"] == {}
    for name, f in s["per_input_file"].items():
        assert f["records_read"] == f["articles"] + f["dead_letters"] + f["collapsed"], name
    t = s["totals"]
    assert t == {"records_read": 70, "articles": 49, "dead_letters": 20, "collapsed": 1}
    assert t["articles"] == len(mixed.articles) and t["dead_letters"] == len(mixed.dead_letters)
    assert s["per_input_file"][_path_of(mixed, "empty.jsonl")] == {
        "records_read": 0, "articles": 0, "dead_letters": 0, "collapsed": 0}
    assert s["per_input_file"][_path_of(mixed, "records.jsonl")] == {
        "records_read": 26, "articles": 15, "dead_letters": 11, "collapsed": 0}


# Columns that depend on the whole run, not on the article: TF-IDF weights and similarity to the
# event are computed over all the run's documents, so they move (a little) when unrelated articles join;
# and an undated hostile text file that joins a sample event (the fake bag-of-words embedder makes
# unrelated English stories look alike) may become that event's canonical article.
RUN_RELATIVE = {"event_similarity", "is_canonical"}


def test_good_articles_come_out_as_they_do_alone(mixed: Run, alone: Run) -> None:
    good_ids = sorted(alone.articles)
    assert len(good_ids) == 23
    for article_id in good_ids:
        got = {k: v for k, v in mixed.articles[article_id].items() if k not in RUN_RELATIVE}
        want = {k: v for k, v in alone.articles[article_id].items() if k not in RUN_RELATIVE}
        assert got == want, article_id
    # The same events among the good articles. (An undated hostile text file may still join a sample
    # event: with the fake bag-of-words embedder unrelated English stories look alike; that decision is
    # about the hostile article and changes nothing in the good articles' rows, checked above.)
    good = set(good_ids)
    alone_events = sorted(sorted(i for i in e["article_ids"]) for e in alone.events)
    mixed_events = sorted(sorted(i for i in e["article_ids"] if i in good) for e in mixed.events)
    assert [e for e in mixed_events if e] == alone_events


def test_every_article_is_in_exactly_one_event(mixed: Run) -> None:
    members = [i for e in mixed.events for i in e["article_ids"]]
    assert sorted(members) == sorted(mixed.articles)


def test_drop_reasons_are_counted_as_beam_metrics(mixed: Run, corpus) -> None:
    """Every dead-letter reason has its ``<stage>/dropped:<reason>`` counter, with the same count."""
    _, _, cases = corpus
    counters = mixed.summary["counters"]
    dropped = {f"{name.split('/', 1)[0]}:{name.split(':', 1)[1]}": n for name, n in counters.items()
               if name.split("/", 1)[1].startswith("dropped:")}
    assert dropped == mixed.summary["dead_letter_reasons"]
    assert sum(dropped.values()) == sum(1 for c in cases if c.table == "dead_letters")
    assert counters["read/records_read"] == mixed.summary["totals"]["records_read"]
    assert counters["normalize/collapsed:repeated_record"] == 1
    assert counters["normalize/repaired:id_conflict_renamed"] == 1


def test_the_outcome_table_in_the_docstring_lists_every_case(corpus) -> None:
    _, _, cases = corpus
    doc = hostile.__doc__ or ""
    for case in cases:
        assert f"`{case.file}`" in doc, case.file
        assert (case.reason or "") in doc and all(n in doc for n in case.notes), case.name


HUGE_RUN = textwrap.dedent("""
    import json, resource, sys, time
    from pipelines import events
    from tests.fakes import FakeEmbeddingHandler
    started = time.monotonic()
    summary = events.run(sys.argv[1:], model_handler=FakeEmbeddingHandler())
    print(json.dumps({"seconds": time.monotonic() - started,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "totals": summary["totals"]}))
""")
HUGE_BYTES = 50 * 1024 * 1024
LONG_LINE_CHARS = 2_000_000


def write_huge_inputs(folder: Path) -> tuple[int, int]:
    """A 50 MB article (paragraphs of generated prose) and a JSONL record that is one 2-million-character line."""
    folder.mkdir(parents=True, exist_ok=True)
    block = "\n".join(hostile.generated_text(10_000 + i, 4) for i in range(400))
    with (folder / "huge.txt").open("w", encoding="utf-8") as f:
        written = 0
        while written < HUGE_BYTES:
            f.write(block)
            written += len(block)
    huge_chars = written
    words = (hostile.generated_text(20_000, 40).replace("\n", " ") * 1000)[:LONG_LINE_CHARS]
    (folder / "long_line.jsonl").write_text(json.dumps({"id": "long-line", "text": words}) + "\n")
    return huge_chars, len(words)


def test_huge_inputs_are_cut_with_bounded_memory_and_time(tmp_path: Path) -> None:
    """50 MB in one article and a 2M-character line: both cut to max_article_chars, never OOM.

    Run in a fresh process so that its peak RSS is the job's own.
    """
    huge_chars, long_chars = write_huge_inputs(tmp_path / "in")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", HUGE_RUN, "--input", f"{tmp_path}/in/*", "--output", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"huge inputs: {stats}")
    assert stats["seconds"] < 120
    assert stats["peak_rss_mb"] < 1500
    run = read_run(out)
    assert run.summary["totals"] == {"records_read": 2, "articles": 2, "dead_letters": 0, "collapsed": 0}
    assert run.articles["huge"]["repair_notes"] == [f"truncated_from_chars:{huge_chars}"]
    assert run.articles["long-line"]["repair_notes"] == [f"truncated_from_chars:{long_chars}"]
    for row in run.articles.values():
        assert len(row["clean_text"]) <= 200_000


def test_thousands_of_identical_copies_make_one_group_fast(tmp_path: Path) -> None:
    """3,000 copies of one story under different ids: hot LSH buckets are capped, one near-dup group."""
    text = hostile.generated_text(999, 6)
    (tmp_path / "in").mkdir()
    with (tmp_path / "in" / "copies.jsonl").open("w") as f:
        for i in range(3000):
            f.write(json.dumps({"id": f"copy-{i:04d}", "text": text, "published_at": "2019-08-01T08:00:00Z"}) + "\n")
        for i in range(500):  # near-empty articles: three words each, all alike
            f.write(json.dumps({"id": f"tiny-{i:03d}", "text": "Update to follow."}) + "\n")
    started = time.monotonic()
    events.run(["--input", f"{tmp_path}/in/*", "--output", str(tmp_path / "out")], model_handler=FakeEmbeddingHandler())
    seconds = time.monotonic() - started
    print(f"3,000 identical copies + 500 near-empty: {seconds:.1f} s, "
          f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    run = read_run(tmp_path / "out")
    copies = [a for i, a in run.articles.items() if i.startswith("copy-")]
    assert len(copies) == 3000
    assert {a["dup_group_id"] for a in copies} == {copies[0]["dup_group_id"]}
    assert {a["dup_anchor_id"] for a in copies} == {"copy-0000"}
    assert sum(not a["is_duplicate"] for a in copies) == 1
    assert len({a["event_id"] for a in copies}) == 1
    assert run.summary["totals"]["records_read"] == 3500
    assert seconds < 150
