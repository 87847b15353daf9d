from __future__ import annotations

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.config import job_config
from pipelines.options import ConfigError, unknown_options


def config(*argv):
    return job_config(PipelineOptions(list(argv)))


def test_options_reach_the_stage_configs():
    c = config("--input", "a/*.txt", "--input", "b.jsonl", "--output", "out/", "--dedup_threshold", "0.8",
               "--max_seq_length", "128", "--event_threshold", "0.6", "--date", "2026-03-01")
    assert c.inputs == ("a/*.txt", "b.jsonl")
    assert c.output == "out"
    assert (c.near_dup.threshold, c.embedding.max_seq_length, c.events.threshold) == (0.8, 128, 0.6)
    assert c.partition == "dt=2026-03-01"
    assert (c.grouping_shards, config("--input", "x", "--output", "o", "--grouping_shards", "3").grouping_shards) == (0, 3)


@pytest.mark.parametrize("argv,message", [
    ((), "no input"),
    (("--input", "x"), "no output"),
    (("--input", "x", "--output", "o", "--date", "2026-02-30"), "not a calendar date"),
    (("--input", "x", "--output", "o", "--date", "yesterday"), "YYYY-MM-DD"),
    (("--input", "x", "--output", "o", "--max_seq_length", "4"), "max_seq_length"),
    (("--input", "x", "--output", "o", "--reference_time", "soon"), "reference_time"),
    (("--input", "x", "--output", "o", "--embed_backend", "int8"), "backend must be one of torch, onnx, onnx-int8"),
    (("--input", "x", "--output", "o", "--embed_backend", "onnx", "--embed_device", "cuda"), "cpu device only"),
    (("--input", "x", "--output", "o", "--grouping_shards", "-1"), "grouping_shards must be at least 1"),
])
def test_bad_configuration_is_one_clear_error(argv, message):
    with pytest.raises(ConfigError, match=message):
        config(*argv)


def test_unknown_options_are_found_and_beam_options_are_known():
    assert unknown_options(["--input", "x", "--runner", "DirectRunner", "--direct_num_workers", "2",
                            "--max_num_workers", "5", "--bogus", "1"]) == ["--bogus"]


def test_event_length_rule_options():
    c = config("--input", "x", "--output", "o", "--event_short_threshold", "0.3", "--event_full_text_words", "0")
    assert (c.events.short_threshold, c.events.full_text_words) == (0.3, 0)


def test_embedding_backend_options():
    c = config("--input", "x", "--output", "o", "--embed_backend", "torch", "--max_seq_length", "256",
               "--embed_cache_dir", "/tmp/exports", "--torch_threads", "2")
    assert (c.embedding.backend, c.embedding.max_seq_length, c.embedding.cache_dir, c.embedding.torch_threads) == (
        "torch", 256, "/tmp/exports", 2)
    default = config("--input", "x", "--output", "o").embedding
    assert (default.backend, default.max_seq_length) == ("onnx-int8", 128)
    # A GPU runs torch unless a backend is named (the ONNX backends are CPU-only: naming one is an error).
    assert config("--input", "x", "--output", "o", "--embed_device", "cuda").embedding.backend == "torch"
    with pytest.raises(ConfigError, match="cpu device only"):
        config("--input", "x", "--output", "o", "--embed_device", "cuda", "--embed_backend", "onnx-int8")


def test_model_threads_are_shared_out_between_local_worker_processes(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    base = ("--input", "x", "--output", "o")
    assert config(*base).embedding.torch_threads == 0  # one process: the library's default, every core
    multi = base + ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
    assert config(*multi).embedding.torch_threads == 4
    assert config(*multi, "--torch_threads", "1").embedding.torch_threads == 1


def test_the_readme_options_table_lists_every_option_with_its_default():
    """The README's Options table is the user's reference: every option is a row, and where the option's
    help names a default, the table's default column starts with the same value."""
    import argparse
    import re
    from pathlib import Path

    from pipelines.options import StorybeamOptions

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("### Options"):readme.index("### Input")]
    rows = {m.group(1): m.group(2).strip() for m in re.finditer(r"^\| `--(\w+)` \| ([^|]*) \|", table, re.M)}
    parser = argparse.ArgumentParser(add_help=False)
    StorybeamOptions._add_argparse_args(parser)  # noqa: SLF001
    options = {a.dest: a.help or "" for a in parser._actions}  # noqa: SLF001
    assert set(rows) == set(options)
    for name, help_text in options.items():
        stated = re.search(r"\(default (-?[0-9.]+)", help_text)
        if stated:
            assert rows[name].split()[0] == stated.group(1), name


def test_job_options_make_each_view_once_and_share_its_values():
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions, TypeOptions

    from pipelines.options import JobOptions, StorybeamOptions

    argv = ["--input", "a.jsonl", "--output", "out", "--direct_num_workers", "2", "--max_seq_length", "64",
            "--reference_time", "2026-12-06T00:00:00+00:00"]
    options, plain = JobOptions(argv), PipelineOptions(argv)
    assert options.view_as(TypeOptions) is options.view_as(TypeOptions)
    assert options.view_as(StorybeamOptions).input == plain.view_as(StorybeamOptions).input == ["a.jsonl"]
    assert options.view_as(DirectOptions).direct_num_workers == 2
    assert job_config(options) == job_config(plain)
    # A value set through one view is seen through every other, and by the runner (get_all_options).
    options.view_as(TypeOptions).pipeline_type_check = False
    options.view_as(StandardOptions).streaming = True
    assert options.get_all_options()["pipeline_type_check"] is False
    assert options.get_all_options()["streaming"] is True
    assert unknown_options(argv) == []
