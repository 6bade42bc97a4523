"""What a failed run left behind, read back: its run directories (run.json and one
pytest-replay order file per worker), from a run directory, a directory holding run
directories (a downloaded CI artifact, `.dualstore/runs`), one order file, or the artifact's
`.zip` as GitHub serves it (unpacked into a temp dir first)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from dualstore.options import KNOWN_BACKENDS

RUN_FILE: Final = "run.json"
ORDER_GLOB: Final = "order*.txt"


class BadTarget(Exception):
    """The target is not something a failed run recorded (the message says what it is)."""


@dataclass(frozen=True)
class WorkerOrder:
    """One worker's recorded sequence: the tests in the order they started, and how each
    ended (pytest-replay's outcome: passed, failed, skipped)."""

    path: Path
    tests: list[str]
    outcomes: dict[str, str]

    @property
    def worker(self) -> str | None:
        """gw0, gw1, … (None for a run without xdist: `order.txt`)."""
        stem = self.path.stem
        return stem.partition("-")[2] or None

    def failed(self) -> list[str]:
        return [test for test in self.tests if self.outcomes.get(test) == "failed"]

    def unfinished(self) -> list[str]:
        """Tests that started and never ended (their worker died, or the run was stopped)."""
        return [test for test in self.tests if test not in self.outcomes]

    def prefix(self, test: str) -> list[str]:
        """The tests this worker ran before `test`."""
        return self.tests[: self.tests.index(test)]


@dataclass(frozen=True)
class RecordedRun:
    run_dir: Path
    #: run.json ({} when there is none: a run recorded by pytest-replay alone)
    recording: dict[str, Any]
    orders: list[WorkerOrder] = field(default_factory=list)

    @property
    def seed(self) -> int | None:
        seed = self.recording.get("seed")
        return seed if isinstance(seed, int) else None

    @property
    def backends(self) -> list[str]:
        """The backends the run selected ([] when the harness was not loaded)."""
        return [str(b) for b in self.recording.get("backends") or []]

    def failures(self) -> list[tuple[WorkerOrder, str]]:
        return [(order, test) for order in self.orders for test in order.failed()]

    def backend_of(self, test: str) -> str | None:
        """The backend in a test id's parameters ([sqlite], [postgres-3]); None for a test
        that is not backend-parametrized, or in a run without the harness."""
        if not self.backends:
            return None
        return next((p for p in _params(test) if p in KNOWN_BACKENDS), None)


def _params(test: str) -> list[str]:
    name = test.rpartition("::")[2]
    if not name.endswith("]") or "[" not in name:
        return []
    return name[name.index("[") + 1 : -1].split("-")


def on_backend(test: str, old: str, new: str) -> str:
    """The same test id on another backend (its backend parameter replaced)."""
    head, _, tail = test.rpartition("::")
    bracket = tail.index("[")
    params = [new if p == old else p for p in tail[bracket + 1 : -1].split("-")]
    name = f"{tail[:bracket]}[{'-'.join(params)}]"
    return f"{head}::{name}" if head else name


def read_order(path: Path) -> WorkerOrder:
    tests: dict[str, None] = {}
    outcomes: dict[str, str] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = text.strip()
        if not line or line.startswith(("#", "//")):
            continue
        try:
            entry = json.loads(line)
            test = str(entry["nodeid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BadTarget(f"{path}:{number}: not a pytest-replay order line") from exc
        tests[test] = None
        if entry.get("outcome"):
            outcomes[test] = str(entry["outcome"])
    return WorkerOrder(path, list(tests), outcomes)


def read_recording(run_dir: Path) -> dict[str, Any]:
    run_file = run_dir / RUN_FILE
    if not run_file.is_file():
        return {}
    try:
        recording = json.loads(run_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BadTarget(f"{run_file} is not a run recording (JSON): re-download it") from exc
    if not isinstance(recording, dict):
        raise BadTarget(f"{run_file} is not a run recording (a JSON object): re-download it")
    return recording


def read_run_dir(run_dir: Path) -> RecordedRun:
    orders = [read_order(p) for p in sorted(run_dir.glob(ORDER_GLOB))]
    return RecordedRun(run_dir, read_recording(run_dir), orders)


def load(target: Path, unpack_into: Path) -> list[RecordedRun]:
    """The recorded runs in `target` that have failing tests (an order file: that worker's
    run alone). A `.zip` is unpacked into `unpack_into` first."""
    if not target.exists():
        raise BadTarget(f"{target}: no such file or directory")
    if target.is_file() and zipfile.is_zipfile(target):
        with zipfile.ZipFile(target) as archive:
            archive.extractall(unpack_into)  # (zipfile keeps members inside the directory)
        target = unpack_into
    if target.is_file():
        run = read_run_dir(target.parent)
        order = read_order(target)
        runs = [RecordedRun(run.run_dir, run.recording, [order])]
        where = str(target)
    elif (target / RUN_FILE).is_file() or any(target.glob(ORDER_GLOB)):
        runs, where = [read_run_dir(target)], str(target)
    else:
        dirs = sorted({p.parent for p in target.rglob(RUN_FILE)})
        runs = [read_run_dir(d) for d in dirs]
        where = f"the {len(dirs)} run directories in {target}"
        if not dirs:
            raise BadTarget(
                f"{target}: no run.json in it or below: pass a run directory "
                "(.dualstore/runs/<run id>/), an order file in one, or a CI artifact (.zip)"
            )
    failing = [run for run in runs if run.failures()]
    if not failing:
        unfinished = [
            (order, test) for run in runs for order in run.orders for test in order.unfinished()
        ]
        detail = ""
        if unfinished:
            order, test = unfinished[0]
            detail = (
                f" ({test} started in {order.path} and never finished: the worker died or "
                "the run was stopped; `nox -s repro` replays that order)"
            )
        raise BadTarget(f"no failed test is recorded in {where}: nothing to diagnose{detail}")
    return failing
