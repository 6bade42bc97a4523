"""The run's temp directory, and the reaper for directories that dead runs left behind.

One directory per run, `<tmp>/dualstore_<run id>/`, holds everything local the run creates:
`sqlite/` (one database file per worker), `pg/` (a throwaway server's data, socket and log,
owned by the server's user) and `bin/` (the pg_ctl wrapper, owned by us). The controller
removes it at the end of the run.

Liveness: the controller holds an exclusive `flock` on `<dir>/.lock` for the whole run. The
kernel drops the lock when the process dies, however it dies (even SIGKILL), so a reaper
that can take the lock knows the owner is gone: no pid files, no pid reuse problems.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Final

from dualstore.runinfo import NAME_PREFIX, run_started_at

_LOCK_NAME: Final = ".lock"


def temp_root() -> Path:
    return Path(tempfile.gettempdir())


class RunTempDir:
    """`<tmp>/dualstore_<run id>/`, locked for as long as this object is open."""

    def __init__(self, run_id: str, root: Path | None = None) -> None:
        self.path = (root or temp_root()) / f"{NAME_PREFIX}_{run_id}"
        self.path.mkdir()
        # 0711: a throwaway server running as another user must be able to traverse
        # into pg/, but nobody else may list or write here.
        self.path.chmod(0o711)
        self._lock: IO[bytes] | None = (self.path / _LOCK_NAME).open("wb")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def subdir(self, name: str) -> Path:
        path = self.path / name
        path.mkdir(exist_ok=True)
        return path

    def remove(self) -> None:
        """Delete the directory, then release the lock (in that order, so a reaper never
        sees an unlocked directory that is still being emptied)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _owned_directory(path: Path) -> bool:
    """Only touch real directories that this user created: /tmp is shared by everyone."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()


def _try_lock(path: Path) -> IO[bytes] | None:
    """Take the dead run's lock (returned open), or None if its run is still alive."""
    try:
        handle = (path / _LOCK_NAME).open("ab")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def reap_temp_dirs(
    older_than: timedelta,
    stop_server: Callable[[Path], None],
    *,
    root: Path | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Remove run directories whose run is dead (lock free) and older than `older_than`;
    a throwaway server still running in one is stopped first (`stop_server(data_dir)`)."""
    now = now or datetime.now(UTC)
    removed: list[Path] = []
    for path in sorted((root or temp_root()).glob(f"{NAME_PREFIX}_*")):
        started = run_started_at(path.name.removeprefix(f"{NAME_PREFIX}_"))
        if started is None or now - started < older_than or not _owned_directory(path):
            continue
        handle = _try_lock(path)
        if handle is None:
            continue
        try:
            data_dir = path / "pg" / "data"
            if (data_dir / "postmaster.pid").exists():
                stop_server(data_dir)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            handle.close()
    return removed
