"""The streaming Flex Template, checked without a cloud account: its metadata names only options the
streaming job knows, requires exactly the subscription and the output, and its regexes accept good
values and refuse bad ones; the image's launcher runs the streaming job for it."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from tests.unit.test_deploy import BAD, GOOD, metadata

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def stream_metadata() -> dict:
    return json.loads((DEPLOY / "stream_metadata.json").read_text())


def stream_option_names() -> set[str]:
    from pipelines.options import StorybeamOptions
    from pipelines.stream import StreamOptions

    parser = argparse.ArgumentParser(add_help=False)
    StreamOptions._add_argparse_args(parser)  # noqa: SLF001
    StorybeamOptions._add_argparse_args(parser)  # noqa: SLF001
    return {a.dest for a in parser._actions} - {"input", "date", "output_shards"}  # noqa: SLF001


STREAM_GOOD = {
    "subscription": ["projects/my-project/subscriptions/articles", "projects/news-prod-1/subscriptions/raw.v2"],
    "output": ["gs://news-curated/storybeam-stream"],
    "window_seconds": ["60", "10"],
    "allowed_lateness_seconds": ["3600", "0"],
    "redelivery_window_minutes": ["60", "2.5"],
    "max_message_bytes": ["8388608"],
}
STREAM_BAD = {
    "subscription": ["projects/p/topics/articles", "my-sub", "projects/my-project/subscriptions/"],
    "window_seconds": ["0", "-5", "1m"],
    "allowed_lateness_seconds": ["-1"],
    "max_message_bytes": ["0"],
}


def test_stream_metadata_is_a_streaming_template_of_stream_options_only() -> None:
    m = stream_metadata()
    assert m["streaming"] is True
    names = [p["name"] for p in m["parameters"]]
    assert len(names) == len(set(names))
    assert set(names) <= stream_option_names()
    assert {"subscription", "output", "window_seconds", "redelivery_window_minutes"} <= set(names)
    for p in m["parameters"]:
        assert set(p) >= {"name", "label", "helpText", "isOptional", "regexes"}, p["name"]
        assert p["isOptional"] is (p["name"] not in ("subscription", "output")), p["name"]


def test_stream_metadata_regexes_accept_good_values_and_refuse_bad_ones() -> None:
    batch = {p["name"] for p in metadata()["parameters"]}
    for p in stream_metadata()["parameters"]:
        name = p["name"]
        patterns = [re.compile(r) for r in p["regexes"]]
        good = STREAM_GOOD.get(name) or (GOOD[name] if name in batch else [])
        assert good, f"{name} has no example value"
        for value in good:
            assert all(pat.fullmatch(value) for pat in patterns), (name, value)
        for value in STREAM_BAD.get(name, []) + (BAD.get(name, []) if name not in STREAM_GOOD else []):
            assert not all(pat.fullmatch(value) for pat in patterns), (name, value)


def test_the_launcher_runs_the_stream_job_when_given_a_subscription(monkeypatch) -> None:
    import runpy
    import sys

    import pytest

    from pipelines import events, stream

    called = []
    monkeypatch.setattr(stream, "main", lambda: called.append("stream") or 0)
    monkeypatch.setattr(events, "main", lambda: called.append("batch") or 0)
    for argv, job in ((["--subscription=projects/p/subscriptions/s", "--output=gs://b/o"], "stream"),
                      (["--input=gs://b/x.jsonl", "--output=gs://b/o"], "batch")):
        monkeypatch.setattr(sys, "argv", ["launch.py", *argv])
        with pytest.raises(SystemExit):
            runpy.run_path(str(DEPLOY / "launch.py"), run_name="__main__")
        assert called.pop() == job
