"""An invalid URL ends the run at once and is named as the cause; a server that does not
answer gets a `pg_isready` hint for the host and port libpq really tried."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dualstore import provision
from dualstore.runinfo import BackendUnavailable
from dualstore.serverurl import ServerUrl

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

UNAVAILABLE = 4  # pytest.ExitCode.USAGE_ERROR


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1/test?sslmode=bogus",
            "*--postgres-url/--dualstore-postgres-url: invalid PostgreSQL URL 'postgresql://postgres@127.0.0.1/test"
            "?sslmode=bogus': sslmode='bogus' is not one of disable, allow, prefer*",
        ),
        (
            "postgres://",
            "*--postgres-url/--dualstore-postgres-url: PostgreSQL URL 'postgres://' "
            "names no database*",
        ),
        (
            "postgresql://postgres@127.0.0.1/test?foo=bar",
            "*--postgres-url/--dualstore-postgres-url: invalid PostgreSQL URL '*?foo=bar': "
            'invalid URI query parameter: "foo"*',
        ),
    ],
)
def test_an_invalid_url_stops_the_run_at_once_naming_the_url(
    inner: Inner, url: str, expected: str
) -> None:
    inner.pytester.makepyfile(test_x="def test_x(db):\n    pass\n")
    started = time.monotonic()
    result = inner.run(
        "--backend", "postgres", "--dualstore-db-ready-timeout", "60", "--postgres-url", url
    )
    assert result.ret == UNAVAILABLE, result.stdout.str() + result.stderr.str()
    result.stderr.fnmatch_lines([expected])
    assert "did not answer" not in result.stdout.str() + result.stderr.str()
    assert time.monotonic() - started < 30  # a retry loop would wait for the 60 s


def test_an_option_libpq_checks_only_when_connecting_is_not_retried(
    pg_server_url: ServerUrl,
) -> None:
    bogus = ServerUrl.parse(f"{pg_server_url.conninfo} load_balance_hosts=bogus")
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as refused:
        provision.wait_ready(bogus, timeout=60)
    assert time.monotonic() - started < 30
    assert "the URL " in refused.value.cause
    assert (
        'is invalid (not retried): connection is bad: invalid load_balance_hosts value: "bogus"'
        in refused.value.cause
    )
    assert "fix the URL" in refused.value.fix


def hint_of(url: str) -> str:
    with pytest.raises(BackendUnavailable) as refused:
        provision.wait_ready(ServerUrl.parse(url), timeout=0.3)
    assert "did not answer `SELECT 1`" in refused.value.cause
    return refused.value.fix


def test_the_hint_names_a_socket_directory(tmp_path: Path) -> None:
    assert f"`pg_isready -h {tmp_path} -p 5432`" in hint_of(f"postgresql:///test?host={tmp_path}")
    assert f"`pg_isready -h {tmp_path} -p 5499`" in hint_of(
        f"host={tmp_path} port=5499 dbname=test"
    )


def test_the_hint_names_every_host(closed_port: int) -> None:
    url = f"postgresql://127.0.0.1:{closed_port},localhost:{closed_port}/test"
    assert f"`pg_isready -h 127.0.0.1,localhost -p {closed_port},{closed_port}`" in hint_of(url)


def test_the_hint_names_the_port_and_host_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, tmp_path: Path
) -> None:
    monkeypatch.setenv("PGPORT", str(closed_port))
    assert f"`pg_isready -h 127.0.0.1 -p {closed_port}`" in hint_of("postgresql://127.0.0.1/test")
    monkeypatch.setenv("PGHOST", str(tmp_path))
    assert f"`pg_isready -h {tmp_path} -p {closed_port}`" in hint_of("postgresql:///test")


def test_a_run_with_pgport_gets_the_right_hint(inner: Inner, closed_port: int) -> None:
    inner.pytester.makepyfile(test_x="def test_x(db):\n    pass\n")
    result = inner.run(
        "--backend",
        "postgres",
        "--dualstore-db-ready-timeout",
        "1",
        env={"DUALSTORE_POSTGRES_URL": "postgresql://127.0.0.1/test", "PGPORT": str(closed_port)},
    )
    assert result.ret == UNAVAILABLE
    result.stderr.fnmatch_lines([f"*Fix: *`pg_isready -h 127.0.0.1 -p {closed_port}`*"])
