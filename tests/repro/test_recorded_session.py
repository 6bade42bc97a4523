"""run.json records the nox session whose installs the run had (the noxfile exports it as
DUALSTORE_NOX_SESSION; `nox -s repro` installs that session's packages again), and the
"just the failing test" line names a session that has what the test needs."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from tests.adopting import adopt, isolate

#: the per-backend sessions run on every declared Python; a rerun names this one
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
FAILING = """
def test_fails():
    assert 1 + 1 == 3, "arithmetic is broken"
"""
BACKEND_FAILING = """
def test_sees_its_own_write(db):
    db.create_workspace("one")
    assert [w.name for w in db.list_workspaces()] == [], "sees the workspace it created"
"""


def single_test_line(result: pytest.RunResult) -> list[str]:
    lines = [line for line in result.outlines if line.strip()]
    assert lines[-2] == "just the failing test:", lines[-6:]
    return shlex.split(lines[-1])


def recorded_session(project: pytest.Pytester) -> object:
    [run_dir] = (project.path / ".dualstore" / "runs").iterdir()
    return json.loads((run_dir / "run.json").read_text())["nox_session"]


def test_a_failing_replay_names_the_replayed_session_not_repro(
    repro_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `nox -s repro` runs for a recording of tests-sqlite.
    monkeypatch.setenv("NOX_CURRENT_SESSION", "repro")
    monkeypatch.setenv("DUALSTORE_NOX_SESSION", "tests-sqlite")
    repro_project.makepyfile(test_b=FAILING)

    result = repro_project.runpytest_subprocess("-p", "randomly", "--randomly-seed=5")

    result.assert_outcomes(failed=1)
    assert recorded_session(repro_project) == "tests-sqlite"
    # `nox -s repro -- -n0 ...` would take `-n0` for an order file.
    assert single_test_line(result) == [
        "nox", "-s", f"tests-sqlite-{PYTHON}", "--", "-n0", "--randomly-seed=5",
        "test_b.py::test_fails",
    ]  # fmt: skip


def test_outside_nox_no_session_is_recorded(repro_project: pytest.Pytester) -> None:
    repro_project.makepyfile(test_b=FAILING)
    repro_project.runpytest_subprocess("-p", "randomly", "--randomly-seed=5").assert_outcomes(
        failed=1
    )
    assert recorded_session(repro_project) is None


def _backend_failure_under_nox(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, current: str, recorded: str
) -> pytest.RunResult:
    """A failing SQLite test run as nox session `current` runs it, with the installs of
    the noxfile's row `recorded`, and nothing of the outer run's environment."""
    isolate(monkeypatch)
    monkeypatch.setenv("NOX_CURRENT_SESSION", current)
    monkeypatch.setenv("DUALSTORE_NOX_SESSION", recorded)
    pytester.makepyfile(test_backend=BACKEND_FAILING)
    adopt(pytester)
    result = pytester.runpytest_subprocess(
        "--backend", "sqlite", "-p", "randomly", "--randomly-seed=3", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    return result


def test_a_backend_test_of_the_full_suite_stays_in_the_full_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backend test of a `nox -s tests` run may live under tests/ and need what only the
    # full session installs (the audit's sqlglot, the linters): `tests-<backend>` lacks it.
    result = _backend_failure_under_nox(pytester, monkeypatch, "tests", "tests")

    assert recorded_session(pytester) == "tests"
    assert single_test_line(result) == [
        "nox", "-s", "tests", "--", "--dualstore-backend=sqlite", "-n0", "--randomly-seed=3",
        "test_backend.py::test_sees_its_own_write[sqlite]",
    ]  # fmt: skip


def test_a_backend_test_of_a_per_backend_run_reruns_on_that_python_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `nox -s tests-sqlite` is every declared Python's session: the rerun names this one.
    result = _backend_failure_under_nox(
        pytester, monkeypatch, f"tests-sqlite-{PYTHON}", "tests-sqlite"
    )

    assert single_test_line(result) == [
        "nox", "-s", f"tests-sqlite-{PYTHON}", "--", "-n0", "--randomly-seed=3",
        "test_backend.py::test_sees_its_own_write[sqlite]",
    ]  # fmt: skip
