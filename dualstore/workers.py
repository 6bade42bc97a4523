"""How many xdist workers `-n auto` starts: from the work, not from the cores.

A worker costs its start (a Python process importing pytest, the project and a driver,
collecting every test, opening a store per backend: one to two seconds here) before it
runs a test; a run with less work than that is slower under xdist than in one process.
So `-n auto` in a project that opted in asks the recorded durations (pytest-split's
`.test_durations`, which `--durations-path` moves) how many seconds of tests the run
selected, and starts one worker per `SECONDS_PER_WORKER` of them, at most one per usable
CPU; fewer than two means none (a single worker only adds its start). Measured on
2 CPUs (`nox -s bench`, and whole runs in turns): this repo's PostgreSQL suites (about
12 s of tests) ran 1.37-1.40x faster with 2 workers; its SQLite suites (about 6 s) between
0.79x and 1.09x, so they stay in one process; a run of one module was slower by the
workers' whole start.

Where there is nothing to go by (no durations file, or none of the selected tests in
it) xdist's own choice stands, and `PYTEST_XDIST_AUTO_NUM_WORKERS` always wins.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

import pytest

from dualstore.provision import PROVISIONERS

#: seconds of recorded test time that pay for one more worker's start
SECONDS_PER_WORKER: Final = 4.0
#: the variable with which a user (or CI) fixes `-n auto`'s count, as xdist reads it
AUTO_ENV: Final = "PYTEST_XDIST_AUTO_NUM_WORKERS"
#: the decision, as the header prints it (set when `auto_workers` decided)
DECISION: Final = pytest.StashKey[str]()


def usable_cpus() -> int:
    """The CPUs this process may run on (all of them where the OS cannot say, e.g. macOS)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def auto_workers(config: pytest.Config, backends: tuple[str, ...]) -> int | None:
    """The worker count for `-n auto` (None: leave it to xdist)."""
    if os.environ.get(AUTO_ENV):
        return None
    seconds = selected_seconds(config, backends)
    if seconds is None:
        return None
    cpus = usable_cpus()
    count = min(cpus, int(seconds // SECONDS_PER_WORKER))
    count = count if count >= 2 else 0
    config.stash[DECISION] = (
        f"-n auto: {count} workers for {seconds:.1f} s of recorded tests (one per "
        f"{SECONDS_PER_WORKER:g} s, at most one per CPU: {cpus}; fewer than 2 run in-process)"
    )
    return count


def selected_seconds(config: pytest.Config, backends: tuple[str, ...]) -> float | None:
    """The recorded seconds of the tests under the run's paths on `backends` (a test
    parametrized with another backend does not count); None without any record of them.
    Before collection there are only paths to go by: `-k` and `-m` are not applied."""
    durations = _durations(config)
    if not durations:
        return None
    root = config.rootpath
    paths = [_relative(root, arg) for arg in config.args] or [""]
    others = [name for name in PROVISIONERS if name not in backends]
    found = [
        seconds
        for node_id, seconds in durations.items()
        if any(_under(node_id, path) for path in paths)
        and not any(_on_backend(node_id, name) for name in others)
    ]
    return sum(found) if found else None


def _durations(config: pytest.Config) -> dict[str, float] | None:
    given = config.getoption("durations_path", None)  # pytest-split's option, if installed
    path = Path(given) if given else config.rootpath / ".test_durations"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def _relative(root: Path, arg: str) -> str:
    """A command-line path or node id as a node id prefix (relative to the rootdir)."""
    path, sep, rest = arg.partition("::")
    absolute = Path(path).resolve()
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        return arg  # outside the rootdir: compared as given
    relative = "" if relative == "." else relative
    return f"{relative}{sep}{rest}"


def _under(node_id: str, prefix: str) -> bool:
    if not prefix:
        return True
    return node_id == prefix or node_id.startswith((f"{prefix}/", f"{prefix}::", f"{prefix}["))


def _on_backend(node_id: str, name: str) -> bool:
    """Whether the test's parameter id names backend `name` (`[sqlite]`, `[postgres-3]`)."""
    _, bracket, params = node_id.partition("[")
    return bool(bracket) and name in params.rstrip("]").split("-")
