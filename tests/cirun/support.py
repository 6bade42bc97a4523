"""Helpers of the CI-entry-point and nox tests: a copy of the working tree, an environment
free of the outer run's settings, and nox run through the project's own bootstrap (`./nox`).

These tests are the expensive ones (each nox session builds a venv), so they share what can
be shared: one tools venv (nox and uv, made by `./nox` itself) serves every test of a run
(see conftest.py), and each test runs tiny selections with `-n 0`. Session venvs are not
shared between tests: each test runs in its own copy of the tree and the project is
installed editable, so a venv points at one copy; uv's cache makes building one a matter
of seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the environment variable that moves the bootstrap's venv (read by ./nox)
TOOLS_VENV_ENV = "DUALSTORE_TOOLS_VENV"


def copy_tree(dest: Path) -> Path:
    """The working tree as git sees it (tracked and untracked, not ignored) copied to `dest`."""
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


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the outer run's harness, pytest, nox and venv
    settings, and without `CI` (nox changes its defaults under CI, and a test must see
    what the noxfile decides), plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DUALSTORE_", "PYTEST_", "NOX_", "GITHUB_"))
        and name not in ("VIRTUAL_ENV", "CI")
    }
    return env | extra


def run_nox(
    tree: Path, *args: str, tools: Path | None, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    """`./nox ARGS` in `tree` (its venv in `tools`, or the default .venv when None), with the
    session venvs in the test's own envdir beside the tree; output merged, as a user sees it."""
    extra = {TOOLS_VENV_ENV: str(tools)} if tools is not None else {}
    return subprocess.run(
        [str(tree / "nox"), "--envdir", str(tree.parent / "nox-envs"), *args],
        cwd=tree,
        env=clean_env(**extra, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
