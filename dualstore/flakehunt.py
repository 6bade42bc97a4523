"""Hunt a flaky test: run pytest again and again with new seeds and worker counts.

    python -m dualstore.flakehunt [--max-runs N] [--workers 0,2,4,auto]
                                        [--first-seed S] [--no-diagnose]
                                        [--diagnose-runs N] [--diagnose-max-runs N]
                                        [--diagnose-time-budget SECONDS]
                                        [pytest args or test ids …]

Run ``i`` uses seed ``first_seed + i`` and the ``i``-th worker count (cycling), so both the
order inside a worker and the split between workers change. It stops at the first failing
run, prints that run's output, hands that run to `dualstore.diagnose` (with a smaller
budget than diagnose's own: its verdicts follow the output), repeats the run's
``reproduce with:`` block as its last lines and exits 1; after ``--max-runs`` clean runs
it exits 0. A run that did not get as far as failing a test (usage error, no tests,
internal error) stops the hunt with its own exit status, because rerunning will not
change it. `nox -s flake-hunt` calls this module.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dualstore import diagnose

MAX_RUNS_ENV = "DUALSTORE_FLAKE_MAX_RUNS"
DEFAULT_MAX_RUNS = 20
#: one process first: two tests on two workers never meet, so an order-dependent pair is
#: only found where one worker runs both
DEFAULT_WORKERS = ("0", "2", "4", "auto")
#: pytest's exit status when tests failed; any other non-zero status is not a flake
TESTS_FAILED = 1
REPRODUCE_MARK = "reproduce with:"
#: the diagnosis of a found failure: each failing test alone this many times, and at most
#: this many replays and seconds in all (a hunt has already spent its time)
DIAGNOSE_RUNS = 3
DIAGNOSE_MAX_RUNS = 20
DIAGNOSE_TIME_BUDGET = 180.0


@dataclass(frozen=True)
class DiagnoseBudget:
    runs: int = DIAGNOSE_RUNS
    max_runs: int = DIAGNOSE_MAX_RUNS
    time_budget: float = DIAGNOSE_TIME_BUDGET


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flake-hunt",
        allow_abbrev=False,  # a pytest flag must never be taken for an abbreviation of ours
        description="Rerun pytest with varying seeds and worker counts until it fails.",
        epilog="Unknown arguments (test ids, -k, --backend …) are passed to pytest.",
    )
    parser.add_argument(
        "--max-runs",
        type=int,
        default=int(os.environ.get(MAX_RUNS_ENV) or DEFAULT_MAX_RUNS),
        help=f"stop after this many passing runs [env {MAX_RUNS_ENV}, default {DEFAULT_MAX_RUNS}]",
    )
    parser.add_argument(
        "--workers",
        default=",".join(DEFAULT_WORKERS),
        help="comma-separated xdist worker counts, each given an equal block of runs (new "
        "seeds within a block), in this order; 0 = no xdist "
        f"[default {','.join(DEFAULT_WORKERS)}]",
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=None,
        help="seed of the first run (default: a random one, so each hunt tries new seeds)",
    )
    parser.add_argument(
        "--no-diagnose",
        action="store_true",
        help="do not diagnose the failing run (diagnose replays its failing tests)",
    )
    parser.add_argument(
        "--diagnose-runs", type=int, default=DIAGNOSE_RUNS,
        help=f"diagnose: how often each failing test runs alone [default {DIAGNOSE_RUNS}]",
    )  # fmt: skip
    parser.add_argument(
        "--diagnose-max-runs", type=int, default=DIAGNOSE_MAX_RUNS,
        help=f"diagnose: at most this many replays [default {DIAGNOSE_MAX_RUNS}]",
    )  # fmt: skip
    parser.add_argument(
        "--diagnose-time-budget", type=float, default=DIAGNOSE_TIME_BUDGET, metavar="SECONDS",
        help=f"diagnose: at most this long [default {DIAGNOSE_TIME_BUDGET:g}]",
    )  # fmt: skip
    return parser


def pytest_command(seed: int, workers: str, pytest_args: Sequence[str]) -> list[str]:
    """The pytest invocation of one hunting run."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "randomly",
        f"--randomly-seed={seed}",
        f"--numprocesses={workers}",
        *pytest_args,
    ]


def _say(message: str) -> None:
    print(f"flake-hunt: {message}", flush=True)  # noqa: T201 - a command-line tool


def _clean_env() -> dict[str, str]:
    """This environment minus xdist's worker markers, which would make pytest-replay in the
    hunted run believe it is a worker (it names its files after PYTEST_XDIST_WORKER)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_")}


def reproduce_block(output: str) -> str:
    """The last `reproduce with:` block of a run's output ('' when there is none)."""
    start = output.rfind(REPRODUCE_MARK)
    return output[start:].rstrip() if start >= 0 else ""


def replayed_order_file(block: str) -> Path | None:
    """The order file a `reproduce with:` block replays (None if its first command is not
    a replay: a run whose tests all passed, yet it failed)."""
    lines = block.splitlines()
    if len(lines) < 2:
        return None
    argv = shlex.split(lines[1])
    for arg in argv:
        if arg.startswith("--replay="):
            return Path(arg.removeprefix("--replay="))
    if argv[:4] == ["nox", "-s", "repro", "--"] and len(argv) > 4:
        return Path(argv[4])
    return None


def _diagnose(block: str, budget: DiagnoseBudget) -> None:
    order_file = replayed_order_file(block)
    if order_file is None or not order_file.is_file():
        _say("nothing to diagnose: the run names no order file of a failing test")
        return
    _say(f"diagnosing the failing run ({order_file.parent}); verdicts follow")
    sys.stdout.flush()
    diagnose.diagnose(
        order_file.parent,
        runs=budget.runs,
        max_runs=budget.max_runs,
        time_budget=budget.time_budget,
    )
    sys.stdout.flush()


def hunt(
    max_runs: int,
    workers: Sequence[str],
    first_seed: int,
    pytest_args: Sequence[str],
    diagnosis: DiagnoseBudget | None = None,
) -> int:
    """Run until a failure (returns 1), a broken run (its status) or the limit (returns 0).
    A failing run is diagnosed within `diagnosis` (None: not diagnosed)."""
    for run in range(max_runs):
        seed = first_seed + run
        # the seed varies first: the runs go to the worker counts in blocks, in order
        count = workers[min(run * len(workers) // max_runs, len(workers) - 1)]
        command = pytest_command(seed, count, pytest_args)
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603 - our interpreter, the user's own pytest args
            command, capture_output=True, text=True, check=False, env=_clean_env()
        )
        took = time.monotonic() - started
        status = "passed" if result.returncode == 0 else f"exit {result.returncode}"
        _say(f"run {run + 1}/{max_runs} seed={seed} -n {count}: {status} ({took:.1f}s)")
        if result.returncode == 0:
            continue
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != TESTS_FAILED:
            _say(f"stopped: pytest exited {result.returncode}, not a test failure")
            return result.returncode
        _say(f"first failure on run {run + 1} (seed={seed}, -n {count})")
        block = reproduce_block(result.stdout)
        if diagnosis is not None and block:
            _diagnose(block, diagnosis)
        # Repeated so that the hunt, too, ends with the command to run next.
        print(block or "(no reproduce block in the output)")  # noqa: T201
        return TESTS_FAILED
    _say(f"no failure in {max_runs} runs")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options, pytest_args = _parser().parse_known_args(argv)
    workers = [w.strip() for w in options.workers.split(",") if w.strip()]
    if options.max_runs < 1 or not workers:
        _parser().error("--max-runs must be at least 1 and --workers must name a count")
    if options.diagnose_runs < 1 or options.diagnose_max_runs < 1:
        _parser().error("--diagnose-runs and --diagnose-max-runs must be at least 1")
    if options.diagnose_time_budget <= 0:
        _parser().error("--diagnose-time-budget must be above 0")
    first_seed = options.first_seed
    if first_seed is None:
        first_seed = random.randrange(2**31)  # noqa: S311 - a test seed, not a secret
    diagnosis = None
    if not options.no_diagnose:
        diagnosis = DiagnoseBudget(
            options.diagnose_runs, options.diagnose_max_runs, options.diagnose_time_budget
        )
    return hunt(options.max_runs, workers, first_seed, pytest_args, diagnosis)


if __name__ == "__main__":
    raise SystemExit(main())
