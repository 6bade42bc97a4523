"""A selected backend that cannot be used ends the run before any test runs, with a
message naming the cause and the fix; a selected backend on which no test ran fails the
run. Nothing is ever reported as skipped or passed instead."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from dualstore import provision

if TYPE_CHECKING:
    from dualstore.serverurl import ServerUrl
    from tests.harness.conftest import Inner

UNAVAILABLE = 4  # pytest.ExitCode.USAGE_ERROR: the run could not start as asked

#: a test that leaves a trace if it ever runs
TRACE_TEST = """
from pathlib import Path

def test_uses_db(db, backend):
    Path("ran-" + backend.name).write_text("it ran")
"""


def assert_nothing_ran(inner: Inner, result: pytest.RunResult) -> None:
    assert result.ret == UNAVAILABLE, result.stdout.str() + result.stderr.str()
    output = result.stdout.str() + result.stderr.str()
    assert " passed" not in output
    assert " skipped" not in output
    assert not list(inner.pytester.path.glob("ran-*")), "a test ran"


def test_unreachable_server_stops_the_run_with_the_last_error(
    inner: Inner, closed_port: int
) -> None:
    inner.pytester.makepyfile(test_trace=TRACE_TEST)
    url = f"postgresql://someone:s3cret@127.0.0.1:{closed_port}/test"
    started = time.monotonic()
    result = inner.run(
        "--backend",
        "postgres",
        "--dualstore-db-ready-timeout",
        "1.5",
        env={"DUALSTORE_POSTGRES_URL": url},
    )
    assert_nothing_ran(inner, result)
    result.stderr.fnmatch_lines(
        [
            "*backend 'postgres' is unavailable: PostgreSQL at "
            f"postgresql://someone:***@127.0.0.1:{closed_port}/test did not answer `SELECT 1` "
            "within 1.5 s (* attempts); last error: *Connection refused*",
            f"*Fix: *pg_isready -h 127.0.0.1 -p {closed_port}*--dualstore-db-ready-timeout*",
        ]
    )
    assert "s3cret" not in result.stdout.str() + result.stderr.str()
    assert time.monotonic() - started < 30


def test_login_refused_fails_at_once_without_retrying(inner: Inner, pg_url: str) -> None:
    inner.pytester.makepyfile(test_trace=TRACE_TEST)
    parts = urlsplit(pg_url)
    bad = urlunsplit(parts._replace(netloc=f"no_such_role:pw@{parts.hostname}:{parts.port}"))
    started = time.monotonic()
    result = inner.run(
        "--backend",
        "postgres",
        "--dualstore-db-ready-timeout",
        "60",
        env={"DUALSTORE_POSTGRES_URL": bad},
    )
    assert_nothing_ran(inner, result)
    result.stderr.fnmatch_lines(
        [
            "*PostgreSQL at postgresql://no_such_role:***@* refused the login* (not retried)*",
            "*Fix: check the user name and password*",
        ]
    )
    # A retry loop would run until the 60 s deadline.
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_unavailable_backend_is_reported_once(
    inner: Inner, closed_port: int, workers: list[str]
) -> None:
    inner.pytester.makepyfile(test_trace=TRACE_TEST)
    url = f"postgresql://someone@127.0.0.1:{closed_port}/test"
    result = inner.run(
        "--backend", "postgres", "--dualstore-db-ready-timeout", "0.5", *workers,
        env={"DUALSTORE_POSTGRES_URL": url},
    )  # fmt: skip
    assert_nothing_ran(inner, result)
    output = result.stdout.str() + result.stderr.str()
    assert output.count("is unavailable") == 1, output
    assert output.count("Fix:") == 1, output
    assert "INTERNALERROR" not in output


def test_role_without_create_privilege_stops_the_run_before_any_test(
    inner: Inner, own_db: ServerUrl
) -> None:
    """A role that may connect but not create schemas: without the probe schema it passed
    setup, and every test then errored on creating its worker's store."""
    inner.pytester.makepyfile(test_trace=TRACE_TEST)
    database = urlsplit(own_db.secret).path.lstrip("/")
    with provision.login_role(own_db, may_create_schemas=False) as url:
        role, password = urlsplit(url.secret).username, urlsplit(url.secret).password
        env = {"DUALSTORE_POSTGRES_URL": url.secret}
        result = inner.run("--backend", "postgres", "-n", "2", env=env)
    assert_nothing_ran(inner, result)
    result.stderr.fnmatch_lines(
        [
            f"*backend 'postgres' is unavailable: role '{role}' (the user of "
            f"postgresql://{role}:***@*) lacks the CREATE privilege on database '{database}'*",
            f'*Fix: *`GRANT CREATE ON DATABASE "{database}" TO "{role}";`*',
        ]
    )
    assert password is not None
    assert password not in result.stdout.str() + result.stderr.str()
    # The probe schema (dualstore_<run id>_probe) was never created, or is gone again.
    assert provision.list_schemas(own_db) == []


def test_no_pg_ctl_and_no_url_names_the_fix(inner: Inner, tmp_path: Path) -> None:
    inner.pytester.makepyfile(test_trace=TRACE_TEST)
    empty = tmp_path / "no-binaries-here"
    empty.mkdir()
    result = inner.run(env={"DUALSTORE_PG_BINDIR": str(empty), "PATH": "/usr/bin:/bin"})
    assert_nothing_ran(inner, result)
    result.stderr.fnmatch_lines(
        [
            f"*backend 'postgres' is unavailable: no --dualstore-postgres-url was given*"
            f"no pg_ctl was found (looked in: {empty})*",
            "*Fix: install the PostgreSQL server binaries*DUALSTORE_PG_BINDIR*"
            "--dualstore-backend sqlite*",
        ]
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["--postgres-url", "postgresql://u:s3cret@127.0.0.1:notaport/test"],
            {},
            "*--postgres-url/--dualstore-postgres-url: malformed PostgreSQL URL 'postgresql://u:***@127.0.0.1:notaport"
            "/test'*",
        ),
        (
            [],
            {"DUALSTORE_POSTGRES_URL": "sqlite:///s3cret.db"},
            "*env DUALSTORE_POSTGRES_URL: 'sqlite:///s3cret.db' is not a PostgreSQL URL*",
        ),
        (
            ["--backend", "mysql"],
            {},
            "*--backend/--dualstore-backend: unknown backend 'mysql'; "
            "choose from: sqlite, postgres*",
        ),
        (
            [],
            {"DUALSTORE_BACKENDS": "sqlite,oracle"},
            "*env DUALSTORE_BACKENDS: unknown backend 'oracle'*",
        ),
        (
            ["--dualstore-db-ready-timeout", "-1"],
            {},
            "*--dualstore-db-ready-timeout: expected a positive number*",
        ),
        (
            ["--dualstore-pg-bindir", "/no/such/dir"],
            {},
            "*--dualstore-pg-bindir: '/no/such/dir' is not a dir*",
        ),
        (
            [],
            {"DUALSTORE_REAP_GRACE": "soon"},
            "*env DUALSTORE_REAP_GRACE: expected a number of seconds, got 'soon'*",
        ),
    ],
    ids=[
        "malformed-url",
        "not-postgres",
        "unknown-backend",
        "env-backend",
        "timeout",
        "bindir",
        "reap-grace",
    ],
)
def test_invalid_option_is_a_usage_error_naming_it(
    inner: Inner, args: list[str], env: dict[str, str], expected: str
) -> None:
    inner.pytester.makepyfile(test_trace=TRACE_TEST)
    result = inner.run(*args, env=env)
    assert_nothing_ran(inner, result)
    result.stderr.fnmatch_lines([f"ERROR: dualstore: {expected.lstrip('*')}"])
    assert "u:s3cret" not in result.stderr.str()


def test_selected_backend_with_zero_tests_fails_the_run(inner: Inner) -> None:
    inner.pytester.makepyfile(test_plain="def test_without_database():\n    pass\n")
    result = inner.run("--backend", "sqlite")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*dualstore: no test ran on 'sqlite', although it is selected*",
            "dualstore: sqlite: 0 passed, 0 failed, 0 skipped, 0 errors",
            "*1 passed*",
        ]
    )


def test_default_selection_without_backend_tests_is_fine(inner: Inner) -> None:
    """`pytest tests/harness` style runs (no backend chosen, no database tests) pass."""
    inner.pytester.makepyfile(test_plain="def test_without_database():\n    pass\n")
    result = inner.run_with_url()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "no test ran on" not in result.stdout.str()


def test_all_tests_skipped_on_a_backend_is_not_a_pass(inner: Inner) -> None:
    inner.pytester.makepyfile(
        test_skips="import pytest\n\ndef test_skips(db):\n    pytest.skip('not today')\n"
    )
    result = inner.run_with_url()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*no test ran on 'sqlite'*",
            "*no test ran on 'postgres'*",
            "dualstore: sqlite: 0 passed, 0 failed, 1 skipped, 0 errors",
            "dualstore: postgres: 0 passed, 0 failed, 1 skipped, 0 errors",
        ]
    )
