"""The SQLite provisioner: one database file per worker in the run's temp dir; nothing
to start and no driver beyond the standard library.

Raw connections have `PRAGMA foreign_keys = ON` (SQLite leaves foreign keys unchecked by
default, PostgreSQL always checks them: the same test must see the same rules).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dualstore.project import LEDGER_TABLE, Project, Store
from dualstore.provision.base import Provisioned, probe
from dualstore.runinfo import BackendInfo, store_name
from dualstore.settings import HarnessConfig
from dualstore.tempdirs import RunTempDir

#: what a raw connection waits for another connection's write lock (seconds)
BUSY_TIMEOUT = 10.0


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect_file(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SqliteProvisioner:
    """SQLite: one database file per worker in the run's temp dir; nothing to start."""

    is_server = False
    driver_modules: tuple[str, ...] = ("sqlite3",)

    def provision(
        self, cfg: HarnessConfig, run_id: str, tempdir: RunTempDir, project: Project
    ) -> Provisioned:
        started = time.perf_counter()
        directory = tempdir.subdir("sqlite")
        store = self._store(directory / f"{store_name(run_id, 'probe')}.db")
        try:
            info = probe(
                self,
                project,
                store,
                target=directory,
                source=f"files in {directory}",
                started=started,
            )
        finally:
            self.remove_store(store)
        return Provisioned(info)

    def _store(self, path: Path) -> Store:
        return Store("sqlite", f"sqlite:///{path}", None, path, lambda: connect_file(path))

    def create_store(self, info: BackendInfo, run_id: str, worker_id: str) -> Store:
        return self._store(info.directory / f"{store_name(run_id, worker_id)}.db")

    def remove_store(self, store: Store) -> None:
        assert store.path is not None
        _remove_sqlite_file(store.path)

    def answers(self, info: BackendInfo, timeout: float) -> bool:
        return info.directory.is_dir()

    def server_version(self, conn: Any) -> str:
        return f"SQLite {conn.execute('SELECT sqlite_version()').fetchone()[0]}"

    def describe(self, conn: Any) -> str:
        return ""

    def applied_migrations(self, conn: Any) -> set[str]:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (name TEXT PRIMARY KEY)")
        conn.commit()
        return {str(row[0]) for row in conn.execute(f"SELECT name FROM {LEDGER_TABLE}")}

    def apply_migration(self, conn: Any, name: str, sql: str) -> None:
        # executescript() commits first and runs the script as it is: the script's own
        # BEGIN ... COMMIT makes the file and its ledger row one transaction.
        record = "'" + name.replace("'", "''") + "'"
        script = f"BEGIN;\n{sql}\n;\nINSERT INTO {LEDGER_TABLE} (name) VALUES ({record});\nCOMMIT;"
        try:
            conn.executescript(script)
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise

    def tables(self, conn: Any) -> dict[str, frozenset[str]]:
        names = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: frozenset(
                str(row[0])
                for row in conn.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))
            )
            for name in names
        }

    def empty_tables(self, conn: Any, tables: Sequence[str]) -> None:
        for table in tables:
            conn.execute(f"DELETE FROM {_quoted(table)}")
        conn.commit()

    def is_gone(self, exc: BaseException) -> bool:
        return False  # a file does not go away the way a server does
