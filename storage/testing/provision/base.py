"""What provisioning produces, for every backend: a backend ready for the run
(`Provisioned`), a worker's own store (`WorkerStore`), and the `Provisioner` protocol that
each backend's module implements. Driver-free: the plugin and the isolation code use only
these types.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import storage
from storage.api import Database
from storage.errors import StorageError
from storage.testing.runinfo import BackendInfo, BackendUnavailable
from storage.url import redact

if TYPE_CHECKING:
    from storage.testing.settings import HarnessConfig
    from storage.testing.tempdirs import RunTempDir


@dataclass(slots=True)
class Provisioned:
    """A backend made ready for the run (controller side) and the steps that undo it."""

    info: BackendInfo
    notes: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], object]] = field(default_factory=list)
    #: problems that do not stop the run but need the user (printed once, in the summary)
    warnings: list[str] = field(default_factory=list)

    def close(self) -> list[str]:
        return undo(self.cleanups)


def undo(cleanups: list[Callable[[], object]]) -> list[str]:
    """Run cleanups newest first; collect failures instead of raising, so one failed
    step (e.g. the server already gone) does not leave the others undone."""
    problems: list[str] = []
    while cleanups:
        cleanup = cleanups.pop()
        try:
            cleanup()
        except Exception as exc:  # noqa: BLE001 - reported to the user, the rest still runs
            problems.append(f"cleanup {getattr(cleanup, '__qualname__', cleanup)}: {exc}")
    return problems


@dataclass(slots=True)
class WorkerStore:
    """One worker's own database on one backend: migrated once, removed at the end."""

    backend: str
    #: the schema name (PostgreSQL) or the file path (SQLite)
    location: str
    database: Database
    setup_seconds: float
    _connect: Callable[[], Database]
    _remove: Callable[[], object]
    #: set when a test's cleanup did not finish: the next test resets first
    needs_reset: bool = False

    def connect(self) -> Database:
        """Another connection to the same store (for tests of concurrency)."""
        return self._connect()

    def close(self) -> None:
        try:
            self.database.close()
        finally:
            self._remove()


def probe(name: str, url: str, *, target: str, source: str, started: float) -> BackendInfo:
    """Connect through the storage API once: proves it works, reads version and
    capabilities (suites select tests by capability, never by backend name)."""
    try:
        db = storage.connect(url)
        try:
            version = db.server_version()
            capabilities = tuple(sorted(str(c) for c in db.capabilities))
        finally:
            db.close()
    except StorageError as exc:
        raise BackendUnavailable(
            name,
            f"storage.connect({redact(url)!r}) failed: {exc}",
            "the server answered a plain query but the storage layer could not use it; "
            "see the error above.",
        ) from None
    return BackendInfo(
        name=name,
        target=target,
        source=source,
        server_version=version,
        capabilities=capabilities,
        ready_seconds=time.perf_counter() - started,
    )


def migrated_store(
    name: str,
    location: str,
    connect: Callable[[], Database],
    remove: Callable[[], object],
) -> WorkerStore:
    started = time.perf_counter()
    try:
        db = connect()
        try:
            db.run_migrations()
        except BaseException:
            db.close()
            raise
    except BaseException:
        remove()
        raise
    elapsed = time.perf_counter() - started
    return WorkerStore(name, location, db, elapsed, connect, remove)


class Provisioner(Protocol):
    def provision(self, cfg: HarnessConfig, run_id: str, tempdir: RunTempDir) -> Provisioned:
        """Controller, once per run: make the backend reachable or raise
        `BackendUnavailable` (after undoing whatever it had started)."""

    def open_store(self, info: BackendInfo, run_id: str, worker_id: str) -> WorkerStore:
        """Worker, once per run: create, connect and migrate this worker's store."""
