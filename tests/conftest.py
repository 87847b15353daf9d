"""Shared test set-up: offline model hub, the shared data folder, a small fake embedder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never reach a model hub or a cloud metadata server.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")

# Golden tests skip without the labelled data locally and fail in CI (CI=true): see tests/golden_policy.py.
from tests.golden_policy import SHARED, pytest_runtest_makereport, require_shared  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    require_shared("seeds")
    require_shared("eval")
    return SHARED


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def pipeline():
    """A TestPipeline on the in-process runner (the DirectRunner would try to download Prism first)."""
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.testing.test_pipeline import TestPipeline

    return TestPipeline(runner=FnApiRunner())
