"""`.ci/run` fails when the audit fails and when one backend's suites fail.

Each test copies the working tree, plants one fault, and runs the real `.ci/run` (limited
to the step under test with DUALSTORE_CI_STEPS) in the copy, as CI would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_URL = "postgresql://postgres@127.0.0.1:5432/test"

pytestmark = pytest.mark.timeout(900)


def _copy_tree(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = raw.decode()
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    return dest


def _ci_run(tree: Path, steps: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUALSTORE_", "PYTEST_"))}
    env |= {"DUALSTORE_CI_STEPS": steps, "DUALSTORE_CI_SERVICE_URL": SERVICE_URL}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        ["bash", ".ci/run"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )


def test_ci_run_fails_when_the_audit_fails(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path / "tree")
    planted = tree / "suites" / "planted_driver_use.py"
    planted.write_text("import sqlite3\n\nCONNECT = sqlite3.connect\n")

    result = _ci_run(tree, "audit")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "suites/planted_driver_use.py:1: DB001" in output
    assert "CI failed: audit" in output


def test_ci_run_fails_when_one_backends_suites_fail(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path / "tree")
    # Fails on a server backend only: the SQLite leg of the same suites would pass.
    (tree / "suites" / "test_planted_failure.py").write_text(
        "from storage.api import Capability, Database\n\n\n"
        "def test_planted_backend_specific_failure(db: Database) -> None:\n"
        "    assert Capability.SERVER not in db.capabilities\n"
    )

    result = _ci_run(tree, "tests-postgres-url")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "test_planted_backend_specific_failure[postgres]" in output
    assert "CI failed: tests-postgres-url" in output
    # The failing session ends with the commands that reproduce it.
    assert "reproduce with:\n  nox -s repro -- .dualstore/runs/" in output
    assert "nox -s tests-postgres -- -n0 --randomly-seed=" in output
