"""Provisioning per backend: find or start the database, prove it answers, give each
worker its own store, and reap what dead runs left behind.

`PROVISIONERS` is a registry keyed by backend name (the `--backend` choices come from it):
adding a backend adds an entry here, never an `if backend == ...` in the plugin.

This is the one harness module that talks to PostgreSQL directly (admin work the storage
API rightly does not offer: schemas, advisory locks, the readiness query). psycopg and
pytest-postgresql are imported inside functions, so a SQLite-only environment (the
`tests-sqlite` session installs neither) can import this module.
"""
# ruff: noqa: PLC0415  (driver imports are deliberately local, see above)

from __future__ import annotations

import hashlib
import importlib.util
import math
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import storage
from storage.errors import StorageError, Unavailable, ValidationError
from storage.testing import pgbin, stores
from storage.testing.pgerrors import URL_FIX, classify, not_ready
from storage.testing.runinfo import (
    NAME_PREFIX,
    STORE_NAME_RE,
    BackendInfo,
    BackendUnavailable,
    SecretUrl,
    new_run_id,
    run_started_at,
    store_name,
)
from storage.testing.stores import Provisioned, Provisioner, WorkerStore
from storage.testing.tempdirs import RunTempDir
from storage.url import build_url, parse_url, redact

if TYPE_CHECKING:
    import psycopg

    from storage.testing.config import HarnessConfig

#: a dead run's leftovers are reaped only once they are this old (by the run id's
#: timestamp). The advisory lock is what protects live runs; the age is a second guard
#: for setups where session locks are unreliable (e.g. a transaction-mode pooler).
DEFAULT_REAP_GRACE: Final = timedelta(minutes=2)
#: a throwaway server exists only for tests: durability off makes it several times faster
THROWAWAY_COLLATION: Final = "en-US"
SERVER_SETTINGS: Final = "-c synchronous_commit=off -c full_page_writes=off"  # -F: fsync off
_ADMIN_CONNECT_TIMEOUT: Final = 10
#: the "worker id" of the schema that provisioning creates and drops to test the privilege
PROBE_WORKER: Final = "probe"


# --------------------------------------------------------------------------- admin SQL


def libpq_url(url: str) -> str:
    """What libpq gets for `url`: its keyword/value conninfo, without `schema`."""
    conninfo = parse_url(url).conninfo
    assert conninfo is not None, "not a PostgreSQL URL"
    return conninfo


def _connect_admin(
    url: str, connect_timeout: int = _ADMIN_CONNECT_TIMEOUT, **kwargs: Any
) -> psycopg.Connection[Any]:
    import psycopg

    return psycopg.connect(
        libpq_url(url), autocommit=True, connect_timeout=connect_timeout, **kwargs
    )


@contextmanager
def _admin(url: str, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection for admin work. Driver errors leave as storage errors
    (`Unavailable` when the server cannot be reached), like everywhere in `storage`."""
    import psycopg

    try:
        with _connect_admin(url, **kwargs) as conn:
            yield conn
    # The driver error stays the cause, without its frames: they show the conninfo
    # (with the password) as arguments in pytest's tracebacks.
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {redact(url)}: {_scrubbed(url, exc)}"
        raise Unavailable(message) from exc.with_traceback(None)
    except psycopg.Error as exc:
        message = f"PostgreSQL at {redact(url)}: {_scrubbed(url, exc)}"
        raise StorageError(message) from exc.with_traceback(None)


def _scrubbed(url: str, exc: BaseException) -> str:
    return " ".join(parse_url(url).scrub(str(exc)).split())


def create_schema(url: str, schema: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def drop_schema(url: str, schema: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def create_database(url: str, name: str, *, icu_locale: str | None = None) -> str:
    """Create a database on `url`'s server; return its URL (tests that must not share
    a database with concurrent runs use one of their own). With `icu_locale`, the
    database's default collation is that ICU locale (a linguistic order, not code points)."""
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if icu_locale is not None:
        statement += sql.SQL(
            " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE {} LOCALE 'C'"
        ).format(sql.Literal(icu_locale))
    with _admin(url) as conn:
        conn.execute(statement)
    return _replaced(url, dbname=name)


def _replaced(url: str, **params: str) -> SecretUrl:
    """`url` with some libpq parameters replaced. Built from libpq's reading of the URL, so
    every form (socket directory, several hosts, keyword/value) names the same server; the
    result hides its password in repr."""
    from psycopg.conninfo import conninfo_to_dict

    parsed = parse_url(url)
    read = {key: str(value) for key, value in conninfo_to_dict(libpq_url(url)).items()}
    return SecretUrl(build_url({**read, **params}, schema=parsed.schema))


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def login_role(url: str, *, may_create_schemas: bool) -> Iterator[str]:
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
        yield _replaced(url, user=name, password=password)
    finally:
        with _admin(url) as conn:
            # DROP OWNED also revokes the role's privileges (on the database too).
            conn.execute(sql.SQL("DROP OWNED BY {}").format(role))
            conn.execute(sql.SQL("DROP ROLE {}").format(role))


def list_schemas(url: str, prefix: str = f"{NAME_PREFIX}_") -> list[str]:
    """Schemas whose name starts with `prefix` (default: every harness schema)."""
    pattern = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    with _admin(url) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
            (pattern,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def drop_run_schemas(url: str, run_id: str) -> list[str]:
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

    def __init__(self, url: str, run_id: str) -> None:
        # Opened through `_admin` (typed errors, no password in tracebacks); on success the
        # connection is kept open past this block, since the lock lives as long as it does.
        with ExitStack() as stack:
            conn = stack.enter_context(_admin(url, application_name=f"{NAME_PREFIX} run {run_id}"))
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (run_lock_key(run_id),)
            ).fetchone()
            if not row or not row[0]:
                raise StorageError(f"run lock for {run_id} is already held (duplicate run id?)")
            self._open = stack.pop_all()

    def release(self) -> None:
        self._open.close()


@contextmanager
def hold_run_lock(url: str, run_id: str) -> Iterator[None]:
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
    url: str, *, older_than: timedelta = DEFAULT_REAP_GRACE, now: datetime | None = None
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


def check_can_create_schemas(url: str, run_id: str) -> None:
    """Create and drop the run's probe schema, `dualstore_<run id>_probe`, so a role that
    may connect but not create schemas fails the run before any test (every worker needs
    a schema of its own). Named like a worker's store, so a crash here leaves a name the
    next run reaps."""
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
                f"role {row[0]!r} (the user of {redact(url)}) lacks the CREATE privilege on "
                f"database {row[1]!r}: it may connect, but not create the schema each "
                "worker runs its tests in.",
                f"as the database's owner or a superuser, run `{grant.as_string(conn)};`, "
                "or use a URL whose user may create schemas.",
            ) from None
        conn.execute(sql.SQL("DROP SCHEMA {}").format(schema))


# --------------------------------------------------------------------------- readiness


def wait_ready(url: str, *, timeout: float, started: float | None = None) -> int:
    """Run `SELECT 1` until it succeeds; back off exponentially (50 ms doubling to 1 s)
    until `timeout` seconds after `started` (a `time.monotonic()` value; default now).
    Returns the number of attempts.

    Errors that waiting cannot fix (login refused, database missing, an invalid URL or
    option) fail at once: retrying them would only delay the message. An invalid URL is
    named as the cause, not the server.
    """
    import psycopg

    try:
        parsed = parse_url(url)
    except ValidationError as exc:
        what = f"{exc} (the URL is at fault, not the server; not retried)"
        raise BackendUnavailable("postgres", what, URL_FIX) from None
    assert parsed.conninfo is not None, "not a PostgreSQL URL"
    deadline = (time.monotonic() if started is None else started) + timeout
    delay, attempts = 0.05, 0
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        try:
            with psycopg.connect(
                parsed.conninfo,
                autocommit=True,
                connect_timeout=max(2, min(10, math.ceil(remaining))),
            ) as conn:
                conn.execute("SELECT 1").fetchone()
            return attempts
        except psycopg.Error as exc:
            last = " ".join(parsed.scrub(str(exc)).split())
            permanent = classify(last)
            if permanent is not None:
                # A bad URL is the URL's fault, not the server's: say which.
                culprit = "the URL" if permanent.url_at_fault else "PostgreSQL at"
                what = f"{culprit} {parsed.redacted} {permanent.what} (not retried): {last}"
                raise BackendUnavailable("postgres", what, permanent.fix) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            address = server_address(parsed.conninfo)
            raise not_ready(parsed.redacted, address, timeout, attempts, last)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 1.0)


def server_address(conninfo: str) -> tuple[str | None, str]:
    """The host(s) and port(s) libpq connects to for `conninfo`, as `pg_isready -h -p`
    takes them: from the conninfo, else from libpq's defaults (PGHOST, PGPORT, ...).
    The host is None when libpq uses its built-in socket directory (pg_isready's too)."""
    from psycopg import pq
    from psycopg.conninfo import conninfo_to_dict

    given = {key: str(value) for key, value in conninfo_to_dict(conninfo).items() if value}
    defaults = {
        option.keyword.decode(): option.val.decode()
        for option in pq.Conninfo.get_defaults()
        if option.val
    }
    candidates = (given, defaults)
    host = next((d[k] for d in candidates for k in ("host", "hostaddr") if d.get(k)), None)
    port = next((d["port"] for d in candidates if d.get("port")), "5432")
    return host, port


# --------------------------------------------------------------------------- throwaway server


class ThrowawayServer:
    """A PostgreSQL server for one run: pytest-postgresql's executor (initdb + pg_ctl
    start) on a free port, data under `directory/pg`, fsync and friends off, trust auth,
    running as an unprivileged user when we are root (see `pgbin`)."""

    def __init__(self, directory: Path, *, pg_bindir: Path | None, timeout: float) -> None:
        from pytest_postgresql.executors import PostgreSQLExecutor

        self.pg_ctl = pgbin.find_pg_ctl(pg_bindir)
        self.run_as = pgbin.run_as_prefix()
        server_dir = directory / "pg"
        server_dir.mkdir(mode=0o700)
        pgbin.give_to_server_user(server_dir)
        self.data_dir = server_dir / "data"
        self.log_path = server_dir / "server.log"
        self.port = pgbin.free_port()
        self.timeout = max(1, math.ceil(timeout))
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.executor = PostgreSQLExecutor(
            executable=str(pgbin.write_wrapper(self.pg_ctl, self.run_as, directory / "bin")),
            host="127.0.0.1",
            port=self.port,
            datadir=str(self.data_dir),
            unixsocketdir=str(server_dir),
            logfile=str(self.log_path),
            startparams="-w",
            dbname="postgres",
            user="postgres",
            timeout=self.timeout,
            postgres_options=SERVER_SETTINGS,
        )

    @property
    def description(self) -> str:
        as_user = f", as OS user {pgbin.UNPRIVILEGED_USER}" if self.run_as else ""
        return f"throwaway server at 127.0.0.1:{self.port} (pg_ctl {self.pg_ctl}{as_user})"

    def start(self) -> None:
        from mirakuru.exceptions import ExecutorError
        from pytest_postgresql.exceptions import PostgreSQLUnsupported

        try:
            self.executor.start()
            # mirakuru returns once the port is open; `pg_ctl start -w` is still waiting.
            # Let it finish, so a stop right after a start never kills it halfway.
            if self.executor.process is not None:
                self.executor.process.wait(timeout=self.timeout)
        except (ExecutorError, PostgreSQLUnsupported, subprocess.SubprocessError, OSError) as exc:
            self.stop()
            raise BackendUnavailable(
                "postgres",
                f"the {self.description} did not start: {exc}\n  server log:\n{self.log_tail()}",
                "read the log above; check that PostgreSQL >= 14 server binaries are "
                "installed and that the temp dir is writable, or pass --postgres-url.",
            ) from None

    def stop(self) -> None:
        """Stop the server if it runs (fast shutdown); safe to call twice or after the
        server died on its own."""
        if not (self.data_dir / "postmaster.pid").exists():
            return
        from mirakuru.exceptions import ExecutorError

        with suppress(ExecutorError, subprocess.SubprocessError, OSError):
            self.executor.stop()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "    (no log)"
        return "\n".join(f"    {line}" for line in text.splitlines()[-lines:])


@contextmanager
def throwaway_server(
    *, pg_bindir: Path | None = None, timeout: float = 30.0
) -> Iterator[ThrowawayServer]:
    """Start a throwaway server in a locked run temp dir; stop it and remove everything
    on exit. For tests that need a server of their own (e.g. to stop it mid-run)."""
    tempdir = RunTempDir(new_run_id())
    try:
        server = ThrowawayServer(tempdir.path, pg_bindir=pg_bindir, timeout=timeout)
        try:
            server.start()
            wait_ready(server.url, timeout=timeout)
            yield server
        finally:
            server.stop()
    finally:
        tempdir.remove()


# --------------------------------------------------------------------------- the registry


def _require(module: str, purpose: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise BackendUnavailable(
            "postgres",
            f"the Python package {module!r} is not installed ({purpose}).",
            "install the project with its postgres extra and the test-postgres dependency "
            "group (`nox -s tests-postgres` does), or select --backend sqlite.",
        )


class PostgresProvisioner:
    """PostgreSQL: the server at the configured URL, or a throwaway one; one schema per
    worker; the run's advisory lock; leftovers of dead runs reaped at start."""

    def provision(self, cfg: HarnessConfig, run_id: str, tempdir: RunTempDir) -> Provisioned:
        started, began = time.perf_counter(), time.monotonic()
        _require("psycopg", "the PostgreSQL driver")
        cleanups: list[Callable[[], object]] = []
        try:
            if cfg.postgres_url:
                url, source = cfg.postgres_url, f"URL {redact(cfg.postgres_url)}"
                wait_ready(url, timeout=cfg.db_ready_timeout, started=began)
            else:
                _require("pytest_postgresql", "it starts the throwaway server")
                server = ThrowawayServer(
                    tempdir.path, pg_bindir=cfg.pg_bindir, timeout=cfg.db_ready_timeout
                )
                cleanups.append(server.stop)
                server.start()
                wait_ready(server.url, timeout=cfg.db_ready_timeout, started=began)
                # The suites' database gets a linguistic collation (where "apple" sorts
                # before "Zebra"), unlike the C-ordered default: text ordering that leaks
                # into SQL then fails on this leg instead of passing by luck.
                url = create_database(server.url, "dualstore", icu_locale=THROWAWAY_COLLATION)
                source = f"{server.description}, collation ICU {THROWAWAY_COLLATION}"
            cleanups.append(RunLock(url, run_id).release)
            cleanups.append(lambda: drop_run_schemas(url, run_id))
            check_can_create_schemas(url, run_id)
            reaped = reap(url, older_than=cfg.reap_grace)
            info = stores.probe("postgres", url, target=url, source=source, started=started)
        except StorageError as exc:
            # The server answered the readiness query, then failed the run's setup (a
            # missing privilege, a lost connection): stop the run with the reason.
            stores.undo(cleanups)
            raise BackendUnavailable(
                "postgres",
                f"setting up the run failed: {exc}",
                "check that the URL's user may create schemas (and, for a throwaway "
                "server, databases) and that the server stays up; rerun to retry.",
            ) from None
        except BaseException:
            stores.undo(cleanups)
            raise
        dropped = reaped.dropped
        notes = [f"reaped {len(dropped)} schema(s) of dead runs: {', '.join(dropped)}"] * bool(
            dropped
        )
        warnings = [schema.warning() for schema in reaped.undroppable]
        return Provisioned(info, notes, cleanups, warnings)

    def open_store(self, info: BackendInfo, run_id: str, worker_id: str) -> WorkerStore:
        url, schema = info.target, store_name(run_id, worker_id)
        create_schema(url, schema)
        return stores.migrated_store(
            info.name,
            schema,
            lambda: storage.connect(url, schema=schema),
            lambda: drop_schema(url, schema),
        )


#: backend name -> provisioner, in the order backends run and are reported
PROVISIONERS: Final[dict[str, Provisioner]] = {
    "sqlite": stores.SqliteProvisioner(),
    "postgres": PostgresProvisioner(),
}
