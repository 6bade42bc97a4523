"""Reading a failed PostgreSQL connection attempt: retry it, or stop and say why.

Which failures waiting cannot fix is the storage backend's reading of libpq's messages
(`storage.backends.pgrefusals`, which its typed errors come from too); this module says
what each one means for a run and how to fix it. Anything else counts as transient and is
retried until the readiness deadline: a wrong guess costs time, never a wrong verdict. Most
URL mistakes are refused earlier, when `storage.url` parses the URL; a bad option here is
one that libpq itself checks only when it connects.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Final

from dualstore.runinfo import BackendUnavailable
from storage.backends.pgrefusals import Refusal, refusal


@dataclass(frozen=True, slots=True)
class PermanentFailure:
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

PERMANENT_FAILURES: Final = {
    Refusal.LOGIN: PermanentFailure("refused the login", _LOGIN_FIX),
    Refusal.UNKNOWN_ROLE: PermanentFailure("refused the login (unknown role)", _LOGIN_FIX),
    Refusal.NO_DATABASE: PermanentFailure(
        "has no such database",
        "create the database (createdb) or fix the database name in the URL.",
    ),
    Refusal.BAD_OPTION: PermanentFailure("is invalid", URL_FIX, url_at_fault=True),
}


def classify(message: str) -> PermanentFailure | None:
    """The permanent failure this error message shows, or None if waiting may help."""
    found = refusal(message)
    return PERMANENT_FAILURES[found] if found is not None else None


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
