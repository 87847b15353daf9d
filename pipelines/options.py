"""storybeam's pipeline options: ordinary Beam options, so every runner's flags work beside them.

Stage defaults live in the stage config dataclasses; an option left unset here keeps that default.
"""
from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions, PipelineOptionsT, _BeamArgumentParser


class ConfigError(ValueError):
    """A configuration problem found before any work starts: one clear message, non-zero exit."""


class JobOptions(PipelineOptions):
    """The options a job is built and run with: Beam's, whose views are made once per options class.

    Beam's ``view_as`` parses the flags again, with a new argparse parser, on every call, and building a
    graph calls it for every transform applied: ~2,500 times for the nightly job, 1.4 of its 2.3 s of
    building (one-off timing of ``events.build``, 2026-12-06). Every view reads and writes the one set of values it shares with the options
    (``_all_options``), so a view made once is the view made again.
    """

    def view_as(self, cls: type[PipelineOptionsT]) -> PipelineOptionsT:
        views = self.__dict__.setdefault("_storybeam_views", {})
        if cls not in views:
            views[cls] = super().view_as(cls)
        return views[cls]


class StorybeamOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:  # noqa: ANN001 (Beam's signature)
        io = parser.add_argument_group("input and output")
        io.add_argument("--input", action="append", default=None,
                        help="Glob of input files, local or gs:// (.txt one article per file; .jsonl, "
                             ".jsonl.gz, .parquet records). Repeat for several globs.")
        io.add_argument("--output", default=None, help="Output folder, local or gs://.")
        io.add_argument("--date", default=None,
                        help="Logical date YYYY-MM-DD: output goes to Hive partitions <table>/dt=DATE/ "
                             "and only that partition is replaced. A dated run continues from the state of "
                             "the latest earlier date in the same --output (repeats, copies, events).")
        io.add_argument("--repeat_window_days", type=int, default=None,
                        help="Dated runs and streams: a record whose id and text were ingested in the last this "
                             "many partitions (days, in a stream) is counted as a repeat, not a new article "
                             "(default 30).")
        io.add_argument("--copy_window_days", type=int, default=None,
                        help="Dated runs and streams: an article that copies an anchor of the last this many "
                             "partitions (days, in a stream) joins that copy group and its event (default 7).")
        io.add_argument("--output_shards", type=int, default=None,
                        help="Parquet files per table (default 1; raise it on Dataflow for big runs).")
        io.add_argument("--grouping_shards", type=int, default=None,
                        help="Group the clustering step's time blocks in this many grouping steps (default: one per "
                             "64 MB of input, 1 to 8). The results are the same; the in-process runner holds one "
                             "step's share at a time.")
        io.add_argument("--max_article_chars", type=int, default=None,
                        help="Articles longer than this are cut (with a note). Default 200000.")
        io.add_argument("--reference_time", default=None,
                        help="ISO time that published_at values may not be far after (default: now).")
        io.add_argument("--progress_seconds", type=float, default=None,
                        help="Print progress (articles read / stripped / embedded / clustered, rate, elapsed) "
                             "to stderr every this many seconds on the in-process runner; 0 turns it off "
                             "(default 5).")

        clean = parser.add_argument_group("boilerplate")
        clean.add_argument("--min_words", type=int, default=None,
                           help="Articles with fewer words left after stripping are dead letters (default 3).")

        dedup = parser.add_argument_group("near-duplicates")
        dedup.add_argument("--dedup_threshold", type=float, default=None,
                           help="Word-shingle Jaccard at or above which two articles are copies.")
        dedup.add_argument("--num_perm", type=int, default=None, help="MinHash permutations.")
        dedup.add_argument("--shingle_size", type=int, default=None, help="Words per shingle.")
        dedup.add_argument("--max_bucket_size", type=int, default=None,
                           help="LSH buckets above this size are capped (and counted).")

        embed = parser.add_argument_group("embeddings")
        embed.add_argument("--model", default=None,
                           help="sentence-transformers model folder (default: the packaged all-MiniLM-L6-v2).")
        embed.add_argument("--embed_backend", default=None,
                           help="onnx-int8 (default on the cpu: ONNX Runtime, 7-bit int8 weights with per-channel "
                                "quantisation, 3-8x torch's CPU rate by CPU), onnx (ONNX Runtime, torch's vectors) or "
                                "torch (sentence-transformers; the default with --embed_device cuda).")
        embed.add_argument("--max_seq_length", type=int, default=None,
                           help="Max tokens per article (default 128; 256 reads more of each article at half the speed).")
        embed.add_argument("--embed_cache_dir", default=None,
                           help="Folder for the ONNX backends' exported models (default $STORYBEAM_CACHE or "
                                "~/.cache/storybeam).")
        embed.add_argument("--embed_batch_size", type=int, default=None, help="Texts per model call (default 32).")
        embed.add_argument("--embed_device", default=None, help="torch device for the model (default cpu).")
        embed.add_argument("--torch_threads", type=int, default=None,
                           help="torch or ONNX Runtime threads per worker process (default: the library's "
                                "choice, every core).")
        embed.add_argument("--embed_accelerator", default=None,
                           help="Beam resource hint for the embedding step, e.g. "
                                "'type:nvidia-tesla-t4;count:1;install-nvidia-driver'.")

        events = parser.add_argument_group("events")
        events.add_argument("--event_threshold", type=float, default=None,
                            help="Similarity an article needs to its event as a whole to join it (default 0.64).")
        events.add_argument("--event_gap_penalty", type=float, default=None,
                            help="How fast the evidence two stories need grows with the time between them: "
                                 "threshold x (1 + penalty x ln(1 + days)) (default 0.2; 0 turns it off).")
        events.add_argument("--max_time_gap_hours", type=float, default=None,
                            help="An event's known publish times never span more than this (default 8760, "
                                 "a year); also how long an event stays in the state of incremental runs.")
        events.add_argument("--event_short_threshold", type=float, default=None,
                            help="Threshold for headline-length texts; texts shorter than --event_full_text_words "
                                 "get a threshold between this and --event_threshold (default 0.25).")
        events.add_argument("--event_full_text_words", type=int, default=None,
                            help="Texts with at least this many words count as full articles (default 50; "
                                 "0 turns the length rule off).")


def unknown_options(argv: list[str]) -> list[str]:
    """The flags in argv that no Beam or storybeam option class knows."""
    parser = _BeamArgumentParser(allow_abbrev=False)
    seen: dict[str, type] = {}
    for cls in PipelineOptions.__subclasses__():
        seen.setdefault(str(cls), cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)  # noqa: SLF001 (Beam's own way to collect every option)
    _, unknown = parser.parse_known_args(argv)
    return [arg for arg in unknown if arg.startswith("-")]
