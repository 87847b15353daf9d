"""The golden-test policy (tests/golden_policy.py): a golden test that cannot find its labelled data
skips locally and fails in CI, however it skips."""
from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

_CONFTEST = "from tests.golden_policy import pytest_runtest_makereport  # noqa: F401\n"
_TESTS = '''
import pytest
from tests.golden_policy import require_shared

@pytest.mark.golden
def test_needs_a_missing_file():
    require_shared("eval/no-such-set.jsonl")

@pytest.mark.golden
@pytest.mark.parametrize("line", [])   # a parameter list built from a file that is not there
def test_cases_from_a_missing_file(line):
    pass

@pytest.mark.golden
def test_passes():
    pass

def test_not_golden_may_skip():
    pytest.skip("not a golden test")
'''


@pytest.mark.parametrize(("ci", "outcomes"), [
    ("", {"passed": 1, "skipped": 3}),
    ("true", {"passed": 1, "failed": 1, "errors": 1, "skipped": 1}),  # the empty list fails at set-up
])
def test_golden_skips_fail_only_in_ci(pytester, monkeypatch, ci, outcomes):
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(_CONFTEST)
    pytester.makepyfile(test_policy=_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-o", "markers=golden: golden")
    result.assert_outcomes(**outcomes)
    if ci:
        result.stdout.fnmatch_lines(["*golden test skipped in CI (CI=true)*no-such-set.jsonl*"])
