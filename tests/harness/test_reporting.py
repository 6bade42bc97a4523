"""The header names each backend, its version and its source; the summary counts every
outcome per backend, with and without xdist; capability requirements deselect (never
skip); a backend that went away is named as such."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from dualstore import provision

if TYPE_CHECKING:
    from dualstore.serverurl import ServerUrl
    from tests.harness.conftest import Inner

OUTCOMES = """
import pytest
from storage.api import WriteContext
from storage.errors import Unavailable

def test_passes(db):
    assert db.list_workspaces() == []

def test_passes_too(db):
    db.create_workspace("w", WriteContext.system())

def test_fails(db):
    assert db.list_workspaces() == ["not there"]

def test_skips(db):
    pytest.skip("skipped on purpose")

@pytest.fixture
def broken_fixture(db):
    raise RuntimeError("setup error on purpose")

def test_errors(broken_fixture):
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_xfails(db):
    assert False

def test_without_database():
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_summary_counts_each_outcome_per_backend(inner: Inner, workers: list[str]) -> None:
    inner.pytester.makepyfile(test_outcomes=OUTCOMES)
    result = inner.run_with_url(*workers)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=5, failed=2, skipped=2, errors=2, xfailed=2)
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 2 passed, 1 failed, 1 skipped, 1 errors, 1 xfailed",
            "dualstore: postgres: 2 passed, 1 failed, 1 skipped, 1 errors, 1 xfailed",
        ]
    )


def test_header_names_backend_version_and_source(inner: Inner, pg_url: str) -> None:
    inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
    result = inner.run_with_url()
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "dualstore: run *; backends: sqlite, postgres; each worker's store is dualstore_*",
            "dualstore: sqlite: SQLite 3.*, files in */dualstore_*/sqlite, ready in * s",
            "dualstore: postgres: PostgreSQL *, URL postgresql://*, collation *, ready in * s",
        ]
    )


@pytest.mark.parametrize("icu", [True, False], ids=["icu", "libc"])
def test_header_reports_the_collation_the_database_has(
    inner: Inner, pg_server_url: ServerUrl, icu: bool
) -> None:
    """Text order differs between an ICU and a byte-order database: the header says which
    one this run got, read from the server (not from what was asked for)."""
    name = f"dualstore_test_coll_{'icu' if icu else 'libc'}_{os.getpid()}"
    icu_locale = "en-US" if icu else None
    url = provision.create_database(pg_server_url, name, icu_locale=icu_locale, libc=not icu)
    try:
        inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
        result = inner.run("--backend", "postgres", env={"DUALSTORE_POSTGRES_URL": url.secret})
        assert result.ret == 0, result.stdout.str()
        expected = "collation ICU en-US" if icu else "collation libc *"
        result.stdout.fnmatch_lines([f"dualstore: postgres: PostgreSQL *, URL *, {expected}, *"])
    finally:
        provision.drop_database(pg_server_url, name)


PASSWORD_CHECK = """
from dualstore import provision

def test_passes(db):
    pass

def test_fails_with_a_long_traceback(db, backend):
    # pytest prints each frame's arguments: the backend (with its URL) and the URL here
    provision.create_schema(backend.info.target, backend.location)  # exists already
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_password_never_shown(inner: Inner, pg_url: str, workers: list[str]) -> None:
    """Not in the header, not in tracebacks (pytest prints every frame's arguments, and
    the cause of a storage error), not in the summary. A trust-auth server never asks for
    the password, so one can be added to a password-less URL."""
    inner.pytester.makepyfile(test_password=PASSWORD_CHECK)
    parts = urlsplit(pg_url)
    password = parts.password or "Sup3rSecret"
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    url = urlunsplit(parts._replace(netloc=netloc))
    env = {"DUALSTORE_POSTGRES_URL": url}
    result = inner.run("--backend", "postgres", "--tb=long", *workers, env=env)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    output = result.stdout.str() + result.stderr.str()
    assert "dualstore.errors.HarnessError: PostgreSQL at" in output  # the traceback is there
    assert f":{password}@" not in output
    assert f"password={password}" not in output
    result.stdout.fnmatch_lines([f"dualstore: postgres: *URL postgresql://{parts.username}:***@*"])


CAPABILITIES = """
import pytest

@pytest.mark.requires("server")
def test_needs_a_server(db, backend):
    assert backend.has("server")

def test_everywhere(db):
    pass
"""


def test_missing_capability_deselects_instead_of_skipping(inner: Inner) -> None:
    inner.pytester.makepyfile(test_caps=CAPABILITIES)
    result = inner.run_with_url("-n", "2")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 1 passed, 0 failed, 0 skipped, 0 errors, "
            "1 deselected (capability missing)",
            "dualstore: postgres: 2 passed, 0 failed, 0 skipped, 0 errors",
        ]
    )


def test_unknown_capability_is_an_error(inner: Inner) -> None:
    inner.pytester.makepyfile(
        test_typo="import pytest\n\n@pytest.mark.requires('teleport')\n"
        "def test_typo(db):\n    pass\n"
    )
    result = inner.run("--backend", "sqlite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*requires('teleport'): unknown capability; known: *"])


def test_unavailable_failures_say_the_backend_went_away(inner: Inner) -> None:
    inner.pytester.makepyfile(
        test_gone="from storage.errors import Unavailable\n\n"
        "def test_gone(db):\n    raise Unavailable('server closed the connection')\n\n"
        "def test_fine(db):\n    pass\n"
    )
    result = inner.run("--backend", "sqlite")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 1 passed, 1 failed, 0 skipped, 0 errors; the backend went "
            "away: 1 test(s) failed with storage.errors.Unavailable"
        ]
    )
