"""tests/conftest.py's choice of worker count: `-n auto` in a run of tests/ is one worker
more than CPUs, and a run without xdist (the reproduce lines' `-p no:xdist`) still starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dualstore.workers import usable_cpus
from tests.adopting import inner_environ

ROOT = Path(__file__).resolve().parents[1]
#: a quick test of tests/ (which loads tests/conftest.py), and one on the backend the runs
#: select (a selected backend on which no test runs fails the run)
TESTS = (
    "tests/ci/test_workflow.py::test_shards_are_one_setting_planned_once",
    "suites/test_health.py::test_ping_answers",
)


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    pytest_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "--backend", "sqlite"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, *args, *TESTS],
        cwd=ROOT,
        env={**inner_environ(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_auto_is_one_worker_more_than_cpus() -> None:
    done = _run("-n", "auto")
    assert done.returncode == 0, done.stdout + done.stderr
    workers = usable_cpus() + 1
    assert f"created: {workers}/{workers} workers" in done.stdout, done.stdout


def test_the_environment_still_decides() -> None:
    done = _run("-n", "auto", PYTEST_XDIST_AUTO_NUM_WORKERS="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created: 1/1 worker" in done.stdout, done.stdout


def test_a_run_without_xdist_starts() -> None:
    done = _run("-p", "no:xdist")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout, done.stdout
