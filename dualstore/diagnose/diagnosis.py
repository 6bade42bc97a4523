"""The diagnosis of one failing test: which kind of failure it is, and the command that
shows it.

In this order, each step only when the ones before it leave the question open:

1. the test alone, `runs` times: failing some of the times is *timing/random*; failing
   every time, it runs alone on the other backend too: passing there is
   *backend-specific*, failing there a plain failure (*fails every time*);
2. passing alone, it runs after its worker's prefix (the tests that worker ran before it):
   passing there too, nothing here makes it fail: *environment*, with what differs from
   the recorded run;
3. failing after the prefix, it is *order-dependent*: a search for the smallest prefix that
   still fails it finds the last test it needs, then again among the tests before that one,
   until the tests found fail it on their own (one replay each step: about log2(prefix)
   replays per polluter).

The search is ours, not detect-test-pollution's: that tool runs each step as `pytest -p
no:randomly …` after anything given in PYTEST_ADDOPTS (its only way in for our backend
options), so pytest-randomly's reseeding with the recorded seed cannot be turned back on
and each step draws other random values than the run did (and than the step before); and
it looks for exactly one polluter (a cause that needs tests from both halves ends its
bisection in an AssertionError).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from dualstore import environment, repro
from dualstore.commands import FULL_SESSION, nox_line, on_this_python, python_line
from dualstore.diagnose.recording import RecordedRun, WorkerOrder, on_backend
from dualstore.diagnose.replay import OutOfBudget, Replayer, Result
from dualstore.options import KNOWN_BACKENDS
from dualstore.repro import NOX_SESSION_ENV

ORDER: Final = "order-dependent"
TIMING: Final = "timing/random"
BACKEND: Final = "backend-specific"
ENVIRONMENT: Final = "environment"
ALWAYS: Final = "fails every time"
#: the two ways of getting no verdict
NO_BUDGET: Final = "no verdict within budget"
NO_REPLAY: Final = "no verdict"


class Unreplayable(Exception):
    """A replay did not run the test (the message says why)."""


@dataclass
class Verdict:
    test: str
    kind: str
    #: the finding, then the evidence
    lines: list[str] = field(default_factory=list)
    #: the minimal command that shows it
    command: str = ""

    @property
    def found(self) -> bool:
        return self.kind not in (NO_BUDGET, NO_REPLAY)

    def text(self) -> list[str]:
        shown = [f"{self.kind}: {self.test}", *(f"  {line}" for line in self.lines)]
        return [*shown, f"  reproduce with: {self.command}"] if self.command else shown


def say(message: str) -> None:
    print(f"diagnose: {message}", file=sys.stderr, flush=True)  # noqa: T201 - progress


def tests_command(run: RecordedRun, tests: Sequence[str]) -> str:
    """The command that runs `tests` in this order, one process, with the recorded seed and
    on their backends (a nox command when diagnose runs in a nox session)."""
    seed = [f"--randomly-seed={run.seed}"] if run.seed is not None else ["-p", "no:randomly"]
    if run.seed is not None and len(tests) > 1:
        seed.append("--randomly-dont-reorganize")  # the order given is the order
    backends = list(dict.fromkeys(b for t in tests if (b := run.backend_of(t)) is not None))
    selected = [f"--dualstore-backend={b}" for b in backends]
    if not os.environ.get(NOX_SESSION_ENV):
        return python_line(["-p", "no:xdist", *selected, *seed, *tests])
    session = str(run.recording.get("nox_session") or FULL_SESSION)
    if len(backends) == 1 and session != FULL_SESSION:
        return nox_line(on_this_python(f"tests-{backends[0]}"), ["-n0", *seed, *tests])
    if backends:  # the full session, on just these backends
        return nox_line(FULL_SESSION, [*selected, "-n0", *seed, *tests])
    return nox_line(on_this_python(session), ["-n0", *seed, *tests])


def replay_command(order_file: str) -> str:
    return repro.replay_command(os.environ.get(NOX_SESSION_ENV), order_file)


def other_backend(run: RecordedRun, backend: str) -> str | None:
    return next((b for b in (*run.backends, *KNOWN_BACKENDS) if b != backend), None)


def _of_them(count: int) -> str:
    return "this one is" if count == 1 else f"these {count} are"


def _times(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


class Diagnosis:
    def __init__(
        self,
        run: RecordedRun,
        replayer: Replayer,
        *,
        runs: int,
        shown_order: Callable[[WorkerOrder], str],
        progress: Callable[[str], None] = say,
    ) -> None:
        self.run = run
        self.replayer = replayer
        self.runs = runs
        self.shown_order = shown_order
        self.progress = progress
        self._label = ""
        #: results of sequences of two or more tests (one failure's search often replays
        #: what another's did); a test alone is never taken from here: its repeats count
        self._seen: dict[tuple[str, ...], Result] = {}
        #: how far the current failure got, for a verdict the budget cuts short
        self._so_far = ""

    # ------------------------------------------------------------------ replays
    def _replay(self, tests: Sequence[str], what: str) -> Result:
        key = tuple(tests)
        if len(key) > 1 and key in self._seen:
            self.progress(f"{self._label}: {what}: {self._seen[key].outcome} (replayed before)")
            return self._seen[key]
        result = self.replayer.replay(tests)
        if len(key) > 1 and result.outcome is not None:
            self._seen[key] = result
        budget = self.replayer.budget
        shown = result.outcome or f"did not run ({result.reason})"
        self.progress(
            f"{self._label}: {what}: {shown} ({result.seconds:.1f}s; "
            f"replay {budget.runs}/{budget.max_runs})"
        )
        if result.outcome is None:
            raise Unreplayable(result.reason)
        return result

    def _fails(self, tests: Sequence[str], what: str) -> bool:
        return self._replay(tests, what).failed

    def _repeat(self, test: str, what: str, *, until_failure: bool = False) -> list[Result]:
        results: list[Result] = []
        for number in range(1, self.runs + 1):
            results.append(self._replay([test], f"{what}, run {number}/{self.runs}"))
            failed = sum(r.failed for r in results)
            self._so_far = f"{what}: failed {failed} of {_times(len(results))} so far"
            if until_failure and results[-1].failed:
                break
        self._so_far = ""
        return results

    # ------------------------------------------------------------------ the steps
    def diagnose(self, order: WorkerOrder, test: str, label: str) -> Verdict:
        self._label = label
        self._so_far = ""
        facts: list[str] = []
        try:
            return self._diagnose(order, test, facts)
        except OutOfBudget as exc:
            so_far = [self._so_far] if self._so_far else []
            return Verdict(test, NO_BUDGET, [*facts, *so_far, f"stopped: {exc}"])
        except Unreplayable as exc:
            return Verdict(
                test, NO_REPLAY, [*facts, f"a replay could not run it: {exc}"],
                replay_command(self.shown_order(order)),
            )  # fmt: skip

    def _diagnose(self, order: WorkerOrder, test: str, facts: list[str]) -> Verdict:
        backend = self.run.backend_of(test)
        on = f" on {backend}" if backend else ""
        seed = f"seed {self.run.seed}" if self.run.seed is not None else "unshuffled"
        alone = self._repeat(test, "alone")
        failed = sum(r.failed for r in alone)
        runs = len(alone)
        facts.append(f"alone{on} ({seed}): failed {failed} of {_times(runs)}")
        single = tests_command(self.run, [test])
        if 0 < failed < runs:
            same = ", same seed each time" if self.run.seed is not None else ""
            return Verdict(
                test, TIMING,
                [f"it fails {failed} of {runs} times alone{on} ({runs} runs made{same}): it "
                 "depends on timing or on randomness the seed does not fix, not on the tests "
                 "before it"],
                single,
            )  # fmt: skip
        if failed == runs:
            return self._fails_alone(test, backend, facts, single)
        return self._passes_alone(order, test, facts)

    def _fails_alone(
        self, test: str, backend: str | None, facts: list[str], single: str
    ) -> Verdict:
        every = f"it fails every time alone ({_times(self.runs)})"
        other = other_backend(self.run, backend) if backend else None
        if backend is None or other is None:
            return Verdict(test, ALWAYS, [f"{every}: not a flake"], single)
        twin = on_backend(test, backend, other)
        try:
            there = self._repeat(twin, f"alone on {other}", until_failure=True)
        except Unreplayable as exc:
            return Verdict(
                test, ALWAYS, [f"{every} on {backend}; {other} could not be checked: {exc}"], single
            )
        if any(r.failed for r in there):
            return Verdict(
                test, ALWAYS, [f"{every}, on {backend} and on {other}: not a flake"], single
            )
        return Verdict(
            test, BACKEND,
            [f"it fails on {backend} and passes on {other}: {backend} "
             f"{_times(self.runs)} alone, all failed; {other} {_times(len(there))} alone, "
             "all passed (same seed)"],
            single,
        )  # fmt: skip

    def _passes_alone(self, order: WorkerOrder, test: str, facts: list[str]) -> Verdict:
        prefix = order.prefix(test)
        worker = order.worker or "its process"
        if prefix and self._fails([*prefix, test], f"after the {len(prefix)} tests before it"):
            facts.append(f"fails after the {len(prefix)} tests {worker} ran before it")
            return self._order_dependent(test, prefix, worker)
        ran = (
            f"after the {len(prefix)} tests {worker} ran before it (1 replay)"
            if prefix
            else f"and it ran first on {worker}"
        )
        lines = [
            f"it passes every way here: alone ({_times(self.runs)}) {ran}, with the "
            f"recorded seed and backends (unless it fails less often than 1 in "
            f"{self.runs + 1}: raise --runs)",
            *self._differences(),
        ]
        workers = self.run.recording.get("workers")
        if isinstance(workers, int) and workers > 1:
            lines.append(
                f"the run had {workers} xdist workers: what ran beside it on the others "
                "(shared files, the server, ports) is the next suspect"
            )
        return Verdict(test, ENVIRONMENT, lines, replay_command(self.shown_order(order)))

    def _differences(self) -> list[str]:
        here = {**environment.snapshot(), "servers": self.replayer.servers}
        differs = environment.differences(self.run.recording, here)
        if not differs:
            return [
                "nothing the run recorded differs here (Python, packages, server versions): "
                "look at what it did not record (environment variables, machine load, time, the "
                "CI runner)"
            ]
        return ["what differs from the recorded run:", *(f"  {line}" for line in differs)]

    def _order_dependent(self, test: str, prefix: list[str], worker: str) -> Verdict:
        polluters = self._smallest_prefix(prefix, test)
        named = " and ".join(f"`{p}`" for p in polluters)
        verb = "leaves" if len(polluters) == 1 else "leave"
        lines = [
            f"{named} {verb} state that breaks `{test}`",
            f"it passes alone ({_times(self.runs)}) and fails after the {len(prefix)} tests "
            f"{worker} ran before it; {_of_them(len(polluters))} enough",
        ]
        lines.extend(self._on_other_backend([*polluters, test]))
        return Verdict(test, ORDER, lines, tests_command(self.run, [*polluters, test]))

    def _smallest_prefix(self, prefix: list[str], test: str) -> list[str]:
        """The fewest earlier tests, in their order, after which `test` still fails."""
        required: list[str] = []
        pool = list(prefix)  # invariant: pool + required + [test] fails
        while pool:
            if required and self._fails([*required, test], f"after {len(required)} found"):
                break
            low, high = 1, len(pool)  # pool[:high] + required fails it
            while low < high:
                self._so_far = (
                    f"the search was down to the first {high} of {len(prefix)} earlier tests"
                    + (f", {len(required)} of the ones it needs found" if required else "")
                )
                middle = (low + high) // 2
                if self._fails([*pool[:middle], *required, test], f"after {middle} of {len(pool)}"):
                    high = middle
                else:
                    low = middle + 1
            required.insert(0, pool[high - 1])
            pool = pool[: high - 1]
        self._so_far = ""
        return required

    def _on_other_backend(self, tests: list[str]) -> list[str]:
        """Whether the same tests fail it on the other backend (one replay, if the budget
        has one left)."""
        backend = self.run.backend_of(tests[-1])
        other = other_backend(self.run, backend) if backend else None
        if backend is None or other is None:
            return []
        twins = [on_backend(t, backend, other) if self.run.backend_of(t) else t for t in tests]
        try:
            fails = self._fails(twins, f"the same on {other}")
        except OutOfBudget:
            return [f"not tried on {other}: the budget is spent"]
        except Unreplayable as exc:
            return [f"not tried on {other}: {exc}"]
        if fails:
            return [f"the same tests fail it on {other} too"]
        return [f"on {other} the same tests pass: the state breaks it on {backend} only"]


def shown_path(path: Path, artifact: Path | None, unpacked: Path | None) -> str:
    """A recorded file as the user can name it: relative to the project root (the cwd);
    inside an unpacked artifact, where it goes once unpacked into `.dualstore/runs`."""
    if artifact is not None and unpacked is not None:
        inside = path.resolve().relative_to(unpacked.resolve())
        runs = Path(".dualstore") / "runs"
        # an artifact of `.dualstore/runs/` holds the run directories (or that path itself)
        return str(inside if inside.is_relative_to(runs) else runs / inside)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
