"""What one harness run is: its id, its run directory, its backends and their tallies.

The plugin stores one `RunInfo` in `config.stash[RUN_INFO]` at `pytest_configure`, in the
controller and in every xdist worker (workers receive the controller's run id, so a run has
one id everywhere). Other plugins of this package (e.g. `dualstore.repro`) read it:

    from dualstore.runinfo import RUN_INFO
    info = config.stash[RUN_INFO]
    info.run_id          # "20261125T180102_ab12"
    info.worker_id       # "main" without xdist, else "gw0", "gw1", ... (or a --tx id=NAME)
    info.is_controller   # False in an xdist worker, whatever its id
    info.run_dir         # <runs dir>/<run id>/ (default runs dir: <rootdir>/.dualstore/runs;
                         # --dualstore-run-dir moves it), created on first use and kept
    info.tallies         # backend name -> BackendTally (final in the controller's
                         # pytest_terminal_summary; each xdist worker only sees its own tests)
    info.summary_lines() # the "dualstore: <backend>: ..." lines the plugin prints

This module imports no database driver, so any plugin can import it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from dualstore.serverurl import ServerUrl

#: prefix of every schema, file and temp dir a run creates (what the reapers look for)
NAME_PREFIX: Final = "dualstore"
#: "<UTC timestamp>_<4 hex digits>": sortable, readable, unique enough for parallel runs
RUN_ID_PATTERN: Final = r"(?P<stamp>\d{8}T\d{6})_(?P<nonce>[0-9a-f]{4})"
_RUN_ID_RE: Final = re.compile(rf"^{RUN_ID_PATTERN}$")
#: `dualstore_<run id>_<worker id>`: a PostgreSQL schema or an SQLite file stem
STORE_NAME_RE: Final = re.compile(rf"^{NAME_PREFIX}_{RUN_ID_PATTERN}_(?P<worker>[a-z0-9]+)$")
_STAMP_FORMAT: Final = "%Y%m%dT%H%M%S"
#: worker id of a run without xdist (xdist's own ids are gw0, gw1, ...)
SINGLE_PROCESS_WORKER: Final = "main"
#: where run directories go unless --dualstore-run-dir says otherwise (relative to the rootdir)
DEFAULT_RUNS_DIR: Final = Path(".dualstore") / "runs"
#: how the user moves them (the option is declared in dualstore.options.RUN_DIR)
RUN_DIR_MOVED_BY: Final = "--dualstore-run-dir DIR (ini dualstore_run_dir, env DUALSTORE_RUN_DIR)"
_SAFE_WORKER_RE: Final = re.compile(r"^[a-z0-9]{1,16}$")


def new_run_id(now: datetime | None = None) -> str:
    """A fresh run id. The random part comes from `secrets`, not `random`, because
    pytest-randomly reseeds `random` with the same seed in every run of a repro."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP_FORMAT)
    return f"{stamp}_{secrets.token_hex(2)}"


def run_started_at(run_id: str) -> datetime | None:
    """When the run with this id started (from its timestamp), or None if not a run id."""
    match = _RUN_ID_RE.match(run_id)
    if match is None:
        return None
    return datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)


def store_name(run_id: str, worker_id: str) -> str:
    """Name of a worker's schema (PostgreSQL) or database file stem (SQLite)."""
    return f"{NAME_PREFIX}_{run_id}_{worker_id}"


def store_worker_id(worker_id: str) -> str:
    """The worker id as store names use it. xdist's own ids (gw0, ...) stay as they are;
    one chosen with `--tx popen//id=NAME` may be anything, so it becomes lowercase letters
    and digits plus a hash of the original: the store name still matches `STORE_NAME_RE`
    (a crashed run's store stays reapable), stays unique, and fits PostgreSQL's 63-byte
    identifiers."""
    if _SAFE_WORKER_RE.match(worker_id):
        return worker_id
    digest = hashlib.blake2b(worker_id.encode(), digest_size=3).hexdigest()
    return re.sub(r"[^a-z0-9]", "", worker_id.lower())[:16] + digest


def create_run_dir(path: Path, *, moved_by: str) -> Path:
    """Create a run directory (and its parents), or say why not and how to move it.

    A file where a directory should be, or a read-only checkout, would otherwise surface
    as an OSError deep inside some plugin's configure hook, i.e. a pytest INTERNALERROR."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        # mkdir succeeds on an existing directory; writing into it is what runs need.
        problem = "" if os.access(path, os.W_OK | os.X_OK) else "it is not writable"
    except OSError as exc:
        problem = exc.strerror or type(exc).__name__
    if not problem:
        return path
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        problem, fix = f"{blocker} is a file, not a directory", f"remove or rename {blocker}"
    else:
        fix = f"make {path.parent} writable"
    raise pytest.UsageError(
        f"dualstore: cannot create the run directory {path}: {problem}. Each run records "
        f"its test order and the commands that reproduce it there. Fix: {fix}, or move "
        f"the run directories with {moved_by}."
    )


class BackendUnavailable(Exception):
    """A selected backend cannot be used; the message names the cause and the fix."""

    def __init__(self, backend: str, cause: str, fix: str) -> None:
        super().__init__(f"backend {backend!r} is unavailable: {cause}\n  Fix: {fix}")
        self.backend = backend
        self.cause = cause
        self.fix = fix


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """A provisioned backend as the controller hands it to workers (plain, picklable data).

    `target` is what workers connect to: the server's URL for PostgreSQL (printing it shows
    it redacted), the directory of the store files for SQLite.
    """

    name: str
    target: ServerUrl | Path
    source: str
    server_version: str
    capabilities: tuple[str, ...]
    ready_seconds: float

    @property
    def server(self) -> ServerUrl:
        """The server's URL (a server backend's `target`)."""
        if not isinstance(self.target, ServerUrl):
            raise TypeError(f"backend {self.name!r} has no server: its stores are files")
        return self.target

    @property
    def directory(self) -> Path:
        """The directory of the store files (a file backend's `target`)."""
        if not isinstance(self.target, Path):
            raise TypeError(f"backend {self.name!r} keeps its stores on a server")
        return self.target

    def to_wire(self) -> dict[str, object]:
        return {
            "name": self.name,
            # (a worker parses the URL again: the wire carries plain data)
            **(
                {"url": str(self.target.secret)}
                if isinstance(self.target, ServerUrl)
                else {"directory": str(self.target)}
            ),
            "source": self.source,
            "server_version": self.server_version,
            "capabilities": list(self.capabilities),
            "ready_seconds": self.ready_seconds,
        }

    @classmethod
    def from_wire(cls, data: dict[str, object]) -> BackendInfo:
        capabilities = data["capabilities"]
        assert isinstance(capabilities, list)
        return cls(
            name=str(data["name"]),
            target=ServerUrl.parse(str(data["url"]))
            if "url" in data
            else Path(str(data["directory"])),
            source=str(data["source"]),
            server_version=str(data["server_version"]),
            capabilities=tuple(str(c) for c in capabilities),
            ready_seconds=float(str(data["ready_seconds"])),
        )


@dataclass(slots=True)
class BackendTally:
    """Outcomes of the tests that ran on one backend (counted like pytest's summary)."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    xfailed: int = 0
    xpassed: int = 0
    #: tests not run here because the backend lacks a capability they require
    deselected: int = 0
    #: tests that failed because the backend went away (a connection error)
    unavailable: int = 0
    #: the exception types of those failures, e.g. "psycopg.OperationalError"
    unavailable_kinds: list[str] = field(default_factory=list)

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors + self.xfailed + self.xpassed

    def line(self, backend: str) -> str:
        text = (
            f"dualstore: {backend}: {self.passed} passed, {self.failed} failed, "
            f"{self.skipped} skipped, {self.errors} errors"
        )
        extras = [
            f"{count} {label}"
            for count, label in (
                (self.xfailed, "xfailed"),
                (self.xpassed, "xpassed"),
                (self.deselected, "deselected (capability missing)"),
            )
            if count
        ]
        if extras:
            text += ", " + ", ".join(extras)
        if self.unavailable:
            text += (
                f"; the backend went away: {self.unavailable} test(s) failed with "
                f"{' or '.join(self.unavailable_kinds) or 'a connection error'}"
            )
        return text


@dataclass(slots=True)
class RunInfo:
    run_id: str
    worker_id: str
    rootdir: Path
    #: selected backends, in run order
    backends: tuple[str, ...]
    #: True in an xdist worker: set from `config.workerinput`, which only workers have
    #: (a worker id may be anything: `--tx popen//id=NAME`)
    is_worker: bool = False
    #: the directory of run directories (--dualstore-run-dir); None = <rootdir>/.dualstore/runs
    runs_dir: Path | None = None
    #: provisioned backends (filled at session start; empty in --help-like runs)
    provisioned: dict[str, BackendInfo] = field(default_factory=dict)
    tallies: dict[str, BackendTally] = field(default_factory=dict)
    #: problems found at the end of the run (e.g. a backend on which no test ran)
    problems: list[str] = field(default_factory=list)
    #: tests that compare backends, deselected because the run selects fewer than two
    compare_deselected: int = 0

    @property
    def is_controller(self) -> bool:
        """True in the process that provisions and reports (xdist controller or no xdist)."""
        return not self.is_worker

    @property
    def run_dir(self) -> Path:
        """`<runs dir>/<run id>/`, created on first use and kept after the run (it holds
        artifacts such as recorded test orders, not databases). A runs dir that cannot be
        created is a `pytest.UsageError` naming it and the option that moves it."""
        runs_dir = self.runs_dir if self.runs_dir is not None else self.rootdir / DEFAULT_RUNS_DIR
        return create_run_dir(runs_dir / self.run_id, moved_by=RUN_DIR_MOVED_BY)

    @property
    def store_worker_id(self) -> str:
        """This worker's id in its store names (see `store_worker_id`)."""
        return store_worker_id(self.worker_id)

    def tally(self, backend: str) -> BackendTally:
        return self.tallies.setdefault(backend, BackendTally())

    def summary_lines(self) -> list[str]:
        return [self.tally(name).line(name) for name in self.backends]


RUN_INFO: Final = pytest.StashKey[RunInfo]()
