"""Reading a failed PostgreSQL connection attempt: retry it, or stop and say why.

libpq reports connection failures as text without an SQLSTATE (psycopg's
`OperationalError.sqlstate` is None for them), so the harness matches the stable phrases
libpq and the server use. Anything not listed here counts as transient and is retried
until the readiness deadline: a wrong guess costs time, never a wrong verdict. Most URL
mistakes are refused earlier, when `storage.url` parses the URL; the URL phrases here catch
the options libpq itself only checks when it connects.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Final

from dualstore.runinfo import BackendUnavailable


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    #: every one of these must appear in the (lower-cased) message
    phrases: tuple[str, ...]
    what: str
    fix: str
    #: the URL is wrong (an option libpq refuses), not the server
    url_at_fault: bool = False


_LOGIN_FIX: Final = (
    "check the user name and password in --dualstore-postgres-url / "
    "DUALSTORE_POSTGRES_URL, and the server's pg_hba.conf; the compose service uses postgresql://dualstore:dualstore@"
    "localhost:5433/dualstore."
)
URL_FIX: Final = (
    "fix the URL in --dualstore-postgres-url / DUALSTORE_POSTGRES_URL: "
    "postgresql://user:password@host:port/dbname, postgresql:///dbname?host=/socket/dir or "
    "host=... dbname=... (percent-encode special characters in a URL's password)."
)
_MALFORMED: Final = "is invalid"

PERMANENT_FAILURES: Final = (
    PermanentFailure(("password authentication failed",), "refused the login", _LOGIN_FIX),
    PermanentFailure(("authentication failed",), "refused the login", _LOGIN_FIX),
    PermanentFailure(("no pg_hba.conf entry",), "refused the login", _LOGIN_FIX),
    PermanentFailure(("no password supplied",), "refused the login", _LOGIN_FIX),
    PermanentFailure(('role "', "does not exist"), "refused the login (unknown role)", _LOGIN_FIX),
    PermanentFailure(
        ('database "', "does not exist"),
        "has no such database",
        "create the database (createdb) or fix the database name in the URL.",
    ),
    *(
        PermanentFailure(phrases, _MALFORMED, URL_FIX, url_at_fault=True)
        for phrases in (
            ("invalid dsn",),
            ("invalid connection option",),
            ("invalid integer value",),
            ("invalid uri",),
            ("invalid percent-encoded",),
            ("invalid port number",),
            # 'invalid sslmode value: "x"', and so for every option with fixed choices
            ("invalid ", ' value: "'),
        )
    ),
)


def classify(message: str) -> PermanentFailure | None:
    """The permanent failure this error message shows, or None if waiting may help."""
    lowered = message.lower()
    for failure in PERMANENT_FAILURES:
        if all(phrase in lowered for phrase in failure.phrases):
            return failure
    return None


def not_ready(
    redacted_url: str,
    address: tuple[str | None, str],
    timeout: float,
    attempts: int,
    last: str,
) -> BackendUnavailable:
    """The error that ends a run whose server never answered within the deadline.
    `address` is (host, port) where libpq connects (comma lists for several hosts; host
    None for libpq's default socket directory), so the `pg_isready` hint checks that
    server."""
    host, port = address
    where = f"-h {shlex.quote(host)} " if host else ""
    return BackendUnavailable(
        "postgres",
        f"PostgreSQL at {redacted_url} did not answer `SELECT 1` within {timeout:g} s "
        f"({attempts} attempts); last error: {last}",
        f"check that the server is running and reachable (`pg_isready {where}-p "
        f"{shlex.quote(port)}`); for the compose service run `docker compose -f "
        "docker-compose.test.yml up -d --wait`; allow more time with "
        "--dualstore-db-ready-timeout / DUALSTORE_DB_READY_TIMEOUT; or unset "
        "DUALSTORE_POSTGRES_URL to let the harness start a throwaway server.",
    )
