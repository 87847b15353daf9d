"""gs:// input and output through Beam's GCS file system, against a real GCS protocol server on loopback.

The same sample goes through the job twice, once from and to local folders, once from and to buckets on
``gcp-storage-emulator``; the published tables must be the same rows. Missing buckets and permission
errors must stop the run before any work with one clear message (ConfigError; exit code 2).
"""
from __future__ import annotations

import gc
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.fakes import FakeEmbeddingHandler
from tests.gcs_emulator import GcsEmulator, emulator_credentials_file, forbidding_gcs, gcs_environment

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DATE = "2026-03-18"
NEXT_DATE = "2026-03-19"
RAW, CURATED = "raw", "curated"


def sample_files() -> dict[str, Path]:
    """The sample as objects named by their path in the repository (sample/articles.jsonl, ...)."""
    files = [REPO / "sample" / "articles.jsonl", *sorted((REPO / "sample" / "articles").glob("*/*.txt"))]
    return {str(p.relative_to(REPO)): p for p in files}


def job_args(root: str, output: str) -> list[str]:
    return ["--input", f"{root}/sample/articles/*/*.txt", "--input", f"{root}/sample/articles.jsonl",
            "--output", output, "--date", DATE, "--reference_time", "2026-04-01T00:00:00+00:00"]


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return emulator_credentials_file(tmp_path_factory.mktemp("gcloud") / "emulator-credentials.json")


@pytest.fixture(scope="module")
def gcs(credentials: Path) -> Iterator[GcsEmulator]:
    with GcsEmulator() as emulator, pytest.MonkeyPatch.context() as env:
        for name, value in gcs_environment(emulator.endpoint, credentials).items():
            env.setenv(name, value)
        emulator.create_bucket(RAW)
        emulator.create_bucket(CURATED)
        emulator.upload(RAW, sample_files())
        yield emulator
        gc.collect()  # writers left by failed uploads retry on close: let them, while the server is up


def read_tables(output: Path) -> dict[str, list[dict[str, Any]]]:
    """Each published table, read as one Hive-partitioned dataset (with its ``dt`` column)."""
    import pyarrow.dataset as ds

    from schemas.tables import SCHEMAS

    return {name: ds.dataset(str(output / name), format="parquet", partitioning="hive").to_table().to_pylist()
            for name in SCHEMAS}


def normalized(tables: dict[str, list[dict[str, Any]]], root: str) -> dict[str, list[dict[str, Any]]]:
    """Rows in a stable order, input files relative to the input root (the only column that may differ)."""
    out = {}
    for name, rows in tables.items():
        rows = [dict(r, input_file=r["input_file"].removeprefix(root + "/")) if r.get("input_file") else r
                for r in rows]
        out[name] = sorted(rows, key=lambda r: repr(sorted(r.items(), key=lambda kv: kv[0])))
    return out


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    from pipelines import events

    out = tmp_path_factory.mktemp("local") / "out"
    events.run(job_args(str(REPO), str(out)), model_handler=FakeEmbeddingHandler())
    return normalized(read_tables(out), str(REPO))


def mirror(gcs: GcsEmulator, bucket: str, prefix: str, into: Path) -> dict[str, bytes]:
    objects = gcs.download(bucket, prefix)
    for name, data in objects.items():
        path = into / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return objects


def test_gs_input_and_output_give_the_same_tables_as_local_paths(
        gcs: GcsEmulator, local_run: dict[str, list[dict[str, Any]]]) -> None:
    from pipelines import events

    # What a killed earlier run left behind is cleaned up, on an object store too.
    gcs.client().bucket(CURATED).blob("out/_staging/20260101T000000Z-dead/events/part.parquet").upload_from_string(b"x")

    summary = events.run(job_args(f"gs://{RAW}", f"gs://{CURATED}/out"), model_handler=FakeEmbeddingHandler())

    with tempfile.TemporaryDirectory() as tmp:
        objects = mirror(gcs, CURATED, "out/", Path(tmp))
        tables = normalized(read_tables(Path(tmp) / "out"), f"gs://{RAW}")
    names = set(objects)
    assert f"out/_commits/dt={DATE}/_SUCCESS" in names
    assert {f"out/{t}/dt={DATE}/part-00000-of-00001.parquet" for t in ("events", "articles", "dead_letters")} <= names
    assert not [n for n in names if n.startswith("out/_staging/")], "staging and leftovers are removed"

    assert summary["totals"]["records_read"] == 46  # 23 article files + 23 JSONL records
    assert [r["article_id"] for r in tables["articles"]] == [r["article_id"] for r in local_run["articles"]]
    assert {frozenset(e["article_ids"]) for e in tables["events"]} == {
        frozenset(e["article_ids"]) for e in local_run["events"]}
    for table in ("articles", "events", "dead_letters"):
        assert tables[table] == local_run[table], table

    # The next night on gs:// continues from the state the first one left there: the same feed is all repeats.
    assert {f"out/_state/{t}/dt={DATE}/part-00000-of-00001.parquet" for t in ("events", "recent", "seen", "copies")
            } <= names
    next_night = [NEXT_DATE if a == DATE else a for a in job_args(f"gs://{RAW}", f"gs://{CURATED}/out")]
    again = events.run(next_night, model_handler=FakeEmbeddingHandler())
    assert again["totals"] == {"records_read": 46, "articles": 0, "dead_letters": 0, "collapsed": 46}


def _assert_one_clear_error(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """run() raises ConfigError with ``message``; main() prints it as one line and returns 2."""
    from pipelines import events
    from pipelines.options import ConfigError

    with pytest.raises(ConfigError) as raised:
        events.run(args, model_handler=FakeEmbeddingHandler())
    assert str(raised.value).startswith(message)
    del raised
    assert events.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"storybeam: error: {message}") and err.count("\n") == 1, err


@pytest.mark.parametrize("args, message", [
    (["--input", "gs://no-such-bucket/raw/*.jsonl", "--output", f"gs://{CURATED}/out"],
     "cannot read input 'gs://no-such-bucket/raw/*.jsonl': bucket 'no-such-bucket' does not exist"),
    (["--input", f"gs://{RAW}/sample/articles.jsonl", "--output", "gs://no-such-bucket/out"],
     "cannot write to output 'gs://no-such-bucket/out': bucket 'no-such-bucket' does not exist"),
    (["--input", f"gs://{RAW}/nothing-here/*.jsonl", "--output", f"gs://{CURATED}/out"],
     f"input 'gs://{RAW}/nothing-here/*.jsonl' matched no files"),
], ids=["missing-input-bucket", "missing-output-bucket", "empty-glob"])
def test_a_missing_bucket_is_one_clear_message(gcs: GcsEmulator, args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _assert_one_clear_error(args, message, capsys)


@pytest.fixture
def forbidden(credentials: Path) -> Iterator[None]:
    with forbidding_gcs() as endpoint, pytest.MonkeyPatch.context() as env:
        for name, value in gcs_environment(endpoint, credentials).items():
            env.setenv(name, value)
        yield
        gc.collect()  # see gcs()


@pytest.mark.parametrize("args, message", [
    (["--input", "gs://locked/raw/*.jsonl", "--output", "/nonexistent-unused"],
     "cannot read input 'gs://locked/raw/*.jsonl': permission denied on gs://locked: the account running "
     "the job needs storage.objects.list"),
    (["--input", str(REPO / "sample" / "articles.jsonl"), "--output", "gs://locked/out"],
     "cannot write to output 'gs://locked/out': permission denied on gs://locked: the account running "
     "the job needs storage.objects.create"),
], ids=["input", "output"])
@pytest.mark.usefixtures("forbidden")
def test_a_permission_error_is_one_clear_message(args: list[str], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _assert_one_clear_error(args, message, capsys)
