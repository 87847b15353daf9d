"""Shared test set-up: offline model hub, the shared data folder, a small fake embedder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never reach a model hub or a cloud metadata server.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STORYBEAM_SHARED", REPO.parent / "shared"))
SAMPLE = REPO / "sample"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "seeds").is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set STORYBEAM_SHARED)")
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
