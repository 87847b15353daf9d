"""ReadArticles: input globs (local or gs://) → Article records, dead letters and per-file read counts."""
from __future__ import annotations

import gzip
import io
import zlib
from typing import BinaryIO, Iterable, Iterator

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from schemas.tables import DeadLetter
from transforms.article_parsing import (
    BadRecord,
    ReadConfig,
    article_from_jsonl_line,
    article_from_record,
    article_from_text_file,
    glob_base,
    id_from_path,
)

STAGE = "read"
DEAD_LETTERS = "dead_letters"
READ_COUNTS = "read_counts"

_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
_TEXT_SUFFIXES = (".txt", ".txt.gz")
_PARQUET_SUFFIXES = (".parquet",)


def file_kind(path: str) -> str | None:
    lower = path.lower()
    for kind, suffixes in (("jsonl", _JSONL_SUFFIXES), ("text", _TEXT_SUFFIXES), ("parquet", _PARQUET_SUFFIXES)):
        if lower.endswith(suffixes):
            return kind
    return None


def _open_input(path: str) -> BinaryIO:
    """The file's bytes, decompressed for ``.gz``, as a binary stream that can be iterated by line.

    ``.gz`` goes through Python's gzip reader, not Beam's ``CompressedFile``: the latter ends a truncated
    stream silently (the cut shows up as a short last record, not as an error) and cannot be wrapped
    in ``io.BufferedReader`` (its ``closed`` is a method, so the wrapper sees a closed file).
    """
    raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    if path.lower().endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return io.BufferedReader(raw)  # type: ignore[arg-type]


class _MatchGlob(beam.DoFn):
    """glob → (path, size, base) for every file it matches, in a stable order."""

    def process(self, pattern: str) -> Iterator[tuple[str, int, str]]:
        base = glob_base(pattern)
        for match in FileSystems.match([pattern])[0].metadata_list:
            yield match.path, match.size_in_bytes, base


class _ParseFile(beam.DoFn):
    """(path, size, base) → Article | TaggedOutput(dead_letters) | TaggedOutput(read_counts: (path, n))."""

    def __init__(self, config: ReadConfig) -> None:
        self._config = config
        self._read = Metrics.counter(STAGE, "records_read")
        self._ok = Metrics.counter(STAGE, "articles_parsed")

    def _dead(self, reason: str, path: str, record_no: int | None, error: str = "",
              payload: str | bytes | None = None, article_id: str | None = None) -> beam.pvalue.TaggedOutput:
        Metrics.counter(STAGE, f"dropped:{reason}").inc()
        return beam.pvalue.TaggedOutput(DEAD_LETTERS, DeadLetter(
            stage=STAGE, reason=reason, article_id=article_id, input_file=path, record_no=record_no,
            error=error or None, payload_excerpt=DeadLetter.excerpt(payload)))

    def process(self, element: tuple[str, int, str]) -> Iterable:
        path, size, base = element
        kind = file_kind(path)
        count = 0
        if kind is None:
            count = 1
            yield self._dead("unsupported_file_type", path, None, path.rsplit("/", 1)[-1])
        elif size > self._config.max_file_bytes and kind != "jsonl":
            # Text and Parquet files are read whole; JSONL is read line by line, each record capped
            # (record_too_large), so a big nightly dump is read, not lost.
            count = 1
            yield self._dead("file_too_large", path, None, f"{size} bytes > {self._config.max_file_bytes}")
        elif kind == "text":
            count = 1
            yield from self._text_file(path, base)
        elif kind == "jsonl":
            for out in self._jsonl_file(path):
                if isinstance(out, int):
                    count = out
                else:
                    yield out
        else:
            for out in self._parquet_file(path):
                if isinstance(out, int):
                    count = out
                else:
                    yield out
        self._read.inc(count)
        yield beam.pvalue.TaggedOutput(READ_COUNTS, (path, count))

    def _text_file(self, path: str, base: str) -> Iterator:
        article_id = id_from_path(path, base)
        try:
            with _open_input(path) as f:
                data = f.read(self._config.max_file_bytes + 1)
        except (OSError, EOFError, zlib.error) as e:
            yield self._dead("unreadable_file", path, 0, repr(e), article_id=article_id)
            return
        try:
            article = article_from_text_file(data, path, article_id, self._config)
        except BadRecord as e:
            yield self._dead(e.reason, path, 0, e.detail, data[:1000], article_id=article_id)
            return
        self._ok.inc()
        yield article

    def _jsonl_file(self, path: str) -> Iterator:
        """Yields articles / dead letters, and last the number of records read (an int)."""
        record_no = 0
        try:
            with _open_input(path) as lines:
                for line in lines:
                    if not line.strip():
                        continue  # blank lines are not records
                    record_no += 1
                    if len(line) > self._config.max_file_bytes:
                        yield self._dead("record_too_large", path, record_no, f"{len(line)} bytes", line[:1000])
                        continue
                    try:
                        article = article_from_jsonl_line(line, path, record_no, self._config)
                    except BadRecord as e:
                        yield self._dead(e.reason, path, record_no, e.detail, line[:1000], article_id=e.article_id)
                        continue
                    self._ok.inc()
                    yield article
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            # A truncated or corrupt compressed file: what was read stays, the rest is one dead letter.
            record_no += 1
            yield self._dead("corrupt_compressed_file", path, record_no, repr(e))
        yield record_no

    def _parquet_file(self, path: str) -> Iterator:
        import pyarrow.parquet as pq  # only Parquet inputs pay for this import

        record_no = 0
        try:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                parquet = pq.ParquetFile(io.BytesIO(f.read()))
                for batch in parquet.iter_batches(batch_size=1024):
                    for record in batch.to_pylist():
                        record_no += 1
                        try:
                            article = article_from_record(record, path, record_no, self._config)
                        except BadRecord as e:
                            yield self._dead(e.reason, path, record_no, e.detail, repr(record)[:1000],
                                             article_id=e.article_id)
                            continue
                        self._ok.inc()
                        yield article
        except Exception as e:  # pyarrow raises many types for a corrupt file; all mean the same here
            record_no += 1
            yield self._dead("corrupt_parquet_file", path, record_no, repr(e))
        yield record_no


class ReadArticles(beam.PTransform):
    """Globs → articles.

    Input: the pipeline root. Output: a dict of PCollections: ``articles`` (Article),
    ``dead_letters`` (DeadLetter: unreadable files, binary payloads, malformed or text-less records)
    and ``read_counts`` ((input_file, records read)). Metrics: ``read/records_read``,
    ``read/articles_parsed``, ``read/dropped:<reason>``.
    """

    def __init__(self, patterns: list[str], config: ReadConfig) -> None:
        super().__init__()
        self._patterns = sorted(set(patterns))
        self._config = config

    def expand(self, root: beam.pvalue.PBegin) -> dict[str, beam.PCollection]:
        files = (
            root
            | "Globs" >> beam.Create(self._patterns)
            | "Match" >> beam.ParDo(_MatchGlob())
            | "DistinctFiles" >> beam.Distinct()
            | "Spread" >> beam.Reshuffle()
        )
        parsed = files | "Parse" >> beam.ParDo(_ParseFile(self._config)).with_outputs(
            DEAD_LETTERS, READ_COUNTS, main="articles"
        )
        return {"articles": parsed.articles, "dead_letters": parsed[DEAD_LETTERS], "read_counts": parsed[READ_COUNTS]}
