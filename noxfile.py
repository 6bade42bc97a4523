"""Developer and CI sessions. Sessions only pick options and call tools; logic lives in
`storage/testing` (the pytest plugin) and `ci/` (audits)."""

from __future__ import annotations

from pathlib import Path

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
# One session per backend, each installing only what its backend needs (tests-sqlite has
# no psycopg and no server: the embedded default must work without them), running the
# shared conformance suites. `tests` is the full suite: both backends, the suites and
# everything under tests/ (the harness's own tests need both backends' tooling). Extra
# args after `--` go to pytest; naming a path there replaces the default paths.
# PostgreSQL: DUALSTORE_POSTGRES_URL (or `-- --postgres-url=...`) selects a server; unset,
# the harness starts a throwaway one with pg_ctl.


def _pytest(session: nox.Session, *args: str, paths: tuple[str, ...]) -> None:
    posargs = list(session.posargs)
    names_a_path = any(
        Path(arg.split("::")[0]).exists() for arg in posargs if not arg.startswith("-")
    )
    # -n auto first: a later `-n 0` among the extra args wins.
    session.run("pytest", "-n", "auto", *args, *(() if names_a_path else paths), *posargs)


@nox.session(name="tests-sqlite", python=PYTHON)
def tests_sqlite(session: nox.Session) -> None:
    """Conformance suites on SQLite (embedded; needs neither psycopg nor a server)."""
    session.install("-e", ".", *_groups("test"))
    _pytest(session, "--backend", "sqlite", paths=("suites",))


@nox.session(name="tests-postgres", python=PYTHON)
def tests_postgres(session: nox.Session) -> None:
    """Conformance suites on PostgreSQL: DUALSTORE_POSTGRES_URL, else a throwaway server."""
    session.install("-e", ".[postgres]", *_groups("test-postgres"))
    _pytest(session, "--backend", "postgres", paths=("suites",))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Full test suite on both backends: the suites plus tests/ (harness, CI, faults)."""
    session.install("-e", ".[postgres]", *_groups("test-postgres", "audit", "lint"))
    _pytest(session, paths=("suites", "tests"))


# ----------------------------------------------------------------------------- reproduce
# (issue 6: the logic is in storage/testing/repro.py and flakehunt.py; these only pass args)
def _install_test_env(session: nox.Session) -> None:
    session.install("-e", ".[postgres]", *_groups("test-postgres"))


@nox.session(python=PYTHON)
def repro(session: nox.Session) -> None:
    """Replay a recorded test order file: same seed and backends, in one process.

    `nox -s repro -- .dualstore/runs/<run id>/order-gw1.txt`, as printed under `reproduce
    with:` by a failed run (a downloaded CI artifact works too); extra args go to pytest."""
    if not session.posargs:
        session.error("usage: nox -s repro -- <order file> [pytest args]")
    order_file, *pytest_args = session.posargs
    _install_test_env(session)
    session.run("pytest", f"--replay={order_file}", *pytest_args)


@nox.session(name="flake-hunt", python=PYTHON)
def flake_hunt(session: nox.Session) -> None:
    """Rerun tests with new seeds and worker counts until one fails; print its reproduce line.

    `nox -s flake-hunt -- [--max-runs N] [--workers 2,4,auto] [test ids]` (env
    DUALSTORE_FLAKE_MAX_RUNS); other args go to pytest, e.g. `--backend sqlite`."""
    _install_test_env(session)
    session.run("python", "-m", "storage.testing.flakehunt", *session.posargs)


@nox.session(python=PYTHON)
def reap(session: nox.Session) -> None:
    """Drop the schemas that dead test runs left on a PostgreSQL server.

    `nox -s reap -- --url postgresql://user@host/db [--older-than SECONDS]`: the
    `dualstore_<run id>_<worker>` schemas of runs that are no longer alive."""
    _install_test_env(session)  # the reaper is the test harness's code (needs pytest)
    session.run("dualstore", "reap", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Time the storage operations and test isolation on each backend (median, p95 in ms).

    `nox -s bench -- [--backend sqlite] [--rounds 500]`; PostgreSQL is
    DUALSTORE_POSTGRES_URL's server or a throwaway one. For comparing changes, not a gate."""
    _install_test_env(session)
    session.run("python", "-m", "storage.testing.bench", *session.posargs)


# ----------------------------------------------------------------------------- quality
@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check; actionlint and JSON-schema checks of the CI files."""
    session.install(*_groups("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    workflow, compose = ".github/workflows/ci.yml", "docker-compose.test.yml"
    # shellcheck comes from the lint group (checks `run:` scripts); no Python steps to pyflake
    session.run("actionlint", "-pyflakes=", workflow)
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", workflow)
    session.run("check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the storage package, the CI audit and the noxfile."""
    session.install("-e", ".[postgres]", *_groups("typecheck"))
    session.run("mypy", "--strict", "storage", "ci", "noxfile.py")


# ----------------------------------------------------------------------------- audit
@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """Storage-access and SQL-portability audit (DB001-DB006) of this tree.

    Its own tests (tests/ci: each rule catches a planted violation, the CI files are
    valid) are part of the full suite, `nox -s tests`. Extra args go to the audit."""
    session.install(*_groups("audit"))
    session.run("python", "-m", "ci.audit_db_access", *session.posargs)
