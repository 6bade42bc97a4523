"""The commands a failed run prints: `python -m pytest ...` or `nox -s ...`, with the
run's arguments (passwords hidden) and its seed."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from storage.url import redact

#: set by the noxfile's test sessions (and `repro`, to the session it replays): the session
#: whose installs this environment has. Recorded in run.json as `nox_session`, so that
#: `nox -s repro` installs the same (a replay without the run's packages fails differently).
RECORDED_SESSION_ENV: Final = "DUALSTORE_NOX_SESSION"
#: the noxfile's full-suite session: its tests/ need installs no per-backend session has
FULL_SESSION: Final = "tests"
#: the noxfile's per-backend sessions, parametrized over the declared Pythons
PER_BACKEND_SESSIONS: Final = ("tests-sqlite", "tests-postgres")


@dataclass(frozen=True)
class Failure:
    nodeid: str
    #: the xdist worker that ran it (gw0, gw1, …); None without xdist
    worker: str | None
    #: the backend it ran on (None for a test that is not backend-parametrized)
    backend: str | None
    #: where the test is: its file (relative to the rootdir) and 1-based line, if known
    path: str | None = None
    line: int | None = None


def redacted(args: Sequence[str]) -> list[str]:
    """The arguments with the password of any URL or keyword/value conninfo among them
    hidden (`--dualstore-postgres-url=…` included): run.json is uploaded by CI and the commands are
    printed. (`redact` leaves any other text as it is.)"""
    shown: list[str] = []
    for arg in args:
        flag, eq, value = arg.partition("=") if arg.startswith("-") else ("", "", arg)
        shown.append(f"{flag}{eq}{redact(value)}")
    return shown


def without_seed(args: list[str]) -> list[str]:
    """The arguments minus any `--randomly-seed` or `-p no:randomly` (the recorded seed, or
    `-p no:randomly` for an unshuffled run, is appended instead)."""
    kept: list[str] = []
    for arg in args:
        if (
            kept
            and kept[-1] in ("--randomly-seed", "-p")
            and (kept[-1] == "--randomly-seed" or arg == "no:randomly")
        ):
            kept.pop()
        elif not arg.startswith(("--randomly-seed=", "-pno:randomly")):
            kept.append(arg)
    return kept


def single_test_session(
    nox_session: str, failure: Failure, seed: list[str]
) -> tuple[str, list[str]]:
    """The nox session (and its args) that runs one failed test: the lightest one that has
    what the test needs, on this Python. A backend test of a per-backend run goes to
    `tests-<backend>-<python>`; in a full-suite run it may live under tests/ and need the
    full installs, so it stays there, on its backend alone (both backends, and one of them
    would have run no test)."""
    session = os.environ.get(RECORDED_SESSION_ENV) or nox_session
    args = ["-n0", *seed, failure.nodeid]
    if failure.backend is None:
        return on_this_python(session), args
    if session == FULL_SESSION:
        return session, [f"--dualstore-backend={failure.backend}", *args]
    return on_this_python(f"tests-{failure.backend}"), args


def on_this_python(session: str) -> str:
    """A per-backend session on this Python (`tests-sqlite-3.12`): those sessions run on
    every Python the project declares, and the rerun must run on this one, and only once."""
    if session in PER_BACKEND_SESSIONS:
        return f"{session}-{sys.version_info.major}.{sys.version_info.minor}"
    return session


def nox_line(session: str, args: list[str]) -> str:
    return shlex.join(["nox", "-s", session, "--", *args])


def python_line(args: list[str]) -> str:
    return shlex.join(["python", "-m", "pytest", *args])
