"""One rule for every golden test: locally, missing labelled data skips it; in CI (``CI=true``) any skip
of a golden test is a failure, whatever caused it (a missing file, an empty parameter list built from a
missing file, a ``pytest.skip`` anywhere in the test or its fixtures).

A golden test is a test marked ``golden`` or a test under ``tests/golden/``. ``tests/conftest.py`` installs
the hook below; :func:`require_shared` is how a golden test asks for a labelled file.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STORYBEAM_SHARED") or REPO.parent / "shared")
_GOLDEN_DIR = REPO / "tests" / "golden"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_shared(relative: str | Path = "") -> Path:
    """``SHARED / relative``, which must exist: a golden test that needs it skips without it (fails in CI)."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"labelled data not found: {path} (set STORYBEAM_SHARED to the shared folder)")
    return path


def _is_golden(item: pytest.Item) -> bool:
    if item.get_closest_marker("golden") is not None:
        return True
    try:
        Path(str(item.path)).resolve().relative_to(_GOLDEN_DIR)
    except ValueError:
        return False
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and in_ci() and _is_golden(item):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"golden test skipped in CI (CI=true), which counts as a failure: {reason}"
