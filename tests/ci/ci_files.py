"""What the CI-file tests share: the files, their loaders, the declared Pythons, the
tools of the lint group and the local PostgreSQL binaries."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from audit_support import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"
COMPOSE = REPO_ROOT / "docker-compose.test.yml"
README = REPO_ROOT / "README.md"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_pyproject() -> dict[str, Any]:
    return dict(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")))


def declared_pythons() -> set[str]:
    """The Pythons pyproject's classifiers declare (the noxfile's test sessions run on)."""
    classifiers = load_pyproject()["project"]["classifiers"]
    return {c.rsplit(" :: ", 1)[1] for c in classifiers if re.search(r"Python :: 3\.\d+$", c)}


def readme_url() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"DUALSTORE_POSTGRES_URL=(\S+)", text)
    assert match, "README.md has no `export DUALSTORE_POSTGRES_URL=...` line for compose"
    return match.group(1).strip("\"'`")


def tool(name: str) -> str:
    """A tool installed next to this Python (the lint group), or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: install the project's `lint` dependency group"
    return found


def postgres_bindir() -> Path:
    """The directory of the local PostgreSQL server binaries."""
    candidates: list[str] = []
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if directory and (Path(directory) / "postgres").exists():
            return Path(directory)
    pytest.fail(
        "no PostgreSQL server binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin):"
        " install the `postgresql` package to check the compose settings against them"
    )


def steps_running(job: dict[str, Any], text: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if text in str(step.get("run", ""))]


def legs(workflow: dict[str, Any]) -> list[dict[str, str]]:
    return list(workflow["jobs"]["tests"]["strategy"]["matrix"]["leg"])


def option(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None
