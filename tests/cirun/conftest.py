"""One tools venv (nox and uv) for every test of a run that needs nox, made once by the
project's own bootstrap (`./nox`), shared by all xdist workers (the first one makes it under
a file lock, the others wait and reuse it)."""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

import pytest

from .support import ROOT, TOOLS_VENV_ENV, clean_env


@pytest.fixture(scope="session")
def tools_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp sits in the run's one directory: share that.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    venv = shared / "nox-tools"
    with (shared / "nox-tools.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "bin" / "nox").exists():
            made = subprocess.run(
                [str(ROOT / "nox"), "--version"],
                env=clean_env(**{TOOLS_VENV_ENV: str(venv)}),
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert made.returncode == 0, made.stdout + made.stderr
    return venv
