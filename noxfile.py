"""Developer and CI sessions. Sessions only pick options and call tools; logic lives in
`storage/testing` (the pytest plugin) and `ci/` (audits)."""

from __future__ import annotations

import shutil

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck", "audit"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = "3.11"


def _groups(*names: str) -> list[str]:
    return [req for name in names for req in nox.project.dependency_groups(PYPROJECT, name)]


# ----------------------------------------------------------------------------- tests
# (owned by the harness work: tests-sqlite, tests-postgres, tests)


# ----------------------------------------------------------------------------- quality
@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check (plus CI-file validation)."""
    session.install(*_groups("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the storage package and the noxfile."""
    session.install("-e", ".[postgres]", *_groups("typecheck"))
    session.run("mypy", "--strict", "storage", "noxfile.py")


# ----------------------------------------------------------------------------- audit
# (owned by the CI/audit work: audit)

_ = shutil  # placeholder import used by later sessions
