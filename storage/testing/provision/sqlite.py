"""The SQLite provisioner: one database file per worker in the run's temp dir; nothing
to start and no driver beyond the standard library."""

from __future__ import annotations

import time
from pathlib import Path

import storage
from storage.testing.provision.base import Provisioned, WorkerStore, migrated_store, probe
from storage.testing.runinfo import BackendInfo, store_name
from storage.testing.settings import HarnessConfig
from storage.testing.tempdirs import RunTempDir


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class SqliteProvisioner:
    """SQLite: one database file per worker in the run's temp dir; nothing to start."""

    def provision(self, cfg: HarnessConfig, run_id: str, tempdir: RunTempDir) -> Provisioned:
        started = time.perf_counter()
        directory = tempdir.subdir("sqlite")
        probe_file = directory / f"{store_name(run_id, 'probe')}.db"
        try:
            info = probe(
                "sqlite",
                f"sqlite:///{probe_file}",
                target=str(directory),
                source=f"files in {directory}",
                started=started,
            )
        finally:
            _remove_sqlite_file(probe_file)
        return Provisioned(info)

    def open_store(self, info: BackendInfo, run_id: str, worker_id: str) -> WorkerStore:
        path = Path(info.target) / f"{store_name(run_id, worker_id)}.db"
        return migrated_store(
            info.name,
            str(path),
            lambda: storage.connect(f"sqlite:///{path}"),
            lambda: _remove_sqlite_file(path),
        )
