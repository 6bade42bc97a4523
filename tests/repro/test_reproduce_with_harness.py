"""The reproduce lines with the dualstore harness loaded, as `nox -s tests-sqlite` runs it:
the failing test's backend is named, and the replay runs on the recorded backend without
being told which."""

from __future__ import annotations

import json
import shlex
import socket
import sys

import pytest

from tests.adopting import adopt, isolate

BACKEND_TESTS = """
from storage.api import WriteContext

def test_creates_a_workspace(db):
    assert db.create_workspace("kept", WriteContext.system()).name == "kept"

def test_sees_its_own_write(db):
    db.create_workspace("one", WriteContext.system())
    assert [w.name for w in db.list_workspaces()] == [], "sees the workspace it created"
"""


@pytest.fixture
def harness_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    isolate(monkeypatch)
    pytester.makepyfile(test_backend=BACKEND_TESTS)
    adopt(pytester)
    return pytester


def failed_ids(result: pytest.RunResult) -> list[str]:
    return sorted(line.split()[1] for line in result.outlines if line.startswith("FAILED "))


def test_failing_backend_test_names_its_backend_and_replays_on_it(
    harness_project: pytest.Pytester,
) -> None:
    first = harness_project.runpytest_subprocess(
        "--backend", "sqlite", "-n", "2", "-p", "randomly", "--randomly-seed=3",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    first.assert_outcomes(passed=1, failed=1)
    assert failed_ids(first) == ["test_backend.py::test_sees_its_own_write[sqlite]"]
    lines = [line for line in first.outlines if line.strip()]
    assert lines[-4] == "reproduce with:"
    assert lines[-2] == "just the failing test:"
    assert shlex.split(lines[-1]) == [
        "python", "-m", "pytest", "-p", "no:xdist", "--dualstore-backend=sqlite",
        "--randomly-seed=3", "test_backend.py::test_sees_its_own_write[sqlite]",
    ]  # fmt: skip

    replay = shlex.split(lines[-3])
    order_file = harness_project.path / replay[3].removeprefix("--replay=")
    recording = json.loads((order_file.parent / "run.json").read_text())
    assert recording["backends"] == ["sqlite"]
    assert recording["seed"] == 3
    # The harness's run directory and the recorded run are one and the same.
    assert f"dualstore: run {order_file.parent.name};" in first.stdout.str()

    # The printed replay, with no --backend/--dualstore-backend: the backend comes from run.json.
    again = harness_project.run(sys.executable, *replay[1:], "-p", "no:cacheprovider")
    assert failed_ids(again) == failed_ids(first)
    assert "backends: sqlite;" in again.stdout.str()
    assert "replaying " in again.stdout.str()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_backend_unavailable_at_start_prints_no_reproduce_lines(
    harness_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    """No test ran: the message naming the cause and the fix is the last thing printed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the run starts
    monkeypatch.setenv("DUALSTORE_POSTGRES_URL", f"postgresql://someone@127.0.0.1:{port}/db")
    result = harness_project.runpytest_subprocess(
        "--backend", "postgres", "--dualstore-db-ready-timeout", "0.5", *workers,
        "-p", "no:cacheprovider",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    output = result.stdout.str() + result.stderr.str()
    assert "is unavailable" in output
    assert "reproduce with:" not in output
    assert not list(harness_project.path.glob(".dualstore/runs/*/reproduce.txt"))
    assert [line for line in result.errlines if line.strip()][-1].lstrip().startswith("Fix:")


def test_nothing_selected_prints_no_reproduce_lines(harness_project: pytest.Pytester) -> None:
    result = harness_project.runpytest_subprocess(
        "--backend", "sqlite", "-k", "nomatch", "-p", "no:cacheprovider"
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()
    assert "reproduce with:" not in result.stdout.str()
