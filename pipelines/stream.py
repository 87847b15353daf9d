"""The storybeam streaming job: articles from Pub/Sub in, windowed Parquet event records out.

``build_stream`` wires the same stage composites as the batch job (``pipelines/events.py``), per fixed
window of publish time: messages → articles or dead letters → normalise → strip → near-duplicates →
embed → event assignment against the live events and recent stories kept in Beam state
(``transforms/stream_events.py``: a group whose anchor copies an anchor of the last ``--copy_window_days``
joins that group and event, as in incremental runs; the others go through ``transforms.event_state.advance``,
the engine of the batch job and of incremental runs) → event and article rows → one Parquet file per table and window
(``transforms/write_window_tables.py``). Pub/Sub delivers at least once: a message id seen again within
``--redelivery_window_minutes`` is counted as a duplicate delivery and processed once; an article id
with the same text as one ingested in the last ``--repeat_window_days`` is counted as a repeat.

Run it as ``storybeam stream --subscription projects/P/subscriptions/S --output DIR`` (locally on
Beam's streaming direct runner, ``BundleBasedDirectRunner``; set ``PUBSUB_EMULATOR_HOST`` for the
emulator) or with ``--runner DataflowRunner --streaming`` and the usual Dataflow options.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.transforms import trigger
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import FixedWindows, TimestampedValue
from apache_beam.utils.timestamp import Duration, Timestamp
from apache_beam.utils.windowed_value import PaneInfoTiming

from pipelines.config import JobConfig, job_config
from pipelines.events import check_output_writable, release_raw_text
from pipelines.options import ConfigError, JobOptions, StorybeamOptions, unknown_options
from pipelines.process_memory import return_freed_memory
from schemas.records import Article
from schemas.stream import DELIVERIES_SCHEMA, DELIVERY_CATEGORIES
from schemas.tables import SCHEMAS
from transforms.article_identity import original_id
from transforms.article_parsing import content_sha1
from transforms.canonicalize_events import CanonicalizeEvents
from transforms.describe_articles import DescribeArticles
from transforms.detect_near_duplicates import DetectNearDuplicates
from transforms.earlier_copies import JoinEarlierGroups
from transforms.embed_articles import EmbedArticles
from transforms.embedding_model import EmbeddingHandler, check_model
from transforms.first_per_key import FirstPerKey
from transforms.normalize_articles import NormalizeArticles
from transforms.parse_messages import ParseMessages
from transforms.revised_texts import NoteRevisedTexts
from transforms.stream_events import AdvanceEvents, CumulateStreamEvents
from transforms.strip_boilerplate import StripBoilerplate
from transforms.write_window_tables import WriteWindowTables, window_end, window_start

LOG = logging.getLogger("storybeam")
LOCAL_RUNNERS = (None, "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")
STREAM_TABLES = {**{t: SCHEMAS[t] for t in ("articles", "events", "dead_letters", "event_merges")},
                 "deliveries": DELIVERIES_SCHEMA}


class StreamOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:  # noqa: ANN001 (Beam's signature)
        s = parser.add_argument_group("streaming")
        s.add_argument("--subscription", default=None,
                       help="Pub/Sub subscription to read: projects/P/subscriptions/S. Each message is one "
                            "JSON article like a line of a .jsonl input.")
        s.add_argument("--window_seconds", type=int, default=None,
                       help="Fixed windows of publish time: one batch of stories and one Parquet file per "
                            "table per window (default 60).")
        s.add_argument("--allowed_lateness_seconds", type=int, default=None,
                       help="A message read this long after its window closed is still processed, in the "
                            "window of its arrival (with a note); later ones are dropped by the runner, which "
                            "counts them (default 3600).")
        s.add_argument("--redelivery_window_minutes", type=float, default=None,
                       help="A message id delivered again within this many minutes is a counted duplicate "
                            "delivery, processed once (default 60).")
        s.add_argument("--max_message_bytes", type=int, default=None,
                       help="Larger messages are dead letters (default 8388608; Pub/Sub allows 10 MB).")


@dataclass(frozen=True)
class StreamConfig:
    job: JobConfig  # the batch job's settings; its input is the subscription
    subscription: str
    window_seconds: int = 60
    allowed_lateness_seconds: int = 3600
    redelivery_window_minutes: float = 60.0
    max_message_bytes: int = 8 * 1024 * 1024

    def __post_init__(self) -> None:
        parts = self.subscription.split("/")
        if len(parts) != 4 or parts[0] != "projects" or parts[2] != "subscriptions" or not all(parts):
            raise ConfigError(f"--subscription must be projects/PROJECT/subscriptions/NAME, got {self.subscription!r}")
        if self.window_seconds < 1:
            raise ConfigError("--window_seconds must be at least 1")
        if self.allowed_lateness_seconds < 0:
            raise ConfigError("--allowed_lateness_seconds must be 0 or more")
        if self.redelivery_window_minutes <= 0:
            raise ConfigError("--redelivery_window_minutes must be positive")
        if self.max_message_bytes < 1:
            raise ConfigError("--max_message_bytes must be positive")
        if self.job.date is not None:
            raise ConfigError("--date is for batch runs; a stream partitions by window (dt=D/hour=H)")

    def windowing(self) -> Callable[[], beam.PTransform]:
        """A fresh ``WindowInto`` of the job's windows: fixed windows that fire when the watermark passes
        their end, and once more for each late element within the allowed lateness. Late articles go on
        in the window of their arrival (``LateToArrival``), so no late pane has to meet at a join."""
        def window_into() -> beam.PTransform:
            return beam.WindowInto(
                FixedWindows(self.window_seconds),
                trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
                accumulation_mode=trigger.AccumulationMode.DISCARDING,
                allowed_lateness=Duration(seconds=self.allowed_lateness_seconds))
        return window_into


def stream_config(options: PipelineOptions) -> StreamConfig:
    s = options.view_as(StreamOptions)
    if not s.subscription:
        raise ConfigError("no subscription: give --subscription projects/P/subscriptions/S")
    o = options.view_as(StorybeamOptions)
    if o.input:
        raise ConfigError("--input is for batch runs; a stream reads --subscription")
    o.input = [s.subscription]
    try:
        job = job_config(options)
    finally:
        o.input = None
    if not o.reference_time:  # each message's publish time is its reference (ParseMessages)
        job = dataclasses.replace(job, read=dataclasses.replace(job.read, reference_time=None),
                                  page_metadata=dataclasses.replace(job.page_metadata, reference_time=None))
    return StreamConfig(
        job=job,
        subscription=s.subscription,
        window_seconds=s.window_seconds if s.window_seconds is not None else 60,
        allowed_lateness_seconds=s.allowed_lateness_seconds if s.allowed_lateness_seconds is not None else 3600,
        redelivery_window_minutes=s.redelivery_window_minutes if s.redelivery_window_minutes is not None else 60.0,
        max_message_bytes=s.max_message_bytes if s.max_message_bytes is not None else 8 * 1024 * 1024,
    )


def _message_key(message: Any) -> str:
    return message.message_id or "sha1:" + hashlib.sha1(message.data or b"").hexdigest()


def _count(pcoll: beam.PCollection, category: str) -> beam.PCollection:
    return pcoll | f"Count:{category}" >> beam.Map(lambda _: (category, 1))


def _deliveries_row(element: tuple[Any, Any], window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam
                    ) -> dict[str, Any]:
    _, counts = element
    row = {c: 0 for c in DELIVERY_CATEGORIES}
    for category, n in counts:
        row[category] += n
    return dict(row, window_start=window_start(window), window_end=window_end(window), pane_index=pane.index)


class LateToArrival(beam.DoFn):
    """An article that came after its window had fired (a late pane of the first grouping step) goes on
    in the window of its arrival, with a note naming the window of its publish time: one late pane does
    not travel through every later join, where its two sides could fire apart."""

    def process(self, article: Article, pane=beam.DoFn.PaneInfoParam, window=beam.DoFn.WindowParam
                ) -> Iterable[Any]:
        if pane.timing != PaneInfoTiming.LATE:
            yield article
            return
        Metrics.counter("stream", "late_articles_to_arrival_window").inc()
        note = f"late:published_in_window:{window_start(window):%Y-%m-%dT%H:%M:%SZ}"
        yield TimestampedValue(dataclasses.replace(article, repair_notes=article.repair_notes + (note,)),
                               max(Timestamp.now(), window.end))


def build_stream(messages: beam.PCollection, config: StreamConfig, root: str,
                 model_handler: EmbeddingHandler | None = None) -> dict[str, beam.PCollection]:
    """Wire the streaming job onto ``messages`` (PubsubMessage with ``data`` and ``message_id``, timestamped
    by publish time); tables are written under ``root``. Returns each table's written paths."""
    job = config.job
    window = config.windowing()
    pipeline = messages.pipeline
    delivered = messages | "KeyByMessageId" >> beam.Map(lambda m: (_message_key(m), m)) \
        | "FirstDelivery" >> FirstPerKey(config.redelivery_window_minutes * 60, "deliveries")
    parsed = delivered["first"] | "ParseMessages" >> ParseMessages(
        config.subscription, job.read, config.max_message_bytes)
    nothing_seen = pipeline | "NothingSeen" >> beam.Create([]) | "WindowNothingSeen" >> window()
    normalized = (parsed["articles"] | "Window" >> window()
                  | "NormalizeArticles" >> NormalizeArticles(nothing_seen))
    # An article id with the same text as one ingested earlier (another message, an earlier window): a repeat.
    ingested = (normalized["articles"]
                | "LateToArrival" >> beam.ParDo(LateToArrival())
                | "KeyByText" >> beam.Map(lambda a: (f"{original_id(a)}\n{content_sha1(a.text)}", a))
                | "FirstIngest" >> FirstPerKey(job.repeat_window_days * 86400.0, "repeats"))
    # An id taken in earlier with another text: the site revised the article (renamed, as in nightly runs).
    revised = ingested["first"] | "NoteRevisedTexts" >> NoteRevisedTexts(job.repeat_window_days * 86400.0)
    stripped = (revised | "WindowIngested" >> window()
                | "StripBoilerplate" >> StripBoilerplate(job.boilerplate, job.min_words))
    clean = stripped["articles"] | "ReleaseRawText" >> beam.Map(release_raw_text)
    grouped = clean | "DetectNearDuplicates" >> DetectNearDuplicates(job.near_dup)
    embeddings = grouped["representatives"] | "EmbedArticles" >> EmbedArticles(
        job.embedding, model_handler, job.embed_accelerator)
    advanced = ({"anchors": grouped["representatives"], "embeddings": embeddings}
                | "AdvanceEvents" >> AdvanceEvents(job.events, window, job.near_dup, job.copy_window_days))
    # A window's group whose anchor copies an earlier window's anchor: every member is that anchor's copy.
    dups = {"dups": grouped["dups"], "matched": advanced["copied"]} | "JoinEarlierGroups" >> JoinEarlierGroups()
    described = (stripped["articles"] | "DescribeArticles" >> DescribeArticles(job.page_metadata)
                 | "ReleaseDescribedText" >> beam.Map(release_raw_text))
    tables = ({"articles": described, "dups": dups, "events": advanced["memberships"]}
              | "CanonicalizeEvents" >> CanonicalizeEvents())
    history = ({"events": tables["events"], "merges": advanced["merges"], "live": advanced["live"]}
               | "CumulateEvents" >> CumulateStreamEvents(window))
    dead_letters = ((parsed["dead_letters"] | "WindowDeadLetters" >> window(), stripped["dead_letters"])
                    | "DeadLetters" >> beam.Flatten())
    counts = (
        (_count(messages | "WindowDeliveries" >> window(), "deliveries"),
         _count(delivered["again"] | "WindowAgain" >> window(), "duplicate_deliveries"),
         _count(normalized["collapsed"], "repeats"),
         _count(ingested["again"] | "WindowRepeats" >> window(), "repeats:earlier"),
         _count(dead_letters, "dead_letters"),
         _count(tables["articles"], "articles"))
        | "AllCounts" >> beam.Flatten()
        | "Category" >> beam.Map(lambda kv: (kv[0].split(":")[0], kv[1]))
        | "SumPerCategory" >> beam.CombinePerKey(sum)
        | "OneRow" >> beam.Map(lambda kv: (None, kv))
        | "GroupCounts" >> beam.GroupByKey()
        | "DeliveriesRow" >> beam.Map(_deliveries_row)
    )
    return {
        "articles": tables["articles"],
        "events": history["events"],
        "dead_letters": dead_letters,
        "event_merges": history["merges"],
        "deliveries": counts,
    } | "WriteWindowTables" >> WriteWindowTables(root, STREAM_TABLES)


def _runner(options: PipelineOptions) -> Any:
    """Beam's streaming direct runner locally (the FnApiRunner is batch only; the plain DirectRunner would
    first try to download Prism); the runner named by --runner otherwise."""
    if options.view_as(StandardOptions).runner in LOCAL_RUNNERS:
        from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner

        return BundleBasedDirectRunner()
    return None


def start(argv: list[str], model_handler: EmbeddingHandler | None = None) -> tuple[Any, StreamConfig]:
    """Check the options, build the job and start it; returns the running job's result (cancel it to
    stop a local job) and its configuration. Raises ConfigError before any work."""
    unknown = unknown_options(argv)
    if unknown:
        raise ConfigError(f"unknown option(s): {' '.join(unknown)}")
    options = JobOptions(argv)
    config = stream_config(options)
    options.view_as(StandardOptions).streaming = True
    if model_handler is None:
        problem = check_model(config.job.embedding.model)
        if problem:
            raise ConfigError(problem)
    check_output_writable(config.job.output, "stream")
    if options.view_as(StandardOptions).runner in LOCAL_RUNNERS:
        return_freed_memory()  # a local job runs for days: what a window frees goes back to the OS
    pipeline = beam.Pipeline(runner=_runner(options), options=options)
    messages = pipeline | "ReadFromPubSub" >> beam.io.ReadFromPubSub(
        subscription=config.subscription, with_attributes=True)
    build_stream(messages, config, config.job.output, model_handler)
    return pipeline.run(), config


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops a local job like Ctrl-C: cancelled, not killed mid-write


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        result, config = start(argv)
    except ConfigError as e:
        print(f"storybeam: error: {e}", file=sys.stderr)
        return 2
    print(f"storybeam stream: reading {config.subscription}, {config.window_seconds} s windows, "
          f"tables under {config.job.output} (Ctrl-C stops a local job)", file=sys.stderr)
    if _runner(PipelineOptions(argv)) is None:
        return 0  # submitted to a remote runner: the job runs there until drained or cancelled
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        result.wait_until_finish()
    except KeyboardInterrupt:
        print("storybeam stream: stopping", file=sys.stderr)
        result.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
