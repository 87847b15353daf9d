"""The cloud deployment, checked without a cloud account: the Dataflow graph, the Flex Template metadata,
the container's pins. Nothing here sends traffic anywhere (any stray GCS call would go to a dead
loopback port, and ``--dry_run`` keeps Beam's option validation from looking up buckets)."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
IMAGE = "europe-west1-docker.pkg.dev/storybeam-test/storybeam/storybeam:1"
GPU = "type:nvidia-tesla-t4;count:1;install-nvidia-driver"
ACCELERATOR_URN = "beam:resources:accelerator:v1"


@pytest.fixture
def no_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"STORAGE_EMULATOR_HOST": "http://127.0.0.1:1", "NO_GCE_CHECK": "true",
                        "GCE_METADATA_HOST": "127.0.0.1:1", "GCE_METADATA_IP": "127.0.0.1:1"}.items():
        monkeypatch.setenv(name, value)


def storybeam_option_names() -> list[str]:
    from pipelines.options import StorybeamOptions

    parser = argparse.ArgumentParser(add_help=False)
    StorybeamOptions._add_argparse_args(parser)  # noqa: SLF001 (Beam's own way to list an options class)
    return [action.dest for action in parser._actions]  # noqa: SLF001


def metadata() -> dict:
    return json.loads((DEPLOY / "metadata.json").read_text())


def pyproject_dependencies() -> dict[str, Requirement]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {Requirement(d).name.lower(): Requirement(d) for d in project["dependencies"]}


def container_requirements() -> dict[str, Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in (DEPLOY / "requirements.txt").read_text().splitlines()]
    reqs = [Requirement(line) for line in lines if line]
    assert len({r.name.lower() for r in reqs}) == len(reqs), "a package is listed twice"
    return {r.name.lower(): r for r in reqs}


# --- the pipeline graph on the Dataflow runner ------------------------------------------------------------

def dataflow_pipeline(extra: list[str]):  # noqa: ANN201
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines import events
    from pipelines.config import job_config

    options = PipelineOptions([
        "--runner=DataflowRunner", "--project=storybeam-test", "--region=europe-west1",
        "--temp_location=gs://storybeam-test-bucket/tmp", f"--sdk_container_image={IMAGE}",
        "--sdk_location=container", "--num_workers=2", "--max_num_workers=8",
        "--machine_type=n2-standard-4", "--dry_run=True",
        "--input=gs://storybeam-test-bucket/raw/*.jsonl", "--output=gs://storybeam-test-bucket/out",
        "--date=2026-03-18", *extra,
    ])
    pipeline = beam.Pipeline(options=options)
    events.build(pipeline, job_config(options), "gs://storybeam-test-bucket/out/_staging/run")
    return pipeline, options


@pytest.mark.usefixtures("no_cloud")
def test_graph_survives_a_runner_api_round_trip_for_dataflow() -> None:
    import apache_beam as beam
    from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner
    from apache_beam.transforms import environments

    pipeline, options = dataflow_pipeline([f"--embed_accelerator={GPU}"])
    assert isinstance(pipeline.runner, DataflowRunner)
    # The default environment the Dataflow runner gives the graph: our image, with the options' hints.
    docker = environments.DockerEnvironment.from_container_image(
        IMAGE, resource_hints=environments.resource_hints_from_options(options))
    proto = pipeline.to_runner_api(default_environment=docker)

    restored = beam.Pipeline.from_runner_api(proto, pipeline.runner, options)
    again = restored.to_runner_api(default_environment=docker)

    def labels(p) -> set[str]:  # noqa: ANN001
        return {t.unique_name for t in p.components.transforms.values()}

    assert labels(again) == labels(proto)
    top = {t.unique_name for t in proto.components.transforms.values() if "/" not in t.unique_name}
    assert {"ReadArticles", "NormalizeArticles", "StripBoilerplate", "DetectNearDuplicates", "EmbedArticles",
            "ClusterEvents", "CanonicalizeEvents", "WriteEventTables"} <= top
    # Every table and the state are written by one grouping step (each WriteToParquet was four stages).
    names = labels(proto)
    assert [n for n in names if n.endswith("/GroupByFile")] == ["WriteEventTables/Write/GroupByFile"]
    assert not [n for n in names if "WriteImpl" in n or "WriteToParquet" in n]

    # Every step runs in our container; only the embedding step asks for the GPU.
    for env in proto.components.environments.values():
        assert env.urn == "beam:env:docker:v1"
        assert IMAGE.encode() in env.payload
    hinted = {t.unique_name for t in proto.components.transforms.values()
              if t.environment_id and ACCELERATOR_URN in
              proto.components.environments[t.environment_id].resource_hints}
    assert hinted and all(name.startswith("EmbedArticles/") for name in hinted), sorted(hinted)
    assert any(name.endswith("/Embed") for name in hinted), sorted(hinted)


@pytest.mark.usefixtures("no_cloud")
def test_without_a_gpu_hint_no_step_asks_for_one() -> None:
    from apache_beam.transforms import environments

    pipeline, options = dataflow_pipeline([])
    proto = pipeline.to_runner_api(default_environment=environments.DockerEnvironment.from_container_image(IMAGE))
    assert not any(ACCELERATOR_URN in env.resource_hints for env in proto.components.environments.values())


# --- Flex Template metadata -------------------------------------------------------------------------------

def test_metadata_names_exactly_the_pipeline_options() -> None:
    names = [p["name"] for p in metadata()["parameters"]]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(storybeam_option_names())


def test_metadata_parameters_are_complete_and_only_input_output_required() -> None:
    for p in metadata()["parameters"]:
        assert set(p) >= {"name", "label", "helpText", "isOptional"}, p["name"]
        assert p["label"].strip() and p["helpText"].strip(), p["name"]
        assert p["isOptional"] is (p["name"] not in ("input", "output")), p["name"]


GOOD = {
    "input": ["gs://news-raw/2026-03-18/*.jsonl", "gs://news_raw.eu/seeds/*/*.txt"],
    "output": ["gs://news-curated/storybeam", "gs://news-curated"],
    "date": ["2026-03-18"],
    "repeat_window_days": ["30", "1"],
    "copy_window_days": ["7"],
    "output_shards": ["1", "16"],
    "grouping_shards": ["1", "4"],
    "max_article_chars": ["200000"],
    "reference_time": ["2026-03-19T00:00:00Z", "2026-03-19T00:00:00+01:00", "2026-03-19"],
    "min_words": ["3"],
    "progress_seconds": ["0", "5", "2.5"],
    "dedup_threshold": ["0.8", "1"],
    "num_perm": ["128"],
    "shingle_size": ["5"],
    "max_bucket_size": ["200"],
    "model": ["packaged:all-MiniLM-L6-v2", "/models/minilm"],
    "embed_backend": ["torch", "onnx", "onnx-int8"],
    "embed_cache_dir": ["/var/cache/storybeam"],
    "max_seq_length": ["128", "256"],
    "embed_batch_size": ["32"],
    "embed_device": ["cpu", "cuda", "cuda:0"],
    "torch_threads": ["2"],
    "embed_accelerator": [GPU, "type:nvidia-l4;count:1;install-nvidia-driver:5xx"],
    "event_threshold": ["0.55", "0.6"],
    "event_gap_penalty": ["0.15", "0"],
    "max_time_gap_hours": ["8760", "36.5"],
    "event_short_threshold": ["0.25", ".2"],
    "event_full_text_words": ["50", "0"],
}
BAD = {
    "input": ["/local/articles.jsonl", "s3://x/y.jsonl"],
    "output": ["out/demo", "gs://news-curated/out/", "gs://news-curated/*"],
    "date": ["18/03/2026", "2026-13-01"],
    "output_shards": ["0", "-1", "two"],
    "grouping_shards": ["0", "-2", "x"],
    "repeat_window_days": ["0", "-3"],
    "progress_seconds": ["-1", "five"],
    "dedup_threshold": ["1.5", "-0.1"],
    "embed_device": ["gpu"],
    "embed_backend": ["int8", "ONNX"],
    "embed_accelerator": ["nvidia-tesla-t4"],
}


def test_metadata_regexes_compile_and_accept_good_values_and_reject_bad_ones() -> None:
    from transforms.embedding_model import PACKAGED_MODEL

    params = {p["name"]: p for p in metadata()["parameters"]}
    assert PACKAGED_MODEL in GOOD["model"]
    assert set(GOOD) == set(params), "every parameter has an example value"
    for name, p in params.items():
        patterns = [re.compile(r) for r in p.get("regexes", [])]
        assert patterns, f"{name} has no regex"
        for value in GOOD[name]:
            assert all(pat.fullmatch(value) for pat in patterns), (name, value)
        for value in BAD.get(name, []):
            assert not all(pat.fullmatch(value) for pat in patterns), (name, value)


# --- the container ----------------------------------------------------------------------------------------

def test_container_requirements_pin_exactly_the_project_dependencies() -> None:
    declared, pinned = pyproject_dependencies(), container_requirements()
    assert sorted(pinned) == sorted(declared)
    for name, req in pinned.items():
        (spec,) = req.specifier  # exactly one specifier: an exact pin
        assert spec.operator == "==", f"{name} is not pinned: {req}"
        assert declared[name].specifier.contains(spec.version, prereleases=True), (
            f"{name}=={spec.version} is outside pyproject's {declared[name].specifier}")
        exact = [s.version for s in declared[name].specifier if s.operator == "=="]
        assert not exact or exact == [spec.version], f"{name}: pyproject pins {exact}, image pins {spec.version}"


def test_dockerfile_base_images_match_the_pinned_beam_and_python() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    beam = str(container_requirements()["apache-beam"].specifier).removeprefix("==")
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M)
    sdk = [f for f in froms if f.startswith("apache/beam_python")]
    assert sdk, froms
    match = re.fullmatch(r"apache/beam_python(\d)\.(\d+)_sdk:(\S+)", sdk[-1])
    assert match and match.group(3) == beam, sdk
    python = f"{match.group(1)}{match.group(2)}"
    assert any(f.startswith(f"gcr.io/dataflow-templates-base/python{python}-template-launcher-base") for f in froms)
    torch = str(container_requirements()["torch"].specifier).removeprefix("==")
    assert f"ARG TORCH_VERSION={torch}" in dockerfile
    assert re.search(r"-c constraints\.txt -r requirements\.txt", dockerfile)
    assert "HF_HUB_OFFLINE=1" in dockerfile
    assert (REPO / "constraints.txt").read_text().split().count(f"torch=={torch}") == 1


# --- scheduling examples ----------------------------------------------------------------------------------

def test_scheduler_examples_pass_only_known_parameters_and_the_logical_date() -> None:
    import ast

    import yaml

    known = {p["name"] for p in metadata()["parameters"]} | {"sdk_container_image"}
    body = json.loads((DEPLOY / "scheduler" / "launch-body.json").read_text())["launchParameter"]
    workflow = yaml.safe_load((DEPLOY / "scheduler" / "workflow.yaml").read_text())
    launch = next(s["launch"] for s in workflow["main"]["steps"] if "launch" in s)
    flow = launch["args"]["body"]["launchParameter"]
    dag = (DEPLOY / "scheduler" / "storybeam_dag.py").read_text()
    ast.parse(dag)
    assert set(body["parameters"]) <= known and set(flow["parameters"]) <= known
    assert {"input", "output", "date"} <= set(body["parameters"]) & set(flow["parameters"])
    assert flow["parameters"]["date"] == "${date}"
    assert '"date": "{{ ds }}"' in dag
    for params in (body["parameters"], flow["parameters"]):
        assert all(re.fullmatch(p["regexes"][0], params[p["name"]]) for p in metadata()["parameters"]
                   if p["name"] in params and "${" not in params[p["name"]])
