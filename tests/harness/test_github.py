"""On GitHub Actions, a failing run puts its per-backend table and reproduce lines in the
step summary and one `::error` annotation per failing test on the test's own line (the
runner's variables are set here, as the runner sets them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

FAILING = """
def test_passes(db):
    pass


def test_fails(db):
    assert db is None
"""


def test_a_failing_run_annotates_each_failure_and_writes_the_summary(inner: Inner) -> None:
    inner.pytester.makepyfile(test_gh=FAILING)
    summary = inner.pytester.path / "step-summary.md"
    result = inner.run_with_url(
        "-n", "2", "-p", "randomly", "--randomly-seed=9",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    source = (inner.pytester.path / "test_gh.py").read_text().splitlines()
    def_line = source.index("def test_fails(db):") + 1  # the annotation's line: the test's def
    errors = sorted(line for line in result.outlines if line.startswith("::error "))
    assert len(errors) == 2, result.stdout.str()
    for backend, line in zip(("postgres", "sqlite"), errors, strict=True):
        assert line.startswith(
            f"::error file=test_gh.py,line={def_line},title=test_gh.py%3A%3Atest_fails"
        )
        assert f"test_gh.py::test_fails[{backend}] failed on {backend}. Run it alone: " in line
        assert f"--dualstore-backend={backend} --randomly-seed=9" in line
    text = summary.read_text()
    assert "| backend | passed | failed | skipped | errors | deselected |" in text
    assert "| sqlite | 1 | 1 | 0 | 0 | 0 |" in text
    assert "| postgres | 1 | 1 | 0 | 0 | 0 |" in text
    assert "reproduce with:" in text
    assert "python -m pytest --replay=.dualstore/runs/" in text


def test_off_github_there_are_no_annotations(inner: Inner) -> None:
    inner.pytester.makepyfile(test_gh=FAILING)
    result = inner.run_with_url("-n", "0", env={"GITHUB_ACTIONS": ""})
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert not [line for line in result.outlines if line.startswith("::")]
