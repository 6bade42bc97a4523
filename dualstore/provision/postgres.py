"""The PostgreSQL provisioner: the server at the configured URL or a throwaway one, proven
ready by a real query, one schema per worker, the run's advisory lock, and the reaping of
dead runs' leftovers at start.

Beside it: `pgadmin` (the admin SQL), `pgerrors` (which connection errors waiting cannot
fix), `pgbin` (the server binaries and the unprivileged user of a throwaway server).
psycopg is imported inside functions, so a SQLite-only environment (the `tests-sqlite`
session installs no psycopg) can import this module.
"""
# ruff: noqa: PLC0415  (driver imports are deliberately local, see above)

from __future__ import annotations

import importlib.util
import math
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Final

from dualstore.errors import HarnessError
from dualstore.project import Project, Store
from dualstore.provision import base, pgbin, pgstore
from dualstore.provision.base import Provisioned
from dualstore.provision.pgadmin import (
    PROBE_WORKER,
    RunLock,
    check_can_create_schemas,
    create_schema,
    drop_run_schemas,
    drop_schema,
    reap,
)
from dualstore.provision.pgerrors import classify, not_ready
from dualstore.runinfo import BackendInfo, BackendUnavailable, new_run_id, store_name
from dualstore.serverurl import ServerUrl
from dualstore.settings import HarnessConfig
from dualstore.tempdirs import RunTempDir

#: SQLSTATEs of a server that is going away: admin_shutdown, crash_shutdown,
#: cannot_connect_now
GONE_STATES: Final = frozenset({"57P01", "57P02", "57P03"})
#: the throwaway server's database sorts text by this ICU locale (not by code points)
THROWAWAY_COLLATION: Final = "en-US"
#: a throwaway server exists only for tests: durability off makes it several times faster
SERVER_SETTINGS: Final = "-c synchronous_commit=off -c full_page_writes=off"  # -F: fsync off
#: its cluster: the superuser `postgres`, trust auth, not synced to disk, and text sorted by
#: the ICU locale (ICU as a cluster's default needs PostgreSQL >= 15)
INITDB_ARGS: Final = (
    "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C",
    "--locale-provider=icu", f"--icu-locale={THROWAWAY_COLLATION}",
)  # fmt: skip
#: the locale pg_ctl and initdb run under (the messages they print; not the cluster's order)
_SERVER_ENV: Final = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "LC_CTYPE": "C.UTF-8"}


# --------------------------------------------------------------------------- readiness


def wait_ready(url: ServerUrl, *, timeout: float, started: float | None = None) -> int:
    """Run `SELECT 1` until it succeeds; back off exponentially (50 ms doubling to 1 s)
    until `timeout` seconds after `started` (a `time.monotonic()` value; default now).
    Returns the number of attempts.

    Errors that waiting cannot fix (login refused, database missing, an invalid URL or
    option libpq checks only when it connects) fail at once: retrying them would only delay
    the message. A bad option is named as the URL's fault, not the server's.
    """
    import psycopg

    deadline = (time.monotonic() if started is None else started) + timeout
    delay, attempts = 0.05, 0
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        try:
            with psycopg.connect(
                url.conninfo,
                autocommit=True,
                connect_timeout=max(2, min(10, math.ceil(remaining))),
            ) as conn:
                conn.execute("SELECT 1").fetchone()
            return attempts
        except psycopg.Error as exc:
            last = url.scrubbed(exc)
            permanent = classify(last)
            if permanent is not None:
                # A bad URL is the URL's fault, not the server's: say which.
                culprit = "the URL" if permanent.url_at_fault else "PostgreSQL at"
                what = f"{culprit} {url} {permanent.what} (not retried): {last}"
                raise BackendUnavailable("postgres", what, permanent.fix) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise not_ready(url.redacted, server_address(url.conninfo), timeout, attempts, last)
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
    """A PostgreSQL server for one run: `initdb` and `pg_ctl start` on a free port, data
    under `directory/pg`, fsync and friends off, trust auth, running as an unprivileged
    user when we are root (see `pgbin`).

    Its cluster is created with the ICU locale `THROWAWAY_COLLATION`, so the `postgres`
    database the run uses sorts text linguistically without a second database. The
    binaries are run directly (not through pytest-postgresql's executor, whose version
    probe, status polls, synced initdb and checkpointing stop cost about a second a run:
    README "Performance").
    """

    def __init__(self, directory: Path, *, pg_bindir: Path | None, timeout: float) -> None:
        self.pg_ctl = pgbin.find_pg_ctl(pg_bindir)
        self.run_as = pgbin.run_as_prefix()
        server_dir = directory / "pg"
        server_dir.mkdir(mode=0o700)
        pgbin.give_to_server_user(server_dir)
        self.socket_dir = server_dir
        self.data_dir = server_dir / "data"
        self.log_path = server_dir / "server.log"
        self.port = pgbin.free_port()
        self.timeout = max(1, math.ceil(timeout))
        self.url = ServerUrl.parse(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")

    @property
    def description(self) -> str:
        as_user = f", as OS user {pgbin.UNPRIVILEGED_USER}" if self.run_as else ""
        return f"throwaway server at 127.0.0.1:{self.port} (pg_ctl {self.pg_ctl}{as_user})"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        # cd /: the server's user may not be allowed into the caller's working directory.
        return subprocess.run(  # noqa: S603 - our own pg_ctl lookup, our arguments
            [*self.run_as, str(self.pg_ctl), *args],
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
            cwd="/",
            env={**os.environ, **_SERVER_ENV},
        )

    def start(self) -> None:
        """initdb, then `pg_ctl start -w` (which returns once the server accepts
        connections); `BackendUnavailable` with the output and the log if either fails."""
        data = str(self.data_dir)
        server = ["-F", "-p", str(self.port), "-c", "listen_addresses=127.0.0.1"]
        server += ["-k", str(self.socket_dir), *shlex.split(SERVER_SETTINGS)]
        start = ["start", "-w", "-s", "-t", str(self.timeout), "-D", data]
        start += ["-l", str(self.log_path), "-o", shlex.join(server)]
        initdb = ["initdb", "-s", "-D", data, "-o", shlex.join(INITDB_ARGS)]
        steps = (("initdb", initdb), ("start", start))
        for step, args in steps:
            try:
                done = self._pg_ctl(*args)
                failure = (
                    None
                    if done.returncode == 0
                    else f"pg_ctl {step} exited {done.returncode}: "
                    + " ".join((done.stderr or done.stdout).split())
                )
            except (subprocess.SubprocessError, OSError) as exc:
                failure = f"pg_ctl {step}: {exc}"
            if failure is not None:
                self.stop()
                raise BackendUnavailable(
                    "postgres",
                    f"the {self.description} did not start: {failure}\n  server log:\n"
                    f"{self.log_tail()}",
                    "read the log above; check that PostgreSQL >= 15 server binaries are "
                    "installed and that the temp dir is writable, or pass "
                    "--dualstore-postgres-url.",
                ) from None

    def stop(self) -> None:
        """Stop the server if it runs; safe to call twice or after the server died on its
        own. Immediate mode: nothing is written on the way out (no shutdown checkpoint),
        since the data dir is removed next; pg_ctl still waits until the server is gone,
        so nothing is left running and nothing writes into a directory being removed."""
        if not (self.data_dir / "postmaster.pid").exists():
            return
        with suppress(subprocess.SubprocessError, OSError):
            self._pg_ctl("stop", "-s", "-w", "-D", str(self.data_dir), "-m", "immediate")

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
            "group (`nox -s tests-postgres` does), or select --dualstore-backend sqlite.",
        )


class PostgresProvisioner:
    """PostgreSQL: the server at the configured URL, or a throwaway one; one schema per
    worker; the run's advisory lock; leftovers of dead runs reaped at start."""

    is_server = True
    driver_modules: tuple[str, ...] = ("psycopg",)

    def provision(
        self, cfg: HarnessConfig, run_id: str, tempdir: RunTempDir, project: Project
    ) -> Provisioned:
        started, began = time.perf_counter(), time.monotonic()
        _require("psycopg", "the PostgreSQL driver")
        cleanups: list[Callable[[], object]] = []
        try:
            if cfg.postgres_url:
                url, source = cfg.postgres_url, f"URL {cfg.postgres_url}"
                wait_ready(url, timeout=cfg.db_ready_timeout, started=began)
            else:
                server = ThrowawayServer(
                    tempdir.path, pg_bindir=cfg.pg_bindir, timeout=cfg.db_ready_timeout
                )
                cleanups.append(server.stop)
                server.start()
                wait_ready(server.url, timeout=cfg.db_ready_timeout, started=began)
                # The cluster sorts text by an ICU locale (where "apple" sorts before
                # "Zebra"), unlike the C-ordered default: text ordering that leaks into
                # SQL then fails on this leg instead of passing by luck (INITDB_ARGS).
                url, source = server.url, server.description
            cleanups.append(RunLock(url, run_id).release)
            cleanups.append(lambda: drop_run_schemas(url, run_id))
            # the probe store: proves the role may create schemas (every worker needs one)
            schema = store_name(run_id, PROBE_WORKER)
            check_can_create_schemas(url, run_id, keep=True)
            store = self._store(url, schema)
            try:
                reaped = reap(url, older_than=cfg.reap_grace)
                info = base.probe(self, project, store, target=url, source=source, started=started)
            finally:
                self.remove_store(store)
        except HarnessError as exc:
            # The server answered the readiness query, then failed the run's setup (a
            # missing privilege, a lost connection): stop the run with the reason.
            base.undo(cleanups)
            raise BackendUnavailable(
                "postgres",
                f"setting up the run failed: {exc}",
                "check that the URL's user may create schemas (and, for a throwaway "
                "server, databases) and that the server stays up; rerun to retry.",
            ) from None
        except BaseException:
            base.undo(cleanups)
            raise
        dropped = reaped.dropped
        notes = [f"reaped {len(dropped)} schema(s) of dead runs: {', '.join(dropped)}"] * bool(
            dropped
        )
        warnings = [schema.warning() for schema in reaped.undroppable]
        return Provisioned(info, notes, cleanups, warnings)

    def _store(self, url: ServerUrl, schema: str) -> Store:
        def connect() -> Any:
            return pgstore.connect_schema(url, schema)

        return Store("postgres", url.secret, schema, None, connect, server=url)

    def create_store(self, info: BackendInfo, run_id: str, worker_id: str) -> Store:
        url, schema = info.server, store_name(run_id, worker_id)
        create_schema(url, schema)
        return self._store(url, schema)

    def remove_store(self, store: Store) -> None:
        assert store.schema is not None
        assert store.server is not None
        drop_schema(store.server, store.schema)

    def answers(self, info: BackendInfo, timeout: float) -> bool:
        import psycopg

        try:
            with psycopg.connect(
                info.server.conninfo,
                autocommit=True,
                connect_timeout=max(1, math.ceil(timeout)),
            ) as conn:
                conn.execute("SELECT 1").fetchone()
        except psycopg.Error:
            return False
        return True

    def server_version(self, conn: Any) -> str:
        return pgstore.server_version(conn)

    def describe(self, conn: Any) -> str:
        return f"collation {pgstore.collation(conn)}"

    def applied_migrations(self, conn: Any) -> set[str]:
        return pgstore.applied_migrations(conn)

    def apply_migration(self, conn: Any, name: str, sql: str) -> None:
        pgstore.apply_migration(conn, name, sql)

    def tables(self, conn: Any) -> dict[str, frozenset[str]]:
        return pgstore.tables(conn)

    def empty_tables(self, conn: Any, tables: Sequence[str]) -> None:
        pgstore.empty_tables(conn, tables)

    def is_gone(self, exc: BaseException) -> bool:
        psycopg = sys.modules.get("psycopg")  # not imported: no psycopg error to look at
        if psycopg is None or not isinstance(exc, psycopg.OperationalError):
            return False
        # no SQLSTATE: the connection itself failed or broke; class 08: a connection
        # exception; 57P01-03: the server is shutting down or cannot take connections
        state = getattr(exc, "sqlstate", None)
        return state is None or state.startswith("08") or state in GONE_STATES
