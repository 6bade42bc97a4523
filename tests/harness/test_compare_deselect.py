"""Tests that compare backends (`dualstore_compare`, `dualstore_handles`) need two of them:
in a run that selects one, they are deselected at collection, counted by pytest as
deselected (never skipped), and the per-backend summary counts the tests that ran."""

from __future__ import annotations

import pytest

from tests.harness.conftest import Inner

COMPARING = """
import pytest


def test_on_each_backend(db):
    pass


def test_compares(dualstore_compare):
    assert dualstore_compare(lambda db: len(db.list_workspaces())) == 0


@pytest.fixture
def both(dualstore_handles):
    return dualstore_handles


def test_drives_every_backend(both):
    assert sorted(both) == ["postgres", "sqlite"]
"""


@pytest.mark.parametrize(
    ("backend", "workers"),
    [("sqlite", ["-n", "0"]), ("postgres", ["-n", "2"])],
    ids=["sqlite-one-process", "postgres-xdist"],
)
def test_one_backend_deselects_the_tests_that_compare_backends(
    inner: Inner, backend: str, workers: list[str]
) -> None:
    inner.pytester.makepyfile(test_comparing=COMPARING)
    result = inner.run_with_url("--backend", backend, *workers)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    if workers == ["-n", "0"]:
        result.assert_outcomes(passed=1, deselected=2)
    else:  # xdist's controller reports what its workers kept, not what they deselected
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["2 workers [1 item]"])
    result.stdout.fnmatch_lines(
        [
            f"dualstore: {backend}: 1 passed, 0 failed, 0 skipped, 0 errors",
            # said under xdist too, where pytest's own summary cannot
            "dualstore: 2 tests that compare backends deselected: they need two backends, "
            f"and this run selects {backend}",
        ]
    )


def test_both_backends_run_them(inner: Inner) -> None:
    inner.pytester.makepyfile(test_comparing=COMPARING)
    result = inner.run_with_url("-n", "0")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=4)
    assert "that compare backends deselected" not in result.stdout.str()
    # the comparing tests ran on no one backend: each backend counts its own test
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 1 passed, 0 failed, 0 skipped, 0 errors",
            "dualstore: postgres: 1 passed, 0 failed, 0 skipped, 0 errors",
        ]
    )
