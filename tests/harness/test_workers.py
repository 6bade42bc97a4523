"""`-n auto` in a project that opted in starts as many workers as the selected tests'
recorded seconds pay for (dualstore/workers.py), not one per core."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from dualstore.workers import SECONDS_PER_WORKER, usable_cpus

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

TESTS = """
import pytest

@pytest.mark.parametrize("n", range(3))
def test_a(db, n):
    db.ping()
"""


def record(inner: Inner, seconds: dict[str, float]) -> None:
    """A `.test_durations` (pytest-split's) for the project's tests, per backend."""
    durations = {
        f"test_work.py::test_a[{backend}-{n}]": each
        for backend, each in seconds.items()
        for n in range(3)
    }
    (inner.pytester.path / ".test_durations").write_text(json.dumps(durations))


def test_a_run_of_little_work_runs_in_process(inner: Inner) -> None:
    inner.pytester.makepyfile(test_work=TESTS)
    record(inner, {"sqlite": 0.2, "postgres": 0.2})
    result = inner.run("--backend", "sqlite", "-n", "auto")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["dualstore: -n auto: 0 workers for 0.6 s of recorded tests*"])
    assert "created:" not in result.stdout.str()  # no xdist worker was started
    result.assert_outcomes(passed=3)


def test_enough_work_starts_a_worker_per_share_up_to_the_cpus(inner: Inner) -> None:
    inner.pytester.makepyfile(test_work=TESTS)
    record(inner, {"sqlite": SECONDS_PER_WORKER, "postgres": 0.1})
    expected = min(usable_cpus(), 3)
    expected = expected if expected >= 2 else 0
    result = inner.run("--backend", "sqlite", "-n", "auto")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines([f"dualstore: -n auto: {expected} workers for 9.0 s *"])
    if expected:
        result.stdout.fnmatch_lines([f"created: {expected}/{expected} workers"])


def test_only_the_selected_backends_tests_count(inner: Inner) -> None:
    """The PostgreSQL tests' long durations do not start workers for a SQLite run."""
    inner.pytester.makepyfile(test_work=TESTS)
    record(inner, {"sqlite": 0.1, "postgres": 100.0})
    result = inner.run("--backend", "sqlite", "-n", "auto")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["dualstore: -n auto: 0 workers for 0.3 s *"])


@pytest.mark.parametrize("durations", [True, False], ids=["recorded", "no-durations-file"])
def test_xdist_decides_where_told_or_where_nothing_is_recorded(
    inner: Inner, durations: bool
) -> None:
    inner.pytester.makepyfile(test_work=TESTS)
    if durations:
        record(inner, {"sqlite": 0.1, "postgres": 0.1})
    env = {"PYTEST_XDIST_AUTO_NUM_WORKERS": "2"} if durations else {}
    result = inner.run("--backend", "sqlite", "-n", "auto", env=env)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert "-n auto:" not in result.stdout.str()
    workers = 2 if durations else usable_cpus()
    result.stdout.fnmatch_lines([f"created: {workers}/{workers} workers"])
