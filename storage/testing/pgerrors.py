"""Reading a failed PostgreSQL connection attempt: retry it, or stop and say why.

libpq reports connection failures as text without an SQLSTATE (psycopg's
`OperationalError.sqlstate` is None for them), so the harness matches the stable phrases
libpq and the server use. Anything not listed here counts as transient and is retried
until the readiness deadline: a wrong guess costs time, never a wrong verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult

from storage.testing.runinfo import BackendUnavailable


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    #: every one of these must appear in the (lower-cased) message
    phrases: tuple[str, ...]
    what: str
    fix: str


_LOGIN_FIX: Final = (
    "check the user name and password in --postgres-url / DUALSTORE_POSTGRES_URL, and the "
    "server's pg_hba.conf; the compose service uses postgresql://dualstore:dualstore@"
    "localhost:5433/dualstore."
)
_URL_FIX: Final = (
    "fix the URL: postgresql://user:password@host:port/dbname (percent-encode special "
    "characters in the password)."
)

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
    PermanentFailure(("invalid dsn",), "got a malformed URL", _URL_FIX),
    PermanentFailure(("invalid connection option",), "got a malformed URL", _URL_FIX),
    PermanentFailure(("invalid integer value",), "got a malformed URL", _URL_FIX),
    PermanentFailure(("invalid uri",), "got a malformed URL", _URL_FIX),
    PermanentFailure(("invalid percent-encoded",), "got a malformed URL", _URL_FIX),
)


def classify(message: str) -> PermanentFailure | None:
    """The permanent failure this error message shows, or None if waiting may help."""
    lowered = message.lower()
    for failure in PERMANENT_FAILURES:
        if all(phrase in lowered for phrase in failure.phrases):
            return failure
    return None


def not_ready(
    redacted_url: str, parts: SplitResult, timeout: float, attempts: int, last: str
) -> BackendUnavailable:
    """The error that ends a run whose server never answered within the deadline."""
    host, port = parts.hostname or "localhost", parts.port or 5432
    return BackendUnavailable(
        "postgres",
        f"PostgreSQL at {redacted_url} did not answer `SELECT 1` within {timeout:g} s "
        f"({attempts} attempts); last error: {last}",
        f"check that the server is running and reachable (`pg_isready -h {host} -p {port}`);"
        " for the compose service run `docker compose -f docker-compose.test.yml up -d "
        "--wait`; allow more time with --db-ready-timeout / DUALSTORE_DB_READY_TIMEOUT; or "
        "unset DUALSTORE_POSTGRES_URL to let the harness start a throwaway server.",
    )
