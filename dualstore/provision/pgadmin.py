"""PostgreSQL admin SQL of the harness: what the storage API rightly does not offer.

Schemas and databases for the run's stores, a login role with fewer privileges (for tests of
the harness), the run's advisory lock, and the reaper of dead runs' schemas. Every call opens
its own autocommit connection through `_admin`, which turns driver errors into storage
errors without the password. psycopg is imported inside functions (see `postgres`).
"""
# ruff: noqa: PLC0415  (driver imports are deliberately local)

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from dualstore.errors import BackendGone, HarnessError
from dualstore.runinfo import (
    NAME_PREFIX,
    STORE_NAME_RE,
    BackendUnavailable,
    run_started_at,
    store_name,
)
from dualstore.serverurl import ServerUrl
from dualstore.settings import DEFAULT_REAP_GRACE

if TYPE_CHECKING:
    import psycopg

_ADMIN_CONNECT_TIMEOUT: Final = 10
#: the "worker id" of the schema that provisioning creates and drops to test the privilege
PROBE_WORKER: Final = "probe"


def _connect_admin(
    url: ServerUrl, connect_timeout: int = _ADMIN_CONNECT_TIMEOUT, **kwargs: Any
) -> psycopg.Connection[Any]:
    import psycopg

    return psycopg.connect(url.conninfo, autocommit=True, connect_timeout=connect_timeout, **kwargs)


@contextmanager
def _admin(url: ServerUrl, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection for admin work. Driver errors leave as `HarnessError`
    (`BackendGone` when the server cannot be reached), with the password scrubbed."""
    import psycopg

    try:
        with _connect_admin(url, **kwargs) as conn:
            yield conn
    # The driver error stays the cause, without its frames: they show the conninfo
    # (with the password) as arguments in pytest's tracebacks.
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {url}: {url.scrubbed(exc)}"
        raise BackendGone(message) from exc.with_traceback(None)
    except psycopg.Error as exc:
        message = f"PostgreSQL at {url}: {url.scrubbed(exc)}"
        raise HarnessError(message) from exc.with_traceback(None)


def create_schema(url: ServerUrl, schema: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def drop_schema(url: ServerUrl, schema: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def create_database(
    url: ServerUrl, name: str, *, icu_locale: str | None = None, libc: bool = False
) -> ServerUrl:
    """Create a database on `url`'s server; return its URL (tests that must not share
    a database with concurrent runs use one of their own). With `icu_locale`, the
    database's default collation is that ICU locale (a linguistic order, not code points);
    with `libc`, the C library's byte order, whatever the server's default (a throwaway
    server's is ICU); else the server's default. Both need PostgreSQL >= 15."""
    from psycopg import sql

    if icu_locale is not None and libc:
        raise ValueError("create_database: icu_locale and libc exclude each other")
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if icu_locale is not None:
        statement += sql.SQL(
            " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE {} LOCALE 'C'"
        ).format(sql.Literal(icu_locale))
    elif libc:
        statement += sql.SQL(" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER libc LOCALE 'C'")
    with _admin(url) as conn:
        conn.execute(statement)
    return url.replaced(dbname=name)


def drop_database(url: ServerUrl, name: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def login_role(url: ServerUrl, *, may_create_schemas: bool) -> Iterator[ServerUrl]:
    """A new LOGIN role (with a password) on `url`'s database, for tests of what the
    harness does with fewer privileges; yields its URL. With `may_create_schemas` it has
    CREATE on the database (so it may create, own and drop schemas), else that privilege
    is revoked from it. On exit, everything it owns there and the role itself are dropped."""
    from psycopg import sql

    name, password = f"{NAME_PREFIX}_role_{secrets.token_hex(4)}", secrets.token_hex(12)
    role = sql.Identifier(name)
    with _admin(url) as conn:
        database = sql.Identifier(conn.info.dbname)
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, password))
        grant = "GRANT CREATE ON DATABASE {} TO {}"
        revoke = "REVOKE CREATE ON DATABASE {} FROM {}"
        conn.execute(sql.SQL(grant if may_create_schemas else revoke).format(database, role))
    try:
        yield url.replaced(user=name, password=password)
    finally:
        with _admin(url) as conn:
            # DROP OWNED also revokes the role's privileges (on the database too).
            conn.execute(sql.SQL("DROP OWNED BY {}").format(role))
            conn.execute(sql.SQL("DROP ROLE {}").format(role))


def list_schemas(url: ServerUrl, prefix: str = f"{NAME_PREFIX}_") -> list[str]:
    """Schemas whose name starts with `prefix` (default: every harness schema)."""
    pattern = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    with _admin(url) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
            (pattern,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def drop_run_schemas(url: ServerUrl, run_id: str) -> list[str]:
    """Drop every schema of one run (the controller's safety net for crashed workers)."""
    schemas = list_schemas(url, f"{NAME_PREFIX}_{run_id}_")
    for schema in schemas:
        drop_schema(url, schema)
    return schemas


def run_lock_key(run_id: str) -> int:
    """The advisory-lock key of a run: a signed 64-bit hash of its id."""
    digest = hashlib.blake2b(f"{NAME_PREFIX}:{run_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class RunLock:
    """A session-level advisory lock held for a run's whole life on its own connection.

    The server releases it when the connection ends, however the run ends (even SIGKILL
    closes the socket), so `reap` can tell a live run's schemas from a dead run's.
    """

    def __init__(self, url: ServerUrl, run_id: str) -> None:
        # Opened through `_admin` (typed errors, no password in tracebacks); on success the
        # connection is kept open past this block, since the lock lives as long as it does.
        with ExitStack() as stack:
            conn = stack.enter_context(_admin(url, application_name=f"{NAME_PREFIX} run {run_id}"))
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (run_lock_key(run_id),)
            ).fetchone()
            if not row or not row[0]:
                raise HarnessError(f"run lock for {run_id} is already held (duplicate run id?)")
            self._open = stack.pop_all()

    def release(self) -> None:
        self._open.close()


@contextmanager
def hold_run_lock(url: ServerUrl, run_id: str) -> Iterator[None]:
    """Hold `run_id`'s lock, as a live run does (tests use it to stand in for one)."""
    lock = RunLock(url, run_id)
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True, slots=True)
class Undroppable:
    """A dead run's schema that the reaping role may not drop (it is not the owner)."""

    schema: str
    owner: str
    role: str

    def warning(self) -> str:
        return (
            f"schema {self.schema} of a dead run was left in place: it is owned by role "
            f"{self.owner!r}, and role {self.role!r} (this URL's user) may not drop it. "
            f"Fix: as {self.owner!r} or a superuser, DROP SCHEMA {self.schema} CASCADE "
            f"(or `dualstore reap` with a URL of that role)."
        )


@dataclass(slots=True)
class Reaped:
    """What a reap did: the schemas it dropped and those it had to leave."""

    dropped: list[str] = field(default_factory=list)
    undroppable: list[Undroppable] = field(default_factory=list)


def reap(
    url: ServerUrl, *, older_than: timedelta = DEFAULT_REAP_GRACE, now: datetime | None = None
) -> Reaped:
    """Drop `dualstore_<run id>_<worker>` schemas of dead runs.

    A schema is dropped only if its run started more than `older_than` ago (by the
    timestamp in its name) AND its run's advisory lock can be taken, i.e. no live run
    holds it. Names that do not follow the pattern are never touched. A schema this role
    may not drop (another role owns it) is skipped and reported in `Reaped.undroppable`:
    one such schema must not stop every later run.
    """
    now = now or datetime.now(UTC)
    by_run: dict[str, list[str]] = {}
    for schema in list_schemas(url):
        match = STORE_NAME_RE.match(schema)
        if match:
            by_run.setdefault(f"{match['stamp']}_{match['nonce']}", []).append(schema)
    reaped = Reaped()
    from psycopg import sql
    from psycopg.errors import InsufficientPrivilege, LockNotAvailable

    with _admin(url) as conn:
        # A schema a half-dead server backend still locks is left for the next reap.
        conn.execute("SET lock_timeout = '5s'")
        for run_id, schemas in sorted(by_run.items()):
            started = run_started_at(run_id)
            if started is None or now - started < older_than:
                continue
            key = run_lock_key(run_id)
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not row or not row[0]:
                continue  # a live run holds it
            try:
                for schema in schemas:
                    try:
                        conn.execute(
                            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                                sql.Identifier(schema)
                            )
                        )
                    except LockNotAvailable:
                        continue  # still locked by a dying backend: the next reap gets it
                    except InsufficientPrivilege:
                        reaped.undroppable.append(_undroppable(conn, schema))
                        continue
                    reaped.dropped.append(schema)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    return reaped


def _undroppable(conn: psycopg.Connection[Any], schema: str) -> Undroppable:
    row = conn.execute(
        "SELECT pg_get_userbyid(n.nspowner), current_user FROM pg_namespace n WHERE n.nspname = %s",
        (schema,),
    ).fetchone()
    owner, role = (str(row[0]), str(row[1])) if row else ("(unknown)", "(unknown)")
    return Undroppable(schema, owner, role)


def check_can_create_schemas(url: ServerUrl, run_id: str, *, keep: bool = False) -> None:
    """Create (and unless `keep`, drop) the run's probe schema, `dualstore_<run id>_probe`,
    so a role that may connect but not create schemas fails the run before any test (every
    worker needs a schema of its own). Named like a worker's store, so a crash here leaves
    a name the next run reaps."""
    from psycopg import sql
    from psycopg.errors import InsufficientPrivilege

    schema = sql.Identifier(store_name(run_id, PROBE_WORKER))
    with _admin(url) as conn:
        try:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        except InsufficientPrivilege:
            row = conn.execute("SELECT current_user, current_database()").fetchone()
            assert row is not None
            role, database = sql.Identifier(str(row[0])), sql.Identifier(str(row[1]))
            grant = sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(database, role)
            raise BackendUnavailable(
                "postgres",
                f"role {row[0]!r} (the user of {url}) lacks the CREATE privilege on "
                f"database {row[1]!r}: it may connect, but not create the schema each "
                "worker runs its tests in.",
                f"as the database's owner or a superuser, run `{grant.as_string(conn)};`, "
                "or use a URL whose user may create schemas.",
            ) from None
        if not keep:
            conn.execute(sql.SQL("DROP SCHEMA {}").format(schema))
