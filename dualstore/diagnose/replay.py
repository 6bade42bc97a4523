"""Replaying a list of tests in one process, as the recorded run ran them: the recorded
seed and backends (from run.json, through `pytest --replay`, like `nox -s repro`), one
process, and only the tests given, in that order. Each replay records its own order file
in a scratch directory, whose outcome lines say how the test under diagnosis ended.

Replays never write into the project's run directories (they would prune the run being
diagnosed) nor its pytest cache, and never print anything of their own output but a
short reason when a replay could not run the test at all."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from dualstore.diagnose.recording import RUN_FILE, RecordedRun, read_order, read_recording
from dualstore.serverurl import ServerUrl
from storage.errors import ValidationError
from storage.url import redact

#: the environment a replay must not inherit: xdist's worker markers (pytest-replay would
#: name its file after one), and the CI runner's (a replay would annotate the CI job)
DROPPED_ENV_PREFIXES: Final = ("PYTEST_XDIST_", "GITHUB_")
#: how long a replay that ran past the time budget gets to stop after Ctrl-C
STOP_GRACE_SECONDS: Final = 15.0
#: the harness's server URL (dualstore.options.POSTGRES_URL's environment variable)
POSTGRES_URL_ENV: Final = "DUALSTORE_POSTGRES_URL"


def replays(count: int) -> str:
    return "1 replay" if count == 1 else f"{count} replays"


class OutOfBudget(Exception):
    """No run or time is left for another replay."""


@dataclass
class Budget:
    max_runs: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    runs: int = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def take(self) -> float:
        """Count one replay; its time limit (what is left of the budget)."""
        if self.runs >= self.max_runs:
            raise OutOfBudget(f"the run budget ({replays(self.max_runs)}) is spent")
        if self.remaining() <= 0:
            raise OutOfBudget(f"the time budget ({self.seconds:g} s) is spent")
        self.runs += 1
        return self.remaining()


@dataclass(frozen=True)
class Result:
    #: how the last test ended: passed, failed, skipped; None if it did not run
    outcome: str | None
    seconds: float
    #: why it did not run (one scrubbed line), when it did not
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"


class Replayer:
    def __init__(
        self, run: RecordedRun, scratch: Path, budget: Budget, extra_args: Sequence[str] = ()
    ) -> None:
        self.run = run
        self.scratch = scratch
        self.budget = budget
        self.extra_args = list(extra_args)
        #: backend -> server version, as the replays here saw them
        self.servers: dict[str, str] = {}
        self._count = 0

    def replay(self, tests: Sequence[str]) -> Result:
        """Run `tests` in this order in one process; how the last one ended."""
        timeout = self.budget.take()
        self._count += 1
        here = self.scratch / f"replay-{self._count}"
        here.mkdir(parents=True)
        order_file = here / "order-in.txt"
        order_file.write_text(
            "".join(json.dumps({"nodeid": test}) + "\n" for test in tests), encoding="utf-8"
        )
        if self.run.recording:
            # beside the order file: the replay applies its seed and backends
            (here / RUN_FILE).write_text(json.dumps(self.run.recording), encoding="utf-8")
        out = here / "out"
        command = [
            sys.executable, "-m", "pytest", f"--replay={order_file}",
            f"--replay-record-dir={out}", "-p", "no:cacheprovider", "-q",
            *self._backend_args(tests), *self._seed_args(), *self.extra_args,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV_PREFIXES)}
        env["DUALSTORE_RUN_DIR"] = str(here / "runs")  # the harness's, when it is loaded
        started = time.monotonic()
        returncode, output = _run(command, env, timeout)
        took = time.monotonic() - started
        self._note_servers(out)
        outcome = None
        if (out / "order.txt").is_file():
            outcome = read_order(out / "order.txt").outcomes.get(tests[-1])
        reason = "" if outcome else _reason(returncode, output)
        shutil.rmtree(here, ignore_errors=True)
        return Result(outcome, took, reason)

    def _backend_args(self, tests: Sequence[str]) -> list[str]:
        """Exactly the backends these tests run on: a selected backend on which no test
        runs would fail the replay, and each one not needed costs its start-up."""
        used = dict.fromkeys(b for t in tests if (b := self.run.backend_of(t)) is not None)
        return [f"--dualstore-backend={b}" for b in used]

    def _seed_args(self) -> list[str]:
        # With a recorded seed the replay applies it; a run without one ran unshuffled and
        # unseeded, as this must.
        return ["-p", "randomly"] if self.run.seed is not None else ["-p", "no:randomly"]

    def _note_servers(self, out: Path) -> None:
        servers = read_recording(out).get("servers") if out.is_dir() else None
        if isinstance(servers, dict):
            self.servers.update({str(k): str(v) for k, v in servers.items()})


def _run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run a replay; past `timeout`, interrupt it (pytest then cleans up: a throwaway
    server is stopped), and kill it if it does not stop."""
    with subprocess.Popen(  # noqa: S603 - our interpreter and pytest
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    ) as process:  # (in our process group: a Ctrl-C stops the replay too)
        try:
            output, _ = process.communicate(timeout=max(timeout, 1.0))
            return process.returncode, output
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            try:
                output, _ = process.communicate(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            return None, "the time budget ran out during this replay"


def _reason(returncode: int | None, output: str) -> str:
    """Why a replay did not run the test: the last error line of its output."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR", "E ", "INTERNALERROR"))]
    last = (errors or lines or [f"pytest exited {returncode} and printed nothing"])[-1]
    return scrub(last.removeprefix("ERROR: "))[:300]


def scrub(text: str) -> str:
    """`text` with the password of any URL or conninfo in it hidden (and of the server URL
    the replays were given, wherever it appears)."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        # (a malformed URL the harness reports itself, without its password)
        with contextlib.suppress(ValidationError):
            text = ServerUrl.parse(url).scrub(text)
    return " ".join(redact(word) for word in text.split(" "))
