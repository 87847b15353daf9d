"""The storybeam batch job: raw articles → clean text → near-duplicate groups → events → Parquet.

``build`` wires the stages; ``run`` checks the configuration, runs the pipeline into a staging folder,
verifies it and publishes it. Run it as ``storybeam run ...`` or ``python -m pipelines.events ...``.
"""
from __future__ import annotations

import dataclasses
import logging
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import (
    DirectOptions,
    GoogleCloudOptions,
    PipelineOptions,
    StandardOptions,
    TypeOptions,
)
from apache_beam.runners.runner import PipelineState

from pipelines import progress, publish, state_store
from pipelines.config import JobConfig, job_config
from pipelines.locking import output_lock
from pipelines.options import ConfigError, JobOptions, unknown_options
from pipelines.process_memory import return_freed_memory
from pipelines.storage_errors import storage_problem
from schemas.records import Article
from schemas.state import event_facts, event_unit, recent_doc
from transforms.article_identity import original_id
from transforms.article_parsing import content_sha1
from transforms.canonicalize_events import CanonicalizeEvents
from transforms.cluster_events import ClusterEvents
from transforms.describe_articles import DescribeArticles
from transforms.detect_near_duplicates import DetectNearDuplicates
from transforms.earlier_copies import MatchEarlierCopies, earlier_anchor
from transforms.embed_articles import EmbedArticles
from transforms.embedding_model import EmbeddingHandler, check_model
from transforms.event_history import CumulateEvents, NextState
from transforms.normalize_articles import NormalizeArticles
from transforms.read_articles import ReadArticles
from transforms.strip_boilerplate import StripBoilerplate
from transforms.write_event_tables import WriteEventTables

LOG = logging.getLogger("storybeam")
LOCAL_RUNNERS = (None, "DirectRunner", "FnApiRunner")


def build(pipeline: beam.Pipeline, config: JobConfig, root: str,
          model_handler: EmbeddingHandler | None = None, count_progress: bool = False,
          earlier_dt: str | None = None, embed: EmbedArticles | None = None) -> dict[str, Any]:
    """Wire the whole job onto ``pipeline``; tables are written under ``root`` (a staging folder).
    A dated run continues from the state snapshot of ``earlier_dt`` (``pipelines/state_store.py``;
    None: nothing earlier) and writes its own snapshot beside its tables. With ``count_progress``,
    side branches count articles per stage for :mod:`pipelines.progress`. ``embed``: the embedding
    step to use (by default one for ``config`` and ``model_handler``)."""
    state = state_store.read_state(pipeline, config.output, earlier_dt)
    seen = state["seen"] | "EarlierSeen" >> beam.Map(lambda r: (r["article_id"], r["text_sha1"]))
    read = pipeline | "ReadArticles" >> ReadArticles(list(config.inputs), config.read)
    normalized = read["articles"] | "NormalizeArticles" >> NormalizeArticles(seen)
    stripped = normalized["articles"] | "StripBoilerplate" >> StripBoilerplate(config.boilerplate, config.min_words)
    # From here on only clean_text is read (dead letters after stripping are none): dropping the raw text
    # halves what every later join and buffer carries per article.
    clean = stripped["articles"] | "ReleaseRawText" >> beam.Map(release_raw_text)
    grouped = clean | "DetectNearDuplicates" >> DetectNearDuplicates(config.near_dup)
    dups = {"dups": grouped["dups"], "representatives": grouped["representatives"],
            "earlier": state["copies"] | "EarlierAnchors" >> beam.Map(earlier_anchor)
            } | "MatchEarlierCopies" >> MatchEarlierCopies(config.near_dup, has_earlier=earlier_dt is not None)
    embed = embed or EmbedArticles(config.embedding, model_handler, config.embed_accelerator)
    embeddings = dups["representatives"] | "EmbedArticles" >> embed
    clustered = {
        "anchors": dups["representatives"], "embeddings": embeddings,
        "earlier_events": state["events"] | "EarlierEvents" >> beam.Map(event_unit),
        "earlier_recent": state["recent"] | "EarlierStories" >> beam.Map(recent_doc),
    } | "ClusterEvents" >> ClusterEvents(config.events, undated_at=partition_time(config.date),
                                         one_off=not config.partition, shards=config.grouping_shards or 1)
    memberships = ((clustered["memberships"], dups["memberships"])
                   | "AllMemberships" >> beam.Flatten())
    # What pages say about themselves goes into the records only: near-duplicate anchors and clustering see
    # the input's own metadata (fed to the clusterer, page dates of follow-up reports split ECB+ events at
    # the time-gap rule: whole-job B3 F1 0.937 -> 0.881). Described from the page text, which is then
    # dropped as on the clustering branch.
    described = (stripped["articles"] | "DescribeArticles" >> DescribeArticles(config.page_metadata)
                 | "ReleaseDescribedText" >> beam.Map(release_raw_text))
    tables = ({"articles": described, "dups": dups["dups"], "events": memberships}
              | "CanonicalizeEvents" >> CanonicalizeEvents())
    history = {
        "events": tables["events"], "merges": clustered["merges"], "state_events": clustered["events"],
        "earlier_facts": state["events"] | "EarlierFacts" >> beam.Map(lambda r: (r["event_id"], event_facts(r))),
    } | "CumulateEvents" >> CumulateEvents(config.date or "", one_off=not config.partition)
    if count_progress:
        for stage, pcoll in zip(progress.STAGES, (read["articles"], clean, embeddings, clustered["memberships"])):
            progress.count_into(pcoll, stage)
    dead_letters = (read["dead_letters"], stripped["dead_letters"]) | "DeadLetters" >> beam.Flatten()
    outputs = {
        "events": history["events"],
        "articles": tables["articles"],
        "dead_letters": dead_letters,
        "event_merges": history["merges"],
        "read_counts": read["read_counts"],
        "collapsed": normalized["collapsed"],
    }
    state_files = {}
    if config.partition:
        nxt = {
            "recent": clustered["recent"],
            # Under the id the record came with, so a redelivered revision is a repeat on a later night.
            "seen_tonight": normalized["articles"] | "SeenTonight" >> beam.Map(
                lambda a: (original_id(a), content_sha1(a.text))),
            "seen_earlier": state["seen"], "dups": dups["dups"], "shingles": dups["shingles"],
            "memberships": clustered["memberships"], "copies_earlier": state["copies"],
            "merges": clustered["merges"],
        } | "NextState" >> NextState(config.date, config.repeat_window_days, config.copy_window_days)
        outputs.update({f"{state_store.STATE}/{t}": rows for t, rows in {"events": history["state_events"], **nxt}.items()})
        state_files = state_store.state_files(root, config.partition)
    written = outputs | "WriteEventTables" >> WriteEventTables(root, config.partition, config.output_shards, state_files)
    return {"tables": written}


# Input bytes per grouping shard when --grouping_shards is not given, and the most shards chosen so.
SHARD_INPUT_BYTES, MAX_AUTO_SHARDS = 64 * 2**20, 8


def grouping_shards_for(input_bytes: int) -> int:
    """Shards for the clustering step's block grouping (``transforms/sharded_grouping.py``): one per
    64 MB of input, 1 to 8. Small runs keep one step (each extra step costs the in-process runner a bundle)."""
    return max(1, min(MAX_AUTO_SHARDS, -(-input_bytes // SHARD_INPUT_BYTES)))


def partition_time(run_date: str | None) -> datetime | None:
    """Where a dated run places stories without a publish time: noon UTC of its date."""
    return datetime.fromisoformat(run_date).replace(hour=12, tzinfo=timezone.utc) if run_date else None


def release_raw_text(article: Article) -> Article:
    return dataclasses.replace(article, text="") if article.clean_text else article


def matched_inputs(patterns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every input file with its size; a glob that matches nothing is a configuration error."""
    files: dict[str, int] = {}
    for pattern in patterns:
        try:
            matches = FileSystems.match([pattern])[0].metadata_list
        except Exception as e:  # each file system raises its own error type for a bad location
            problem = storage_problem(pattern, e, "storage.objects.list and storage.objects.get")
            raise ConfigError(f"cannot read input {pattern!r}: {problem}") from e
        if not matches:
            raise ConfigError(f"input {pattern!r} matched no files")
        files.update((m.path, m.size_in_bytes) for m in matches)
    return [{"path": p, "bytes": s} for p, s in sorted(files.items())]


def check_output_writable(output: str, run_id: str) -> None:
    probe = f"{output}/{publish.STAGING}/.probe-{run_id}"
    try:
        with FileSystems.create(probe) as f:
            f.write(b"ok")
        FileSystems.delete([probe])
    except Exception as e:  # permission, missing bucket, read-only disk: all stop the run here
        problem = storage_problem(output, e, "storage.objects.create and storage.objects.delete")
        raise ConfigError(f"cannot write to output {output!r}: {problem}") from e


def _runner(options: PipelineOptions) -> Any:
    # The in-process runner: the DirectRunner would first try to download the Prism runner binary.
    if options.view_as(StandardOptions).runner in LOCAL_RUNNERS:
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return FnApiRunner()
    return None


def runs_in_this_process(options: PipelineOptions) -> bool:
    """The in-process runner with in-process workers: where a progress board in this process sees the work."""
    return (options.view_as(StandardOptions).runner in LOCAL_RUNNERS
            and options.view_as(DirectOptions).direct_running_mode != "multi_processing")


def counters(result: Any) -> dict[str, int]:
    """Every Beam counter of the run as ``namespace/name`` → value (committed where the runner has it)."""
    out: dict[str, int] = {}
    for c in result.metrics().query().get("counters", []):
        value = c.committed if c.committed is not None else c.attempted
        key = f"{c.key.metric.namespace}/{c.key.metric.name}"
        out[key] = out.get(key, 0) + int(value or 0)
    return dict(sorted(out.items()))


def _code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("storybeam")
    except PackageNotFoundError:
        return "unknown"


def run(argv: list[str] | None = None, model_handler: EmbeddingHandler | None = None) -> dict[str, Any]:
    """Check, run, verify and publish. Returns the run summary. Raises ConfigError before any work."""
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = unknown_options(argv)
    if unknown:
        raise ConfigError(f"unknown option(s): {' '.join(unknown)}")
    options = JobOptions(argv)
    config = job_config(options)
    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    inputs = matched_inputs(config.inputs)
    config = dataclasses.replace(config, grouping_shards=config.grouping_shards or grouping_shards_for(
        sum(i["bytes"] or 0 for i in inputs)))
    if model_handler is None:
        problem = check_model(config.embedding.model)
        if problem:
            raise ConfigError(problem)
    check_output_writable(config.output, run_id)
    # One run per output at a time: the lock covers cleaning leftovers too, or a second run would
    # delete the first one's staging folder.
    with output_lock(config.output):
        return _run_and_publish(options, config, run_id, started, inputs, model_handler)


def _run_and_publish(options: PipelineOptions, config: JobConfig, run_id: str, started: datetime,
                     inputs: list[dict[str, Any]], model_handler: EmbeddingHandler | None) -> dict[str, Any]:
    for path in publish.clean_leftovers(config.output):
        LOG.info("removed leftover of an earlier run: %s", path)
    staging = publish.staging_root(config.output, run_id)
    earlier_dt = state_store.earlier_date(config.output, config.date) if config.date else None
    manifest = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "code_version": _code_version(),
        "partition": config.partition,
        "continues_from": earlier_dt,
        "input_files": inputs,
        "options": config.describe(),
        "schema_versions": publish.schema_versions(),
    }
    # The job's graph is fixed, and tests build it whole with Beam's type check on (tests/unit/test_deploy.py);
    # checking it again on every run cost ~0.3 s of building the graph (README Speed).
    options.view_as(TypeOptions).pipeline_type_check = False
    pipeline = beam.Pipeline(runner=_runner(options), options=options)
    here = runs_in_this_process(options) and not is_template_launch(options)
    embed = EmbedArticles(config.embedding, model_handler, config.embed_accelerator)
    loading = None  # the model, once loaded ahead: this frame holds it until the run ends
    if here:
        return_freed_memory()
        loading = embed.load_in_background()  # while the graph is built and the first stages run
    written = build(pipeline, config, staging, count_progress=here and config.progress_seconds > 0,
                    earlier_dt=earlier_dt, embed=embed)
    if is_template_launch(options):
        _ = (pipeline
             | "Publish:Once" >> beam.Create([None])
             | "Publish" >> beam.ParDo(_PublishWhenWritten(config, staging, manifest),
                                       *[beam.pvalue.AsList(files) for files in written.values()]))
        pipeline.run()
        return {"run_id": run_id, "submitted_as_template": True}
    if here and config.progress_seconds > 0:
        with progress.ProgressPrinter(progress.BOARD, config.progress_seconds):
            result = pipeline.run()
            state = result.wait_until_finish()
    else:
        result = pipeline.run()
        state = result.wait_until_finish()
    if state not in (PipelineState.DONE, None):
        raise RuntimeError(f"pipeline ended in state {state}; nothing was published")
    return verify_and_publish(config, staging, manifest, counters(result))


def verify_and_publish(config: JobConfig, staging: str, manifest: dict[str, Any],
                       run_counters: dict[str, int] | None) -> dict[str, Any]:
    staged = publish.verify_staged(staging, config.partition)
    summary = dict(staged.summary, run_id=manifest["run_id"])
    if run_counters is not None:
        summary["counters"] = run_counters
    manifest = dict(manifest, finished_at=datetime.now(timezone.utc).isoformat(),
                    row_counts={t: staged.tables[t].num_rows for t in staged.tables})
    publish.publish(config.output, staging, config.partition, manifest, summary)
    return summary


class _PublishWhenWritten(beam.DoFn):
    """The job's last step when it is launched as a (Flex) Template: then nobody waits for the job to
    finish, so it verifies and publishes its own staged output once every table's files are final (the
    side inputs are the writers' finalized file names). The summary has no counters there: the runner's
    metrics are only known outside the job."""

    def __init__(self, config: JobConfig, staging: str, manifest: dict[str, Any]) -> None:
        self._config, self._staging, self._manifest = config, staging, manifest

    def process(self, _: Any, *written_files: list[str]) -> Iterable[dict[str, Any]]:
        summary = verify_and_publish(self._config, self._staging, self._manifest, None)
        yield summary["totals"]


def is_template_launch(options: PipelineOptions) -> bool:
    return bool(options.view_as(GoogleCloudOptions).template_location)


def format_summary(summary: dict[str, Any]) -> str:
    if summary.get("submitted_as_template"):
        return (f"storybeam run {summary['run_id']}: pipeline graph written for the template launcher; the job "
                "verifies and publishes its own output as its last step")
    t = summary["totals"]
    lines = [
        f"storybeam run {summary.get('run_id', '')}: {t['records_read']} records read -> "
        f"{t['articles']} articles, {t['dead_letters']} dead letters, {t['collapsed']} repeats collapsed",
        f"{summary['events']} events ({summary['multi_article_events']} with more than one article), "
        f"{summary['near_duplicate_copies']} near-duplicate copies",
        "event sizes: " + (", ".join(f"{k}: {v}" for k, v in summary["event_size_distribution"].items())
                           or "none"),
    ]
    if summary["dead_letter_reasons"]:
        lines.append("dead letters: " + ", ".join(f"{k} x{v}" for k, v in summary["dead_letter_reasons"].items()))
    lines.append("largest events:")
    for e in summary["top_events"]:
        sources = f"  ({', '.join(e['sources'][:4])}{', ...' if len(e['sources']) > 4 else ''})" if e["sources"] else ""
        lines.append(f"  [{e['article_count']:>3}] {e['headline']}{sources}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        summary = run(argv)
    except ConfigError as e:
        print(f"storybeam: error: {e}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
