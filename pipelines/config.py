"""One JobConfig built from the pipeline options: every stage's frozen config, validated up front."""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions

from pipelines.options import ConfigError, StorybeamOptions
from transforms.article_parsing import ReadConfig
from transforms.boilerplate import BoilerplateConfig
from transforms.describe_articles import DescribeConfig
from transforms.embedding_model import EmbeddingConfig
from transforms.event_clustering import EventClusteringConfig
from transforms.minhash import NearDupConfig

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class JobConfig:
    inputs: tuple[str, ...]
    output: str
    date: str | None = None
    repeat_window_days: int = 30
    copy_window_days: int = 7
    output_shards: int = 1
    grouping_shards: int = 0  # 0: chosen from the input's size when the job runs (grouping_shards_for)
    min_words: int = 3
    progress_seconds: float = 5.0
    embed_accelerator: str | None = None
    read: ReadConfig = field(default_factory=ReadConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    page_metadata: DescribeConfig = field(default_factory=DescribeConfig)
    near_dup: NearDupConfig = field(default_factory=NearDupConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    events: EventClusteringConfig = field(default_factory=EventClusteringConfig)

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ConfigError("no input: give at least one --input GLOB")
        if not self.output:
            raise ConfigError("no output: give --output DIR")
        if self.date is not None:
            if not _DATE.match(self.date):
                raise ConfigError(f"--date must be YYYY-MM-DD, got {self.date!r}")
            try:
                datetime.strptime(self.date, "%Y-%m-%d")
            except ValueError as e:
                raise ConfigError(f"--date {self.date!r} is not a calendar date") from e
        if self.repeat_window_days < 1 or self.copy_window_days < 1:
            raise ConfigError("--repeat_window_days and --copy_window_days must be at least 1")
        if self.output_shards < 1:
            raise ConfigError("--output_shards must be at least 1")
        if self.grouping_shards < 0:
            raise ConfigError("--grouping_shards must be at least 1 (or 0: chosen from the input's size)")
        if self.min_words < 1:
            raise ConfigError("--min_words must be at least 1")
        if self.progress_seconds < 0:
            raise ConfigError("--progress_seconds must be 0 (off) or more")

    @property
    def partition(self) -> str | None:
        return f"dt={self.date}" if self.date else None

    def describe(self) -> dict[str, Any]:
        """Plain-JSON view of every setting, for the run manifest."""
        def plain(value: Any) -> Any:
            if dataclasses.is_dataclass(value):
                # Derived fields (init=False: LSH bands, compiled phrase sets) are not settings.
                return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            if isinstance(value, (list, tuple, frozenset, set)):
                return [plain(v) for v in value]
            if isinstance(value, (str, int, float, bool)) or value is None:
                return value
            return str(value)
        return plain(self)


def _override(config: Any, **values: Any) -> Any:
    """The stage config with the options that were given replaced; validation errors become ConfigError."""
    given = {k: v for k, v in values.items() if v is not None}
    try:
        return dataclasses.replace(config, **given) if given else config
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{type(config).__name__}: {e}") from e


def _default_threads(options: PipelineOptions) -> int | None:
    """Model threads per worker process when the job runs several processes on this machine and
    --torch_threads is not given: the cores shared out, so N processes do not each start one thread
    per core (measured: 2 threads on a core another process is using run slower than 1)."""
    direct = options.view_as(DirectOptions)
    workers = direct.direct_num_workers or 1
    if direct.direct_running_mode in ("multi_processing", "multi_threading") and workers > 1:
        return max(1, (os.cpu_count() or 1) // workers)
    return None


def _default_backend(device: str | None) -> str | None:
    """onnx-int8 (EmbeddingConfig's default) on the CPU; torch when the model is put on another device."""
    return "torch" if device and device != "cpu" else None


def job_config(options: PipelineOptions) -> JobConfig:
    o = options.view_as(StorybeamOptions)
    reference = datetime.now(timezone.utc)
    if o.reference_time:
        try:
            reference = datetime.fromisoformat(o.reference_time).astimezone(timezone.utc)
        except ValueError as e:
            raise ConfigError(f"--reference_time is not an ISO 8601 time: {o.reference_time!r}") from e
    threads = o.torch_threads if o.torch_threads is not None else _default_threads(options)
    return JobConfig(
        inputs=tuple(o.input or ()),
        output=(o.output or "").rstrip("/"),
        date=o.date,
        repeat_window_days=o.repeat_window_days if o.repeat_window_days is not None else 30,
        copy_window_days=o.copy_window_days if o.copy_window_days is not None else 7,
        output_shards=o.output_shards or 1,
        grouping_shards=o.grouping_shards or 0,
        min_words=o.min_words if o.min_words is not None else 3,
        progress_seconds=o.progress_seconds if o.progress_seconds is not None else 5.0,
        embed_accelerator=o.embed_accelerator,
        read=_override(ReadConfig(reference_time=reference), max_article_chars=o.max_article_chars),
        boilerplate=BoilerplateConfig(),
        page_metadata=DescribeConfig(reference_time=reference),
        near_dup=_override(NearDupConfig(), threshold=o.dedup_threshold, num_perm=o.num_perm,
                           shingle_size=o.shingle_size, max_bucket_size=o.max_bucket_size),
        embedding=_override(EmbeddingConfig(), model=o.model, max_seq_length=o.max_seq_length,
                            batch_size=o.embed_batch_size, device=o.embed_device, torch_threads=threads,
                            backend=o.embed_backend or _default_backend(o.embed_device),
                            cache_dir=o.embed_cache_dir),
        events=_override(EventClusteringConfig(), threshold=o.event_threshold, gap_penalty=o.event_gap_penalty,
                         max_time_gap_hours=o.max_time_gap_hours, short_threshold=o.event_short_threshold,
                         full_text_words=o.event_full_text_words),
    )
