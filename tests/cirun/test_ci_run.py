"""`.ci/run` fails when the audit fails and when one backend's suites fail.

Each test copies the working tree, plants one fault, and runs the real `.ci/run` (limited
to the step under test with DUALSTORE_CI_STEPS) in the copy, as CI would.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .support import TOOLS_VENV_ENV, clean_env, copy_tree

SERVICE_URL = "postgresql://postgres@127.0.0.1:5432/test"

pytestmark = pytest.mark.timeout(900)


def _ci_run(tree: Path, steps: str, tools: Path) -> subprocess.CompletedProcess[str]:
    # The run's shared tools venv stands in for the one ./nox would make on first use
    # (test_nox_sessions.py tests that first use).
    env = clean_env(
        DUALSTORE_CI_STEPS=steps,
        DUALSTORE_CI_SERVICE_URL=SERVICE_URL,
        **{TOOLS_VENV_ENV: str(tools)},
    )
    return subprocess.run(
        ["bash", ".ci/run"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )


def test_ci_run_fails_when_the_audit_fails(tmp_path: Path, tools_venv: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    planted = tree / "suites" / "planted_driver_use.py"
    # a driver imported by name: the audit's (the import statement would be ruff's)
    planted.write_text('import importlib\n\nDRIVER = importlib.import_module("sqlite3")\n')

    result = _ci_run(tree, "audit", tools_venv)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "suites/planted_driver_use.py:3: DB001" in output
    assert "CI failed: audit" in output


def test_ci_run_fails_when_one_backends_suites_fail(tmp_path: Path, tools_venv: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    # The copy's suites are the planted failure alone: what is under test is how .ci/run
    # treats a failing session, and the real suites would only add minutes of passes.
    for suite in (tree / "suites").glob("test_*.py"):
        suite.unlink()
    # Fails on a server backend only: the SQLite leg of the same suites would pass.
    (tree / "suites" / "test_planted_failure.py").write_text(
        "from storage.api import Capability, Database\n\n\n"
        "def test_planted_backend_specific_failure(db: Database) -> None:\n"
        "    assert Capability.SERVER not in db.capabilities\n"
    )

    result = _ci_run(tree, "tests-postgres-url", tools_venv)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "test_planted_backend_specific_failure[postgres]" in output
    assert "CI failed: tests-postgres-url" in output
    # The failing session ends with the commands that reproduce it.
    assert "reproduce with:\n  nox -s repro -- .dualstore/runs/" in output
    assert re.search(r"nox -s tests-postgres-3\.\d+ -- -n0 --randomly-seed=", output)
    # ... on every Python the project declares but nox's own (on which `tests` runs the
    # suites), each one found (none missing, none skipped)
    declared = re.findall(
        r'"Programming Language :: Python :: (3\.\d+)"', (tree / "pyproject.toml").read_text()
    )
    assert len(declared) == 3
    own = _version(tools_venv / "bin" / "python")
    ran = re.findall(r"^nox > \* tests-postgres-(3\.\d+): failed\b", output, re.M)
    assert ran == [python for python in declared if python != own], output
    assert "not found" not in output


def _version(python: Path) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
