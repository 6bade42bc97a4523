"""The nox sessions, run for real through the bootstrap (`./nox`) in a copy of the tree.

- `./nox` makes its venv on first use and passes its arguments to nox;
- a `--postgres-url` argument never reaches nox's echo of the command line;
- a Python that is asked for and missing, or one that the project does not support, fails
  the session (nox exits 1) instead of skipping it (exit 0, no test run);
- `nox -s repro` installs what the recorded session had, so replaying a `nox -s tests` run
  reproduces its real failure and nothing else.

Kept few and small: see support.py for what they share.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from .support import ROOT, copy_tree, run_nox

pytestmark = pytest.mark.timeout(600)

SECRET = "SECRET-p%2Fa%23ss"  # percent-encoded: the password is `SECRET-p/a#ss`
SECRET_URL = f"postgresql://postgres:{SECRET}@127.0.0.1:5432/test"  # trust auth: any works
REDACTED_URL = "URL postgresql://postgres:***@127.0.0.1:5432/test"


#: the per-backend test sessions on this Python (they are parametrized over the Pythons
#: pyproject declares, and this one is among them)
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


def _tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path / "tree")


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}"


def test_bootstrap_makes_its_venv_on_first_use_and_passes_arguments_to_nox(
    tmp_path: Path,
) -> None:
    tree = _tree(tmp_path)
    assert not (tree / ".venv").exists()

    first = run_nox(tree, "-l", tools=None)

    assert first.returncode == 0, _explain(first)
    assert (tree / ".venv" / "bin" / "nox").is_file()
    assert (tree / ".venv" / "bin" / "uv").is_file()  # nox builds the session venvs with it
    assert "first use: creating" in first.stdout
    assert f"- tests-sqlite-{HERE} -> " in first.stdout  # `-l` reached nox
    # The second use only runs nox, and the argument comes through again.
    again = run_nox(tree, "--usage", "repro", tools=None)
    assert again.returncode == 0, _explain(again)
    assert "first use" not in again.stdout
    assert "Replay a recorded test order file" in again.stdout
    # What the bootstrap creates stays out of git.
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", ".venv/bin/nox"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, ".gitignore does not cover .venv/"


def test_postgres_url_argument_is_not_echoed_by_nox(tmp_path: Path, tools_venv: Path) -> None:
    tree = _tree(tmp_path)
    secrets = (SECRET, unquote(SECRET), "SECRET")

    # `=` form, passing; then the separate-value form on a run that fails (nox repeats the
    # command line of a failing command).
    passing = run_nox(
        tree, "-s", f"tests-postgres-{HERE}", "--", "-n", "0", f"--postgres-url={SECRET_URL}",
        "suites/test_health.py", tools=tools_venv,
    )  # fmt: skip
    failing = run_nox(
        tree, "-s", f"tests-postgres-{HERE}", "--", "-n", "0", "--postgres-url", SECRET_URL,
        "suites/test_health.py", "-k", "no_test_has_this_name", tools=tools_venv,
    )  # fmt: skip

    assert passing.returncode == 0, _explain(passing)
    assert failing.returncode == 1, _explain(failing)
    assert "failed with exit code" in failing.stdout
    for result in (passing, failing):
        for secret in secrets:
            assert secret not in result.stdout, _explain(result)
        # The run did use that URL: the harness's header names it, redacted.
        assert REDACTED_URL in result.stdout, _explain(result)


def test_test_sessions_run_on_every_declared_python(tmp_path: Path, tools_venv: Path) -> None:
    tree = _tree(tmp_path)
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    declared = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)
    assert HERE in declared
    # A Python the project declares from now on, and no machine has.
    last = f'"Programming Language :: Python :: {declared[-1]}",'
    assert last in text
    pyproject.write_text(
        text.replace(last, f'{last}\n  "Programming Language :: Python :: 3.99",'),
        encoding="utf-8",
    )

    listed = run_nox(tree, "-l", tools=tools_venv)

    assert listed.returncode == 0, _explain(listed)
    for backend in ("sqlite", "postgres"):
        found = re.findall(rf"^[-*] tests-{backend}-(3\.\d+) -> ", listed.stdout, re.M)
        assert found == [*declared, "3.99"], _explain(listed)


@pytest.mark.parametrize(
    ("args", "session"),
    [
        # a declared Python that is not installed: its per-backend session
        (("-s", "tests-sqlite-3.99"), "tests-sqlite-3.99"),
        # any session, asked to run on a Python that is not installed
        (("-s", "tests", "--force-python", "3.99"), "tests-3.99"),
    ],
    ids=["declared", "forced"],
)
def test_missing_interpreter_fails_the_session(
    tmp_path: Path, tools_venv: Path, args: tuple[str, ...], session: str
) -> None:
    tree = _tree(tmp_path)
    if session != "tests-3.99":  # the project declares 3.99 (and no machine has it)
        pyproject = tree / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        anchor = '"Programming Language :: Python :: 3",'
        assert anchor in text
        pyproject.write_text(
            text.replace(anchor, f'{anchor}\n  "Programming Language :: Python :: 3.99",'),
            encoding="utf-8",
        )

    result = run_nox(tree, *args, tools=tools_venv)

    assert result.returncode == 1, _explain(result)
    assert f"Session {session} failed: Python interpreter 3.99 not found" in result.stdout
    assert "skipped" not in result.stdout


def test_unsupported_python_fails_the_session_with_the_fix(
    tmp_path: Path, tools_venv: Path
) -> None:
    # No older Python is installed here, so the project asks for a newer one: the sessions
    # run on nox's own Python (3.11), which no longer satisfies requires-python.
    tree = _tree(tmp_path)
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in text
    pyproject.write_text(text.replace('">=3.11"', '">=3.99"'), encoding="utf-8")

    result = run_nox(tree, "-s", "tests", tools=tools_venv)

    assert result.returncode == 1, _explain(result)
    assert re.search(r"nox runs on Python 3\.\d+\.\d+ \(.*\) and the sessions use", result.stdout)
    assert "this project needs Python >=3.99" in result.stdout
    assert "--force-python" in result.stdout
    assert "uv pip install" not in result.stdout  # stopped before installing anything


def test_replay_of_a_full_run_installs_what_the_run_had(tmp_path: Path, tools_venv: Path) -> None:
    tree = _tree(tmp_path)
    # Fails on PostgreSQL only; the audit test beside it needs sqlglot, which only the full
    # session installs (a replay without it fails that test too).
    (tree / "suites" / "test_planted_failure.py").write_text(
        "from storage.api import Capability, Database\n\n\n"
        "def test_planted_failure(db: Database) -> None:\n"
        "    assert Capability.SERVER not in db.capabilities\n"
    )
    audit_test = "tests/ci/test_audit_db_access.py::test_real_tree_is_clean"
    url = "postgresql://postgres@127.0.0.1:5432/test"

    run = run_nox(
        tree, "-s", "tests", "--", "-n", "0", "suites/test_planted_failure.py", audit_test,
        tools=tools_venv, DUALSTORE_POSTGRES_URL=url,
    )  # fmt: skip
    assert run.returncode == 1, _explain(run)
    assert "1 failed, 2 passed" in run.stdout, _explain(run)
    [order_file] = re.findall(r"nox -s repro -- (\S+)", run.stdout)
    recording = json.loads((tree / order_file).parent.joinpath("run.json").read_text())
    assert recording["nox_session"] == "tests"

    replay = run_nox(
        tree, "-s", "repro", "--", order_file, tools=tools_venv, DUALSTORE_POSTGRES_URL=url
    )

    assert replay.returncode == 1, _explain(replay)
    failed = re.findall(r"^FAILED (\S+)", replay.stdout, re.MULTILINE)
    assert failed == ["suites/test_planted_failure.py::test_planted_failure[postgres]"], _explain(
        replay
    )
    assert "1 failed, 2 passed" in replay.stdout, _explain(replay)
    assert "ModuleNotFoundError" not in replay.stdout
    assert "No module named" not in replay.stdout


def test_replay_of_a_recording_of_an_unknown_session_is_refused(
    tmp_path: Path, tools_venv: Path
) -> None:
    tree = _tree(tmp_path)
    run_dir = tree / ".dualstore" / "runs" / "20260101T000000_0000"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"seed": 1, "nox_session": "tests-oracle"}))
    (run_dir / "order.txt").write_text("")

    result = run_nox(
        tree, "-s", "repro", "--", ".dualstore/runs/20260101T000000_0000/order.txt",
        tools=tools_venv,
    )  # fmt: skip

    assert result.returncode == 1, _explain(result)
    assert "names the session 'tests-oracle', which this noxfile does not have" in result.stdout
    assert "uv pip install" not in result.stdout


def test_sessions_install_the_locked_versions(tmp_path: Path, tools_venv: Path) -> None:
    tree = _tree(tmp_path)
    lock = tree / "constraints.txt"
    # An older pytest than any resolver would pick today (its hashes dropped with its pin).
    text, count = re.subn(
        r"^pytest==[^\n]*\n(?:    [^\n]*\n)*", "pytest==8.3.5\n", lock.read_text(), flags=re.M
    )
    assert count == 1
    lock.write_text(text)

    result = run_nox(
        tree, "-s", f"tests-sqlite-{HERE}", "--", "-n", "0", "suites/test_health.py",
        tools=tools_venv,
    )  # fmt: skip

    assert result.returncode == 0, _explain(result)
    assert "--constraint constraints.txt" in result.stdout
    assert re.search(r"^platform .* pytest-8\.3\.5,", result.stdout, re.M), _explain(result)
