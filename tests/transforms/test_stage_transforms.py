"""Each composite on a TestPipeline with beam.Create and assert_that, main and dead-letter outputs."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import Article, DupInfo, EventMembership
from tests.fakes import FakeEmbeddingHandler, fake_embedding
from transforms.article_parsing import ReadConfig
from transforms.boilerplate import BoilerplateConfig
from transforms.canonicalize_events import CanonicalizeEvents
from transforms.detect_near_duplicates import DetectNearDuplicates
from transforms.embed_articles import EmbedArticles
from transforms.embedding_model import EmbeddingConfig
from transforms.minhash import NearDupConfig, dup_group_id
from transforms.normalize_articles import NormalizeArticles
from transforms.read_articles import ReadArticles
from transforms.strip_boilerplate import StripBoilerplate

BODY_A = (
    "The harbour authority in Kestrel Bay said on Monday that the northern pier will close for repairs "
    "after inspectors found cracks in three of its concrete supports during a routine survey last week. "
    "Ferry services will move to the southern terminal from Wednesday, and the authority expects the "
    "work to take about six months at a cost of four million crowns, officials told reporters."
)
BODY_B = (
    "A rare bittern was heard booming in the reed beds of Fennwick Marsh for the first time in twenty "
    "years, volunteers at the reserve said, after a spring of careful water management and new planting "
    "along the eastern channel. The bird has not been seen, only heard, and wardens asked visitors to "
    "keep to the boardwalks so that it is not disturbed during the breeding season this year."
)


def _article(article_id: str, text: str, **kw) -> Article:
    return Article(article_id=article_id, text=text, clean_text=kw.pop("clean_text", text), **kw)


def test_read_articles_txt_ids_jsonl_records_and_dead_letters(tmp_path, pipeline):
    (tmp_path / "outlet").mkdir()
    (tmp_path / "outlet" / "story-one.txt").write_text(BODY_A, encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text(
        '{"id": "j1", "text": "%s", "url": "https://www.example.org/a", "published_at": "2026-03-01T10:00:00Z"}\n'
        "{not json\n"
        '{"id": "j3", "title": "no text"}\n' % BODY_B,
        encoding="utf-8",
    )
    with pipeline as p:
        out = p | ReadArticles([str(tmp_path / "*" / "*.txt"), str(tmp_path / "*.jsonl")], ReadConfig())
        ids = out["articles"] | beam.Map(lambda a: (a.article_id, a.source, a.published_at))
        assert_that(ids, equal_to([
            ("outlet/story-one", None, None),
            ("j1", "example.org", datetime(2026, 3, 1, 10, tzinfo=timezone.utc)),
        ]), label="articles")
        reasons = out["dead_letters"] | beam.Map(lambda d: (d.stage, d.reason, d.record_no))
        assert_that(reasons, equal_to([("read", "malformed_json", 2), ("read", "missing_text", 3)]),
                    label="dead_letters")
        counts = out["read_counts"] | beam.Map(lambda kv: (kv[0].rsplit("/", 1)[1], kv[1]))
        assert_that(counts, equal_to([("story-one.txt", 1), ("feed.jsonl", 3)]), label="read_counts")


def test_a_jsonl_file_above_the_file_cap_is_read_record_by_record(tmp_path, pipeline):
    # Text and Parquet files are read whole and capped; JSONL is streamed, so only a record can be too big.
    config = ReadConfig(max_article_chars=1000, max_file_bytes=1000)
    (tmp_path / "big.jsonl").write_text("".join(
        '{"id": "r%02d", "text": "%s"}\n' % (i, BODY_A[:200]) for i in range(20))
        + '{"id": "huge", "text": "%s"}\n' % ("word " * 300), encoding="utf-8")
    (tmp_path / "big.txt").write_text("word " * 300, encoding="utf-8")
    with pipeline as p:
        out = p | ReadArticles([str(tmp_path / "big.*")], config)
        assert_that(out["articles"] | beam.combiners.Count.Globally(), equal_to([20]), label="articles")
        reasons = out["dead_letters"] | beam.Map(lambda d: (d.reason, d.record_no))
        assert_that(reasons, equal_to([("record_too_large", 21), ("file_too_large", None)]), label="dead_letters")


def test_normalize_collapses_repeats_and_renames_conflicts(pipeline):
    same = Article("x", "Caf\u00e9 \u201cquoted\u201d", input_file="f1", record_no=1)
    repeat = dataclasses.replace(same, input_file="f2", record_no=1)
    conflict = Article("x", "another text", input_file="f3", record_no=1)
    with pipeline as p:
        out = p | beam.Create([conflict, repeat, same]) | NormalizeArticles()
        assert_that(out["articles"] | beam.Map(lambda a: (a.article_id, a.text, a.repair_notes)), equal_to([
            ("x", 'Caf\u00e9 "quoted"', ()),
            ("x#1c4e32cd", "another text", ("id:renamed_conflict",)),
        ]), label="articles")
        assert_that(out["collapsed"], equal_to([("f2", 1)]), label="collapsed")


def test_strip_learns_site_furniture_and_dead_letters_empty_articles(pipeline):
    furniture = "Harbor Ledger morning briefing: sign up today"
    articles = [
        Article(f"a{i}", f"{furniture}\n{body}", source="ledger")
        for i, body in enumerate([BODY_A, BODY_B, BODY_A.replace("northern", "western")])
    ] + [Article("empty", "Share\nLog in", source="ledger")]
    with pipeline as p:
        out = p | beam.Create(articles) | StripBoilerplate(BoilerplateConfig())
        kept = out["articles"] | beam.Map(lambda a: (a.article_id, furniture in a.clean_text, a.language))
        assert_that(kept, equal_to([("a0", False, "en"), ("a1", False, "en"), ("a2", False, "en")]),
                    label="articles")
        dead = out["dead_letters"] | beam.Map(lambda d: (d.stage, d.article_id, d.reason))
        assert_that(dead, equal_to([("strip_boilerplate", "empty", "only_boilerplate")]), label="dead")


def test_near_duplicates_group_copies_and_pick_one_representative(pipeline):
    copy = BODY_A.replace("on Monday", "on Monday morning")
    articles = [_article("a", BODY_A), _article("b", copy), _article("c", BODY_B)]
    with pipeline as p:
        out = p | beam.Create(articles) | DetectNearDuplicates(NearDupConfig())
        groups = out["dups"] | beam.Map(lambda kv: (kv[0], kv[1].dup_group_id, kv[1].is_anchor))
        # No publish times, one copy each: the smallest id anchors.
        assert_that(groups, equal_to([
            ("a", dup_group_id("a"), True), ("b", dup_group_id("a"), False), ("c", dup_group_id("c"), True),
        ]), label="dups")
        assert_that(out["representatives"] | beam.Map(lambda a: a.article_id), equal_to(["a", "c"]),
                    label="representatives")


def test_embed_articles_uses_title_and_text_and_returns_unit_vectors(pipeline):
    with pipeline as p:
        out = (p | beam.Create([_article("a", BODY_A, title="Pier closes")])
               | EmbedArticles(EmbeddingConfig(), model_handler=FakeEmbeddingHandler()))
        norms = out | beam.Map(lambda kv: (kv[0], round(float((kv[1] ** 2).sum()), 5), kv[1].dtype.name))
        assert_that(norms, equal_to([("a", 1.0, "float32")]))


def test_canonicalize_builds_events_and_article_rows(pipeline):
    t = datetime(2026, 3, 2, tzinfo=timezone.utc)
    a = _article("a", BODY_A, source="Ledger", published_at=t, title="Pier closes for repairs")
    b = _article("b", BODY_A + " Extra.", source="Courier", published_at=t)
    c = _article("c", BODY_B, source="Ledger")
    dups = [("a", DupInfo("a", "dup-1", "b", 0.9, False)), ("b", DupInfo("b", "dup-1", "b", 1.0, True)),
            ("c", DupInfo("c", "dup-2", "c", 1.0, True))]
    events = [("b", EventMembership("b", "b", 0.8)), ("c", EventMembership("c", "c", 1.0))]
    with pipeline as p:
        out = {"articles": p | "A" >> beam.Create([a, b, c]), "dups": p | "D" >> beam.Create(dups),
               "events": p | "E" >> beam.Create(events)} | CanonicalizeEvents()
        rows = out["events"] | beam.Map(lambda e: (e.article_ids, e.canonical_article_id, e.sources, e.dup_group_count))
        assert_that(rows, equal_to([(["a", "b"], "b", ["Courier", "Ledger"], 1), (["c"], "c", ["Ledger"], 1)]),
                    label="events")
        flags = out["articles"] | beam.Map(lambda r: (r.article_id, r.is_canonical, r.is_duplicate, r.event_similarity))
        assert_that(flags, equal_to([
            ("a", False, True, 0.8), ("b", True, False, 0.8), ("c", True, False, 1.0)]), label="articles")


def test_fake_embedding_is_deterministic():
    assert (fake_embedding(BODY_A) == fake_embedding(BODY_A)).all()


class _CountingHandler(FakeEmbeddingHandler):
    loads = 0
    batches = 0

    def load_model(self):
        type(self).loads += 1
        return super().load_model()

    batch_size, max_batch_factor = 4, 1

    def embed(self, texts, model):
        type(self).batches += 1
        return super().embed(texts, model)


def test_the_model_is_loaded_once_per_worker_not_per_bundle_or_batch(pipeline):
    articles = [_article(f"a{i:02d}", f"{BODY_A} number {i}") for i in range(40)]
    with pipeline as p:
        _ = (p | beam.Create(articles) | beam.Reshuffle()
             | EmbedArticles(EmbeddingConfig(), model_handler=_CountingHandler()))
    assert _CountingHandler.batches >= 10
    assert _CountingHandler.loads == 1


def test_a_model_loaded_ahead_is_the_one_the_step_uses(pipeline):
    _CountingHandler.loads = 0
    embed = EmbedArticles(EmbeddingConfig(), model_handler=_CountingHandler())
    loading = embed.load_in_background()
    assert loading.result(timeout=60) is not None and _CountingHandler.loads == 1
    with pipeline as p:
        out = p | beam.Create([_article("a1", BODY_A), _article("a2", BODY_B)]) | embed
        assert_that(out | beam.Map(lambda kv: kv[0]), equal_to(["a1", "a2"]))
    assert _CountingHandler.loads == 1  # the step found it loaded


def test_read_articles_parquet_records_and_a_corrupt_parquet_file(tmp_path, pipeline):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "id": ["p1", "p2", None],
        "text": [BODY_A, None, BODY_B],
        "title": ["Pier closes", None, None],
        "published_at": ["2026-03-02T08:00:00+01:00", None, None],
        "url": [None, None, "https://news.example.net/bittern"],
    }), tmp_path / "records.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    with pipeline as p:
        out = p | ReadArticles([str(tmp_path / "*.parquet")], ReadConfig())
        rows = out["articles"] | beam.Map(lambda a: (a.article_id[:5], a.title, a.published_at, a.source))
        assert_that(rows, equal_to([
            ("p1", "Pier closes", datetime(2026, 3, 2, 7, tzinfo=timezone.utc), None),
            ("sha1:", None, None, "news.example.net"),
        ]), label="articles")
        dead = out["dead_letters"] | beam.Map(lambda d: (d.input_file.rsplit("/", 1)[1], d.reason, d.record_no))
        assert_that(dead, equal_to([("records.parquet", "missing_text", 2),
                                    ("broken.parquet", "corrupt_parquet_file", 1)]), label="dead_letters")
        counts = out["read_counts"] | beam.Map(lambda kv: (kv[0].rsplit("/", 1)[1], kv[1]))
        assert_that(counts, equal_to([("records.parquet", 3), ("broken.parquet", 1)]), label="read_counts")


@pytest.mark.parametrize("one_off,shards", [(False, 1), (True, 1), (False, 3), (True, 2)])
def test_cluster_events_in_blocks_on_beam_equals_the_pure_engine(pipeline, one_off, shards):
    # 24 reports of two stories over 4 days, in blocks of 5: the keyed Beam stage gives exactly the
    # assignments (ids and similarities) of the one-process engine, and each story is one event; without
    # a state to keep (a one-off run), the same, and no state outputs; the blocks grouped in several
    # grouping steps (shards), the same.
    from datetime import timedelta

    from transforms.cluster_events import ClusterEvents
    from transforms.event_clustering import EventClusteringConfig, EventDoc, cluster_events

    bodies = [BODY_A, BODY_B]
    t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
    articles = [_article(f"a{k:02d}", bodies[k % 2] + f" Update {k // 2}.", published_at=t0 + timedelta(hours=4 * k))
                for k in range(24)]
    config = EventClusteringConfig(block_docs=5)
    expected = cluster_events([EventDoc(a.article_id, fake_embedding(a.clean_text), a.title, a.clean_text,
                                        a.published_at) for a in articles], config)
    with pipeline as p:
        anchors = p | "A" >> beam.Create(articles)
        embeddings = p | "E" >> beam.Create([(a.article_id, fake_embedding(a.clean_text)) for a in articles])
        out = {"anchors": anchors, "embeddings": embeddings} | ClusterEvents(config, one_off=one_off, shards=shards)
        rows = out["memberships"] | beam.Map(lambda kv: (kv[0], kv[1].event_id, round(kv[1].similarity, 5)))
        assert_that(rows, equal_to([(a.article_id, a.event_id, round(a.similarity, 5)) for a in expected]))
        live = (out["events"] | "LiveEvents" >> beam.combiners.Count.Globally())
        latest = (out["recent"] | "Latest" >> beam.combiners.Count.Globally())
        assert_that(live, equal_to([0 if one_off else 2]), label="state events")
        assert_that(latest, equal_to([0 if one_off else 24]), label="recent stories")
    by_event: dict[str, list[str]] = {}
    for a in expected:
        by_event.setdefault(a.event_id, []).append(a.article_id)
    assert sorted(by_event.values()) == [[f"a{k:02d}" for k in range(0, 24, 2)], [f"a{k:02d}" for k in range(1, 24, 2)]]
