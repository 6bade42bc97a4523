"""Diagnose the failures a run recorded: why each test failed, and the command that shows it.

    python -m dualstore.diagnose [--runs N] [--max-runs N] [--time-budget SECONDS]
                                 <run dir | order file | CI artifact .zip>

For each failing test (every failure of a run directory, or of one worker's order file),
replays in one process, with the recorded seed and backends, tell which kind of failure
it is (diagnosis.py): *order-dependent* (names the earlier tests that break it, and prints
the 2-test command), *timing/random* (fails k of N times alone), *backend-specific*
(fails on one backend, passes on the other), *environment* (passes every way here: what
differs from the recorded run), or *fails every time* (not a flake). Progress goes to
stderr, verdicts to stdout as each is found. Replays are bounded by `--max-runs` and
`--time-budget`; a failure not settled within them gets "no verdict within budget".

Exit status: 0 every failing test got a verdict; 1 some got none (the budget ran out, or a
replay could not run the test); 2 a usage error (the target is not a recorded run, or it
recorded no failure). `nox -s diagnose` calls this module; so does `flake-hunt` when it
finds a failing run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from dualstore import environment
from dualstore.diagnose.diagnosis import NO_BUDGET, Diagnosis, Verdict, say, shown_path
from dualstore.diagnose.recording import BadTarget, RecordedRun, WorkerOrder, load
from dualstore.diagnose.replay import Budget, Replayer, replays

__all__ = ["DEFAULT_MAX_RUNS", "DEFAULT_RUNS", "DEFAULT_TIME_BUDGET", "diagnose", "main"]

#: how many times a test runs alone (how a flake that fails k of N times is told apart)
DEFAULT_RUNS: Final = 5
#: replays and seconds for the whole diagnosis
DEFAULT_MAX_RUNS: Final = 60
DEFAULT_TIME_BUDGET: Final = 600.0
NO_VERDICT_STATUS: Final = 1
USAGE_STATUS: Final = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diagnose",
        allow_abbrev=False,
        description="Tell why each test of a failed run failed, and print the command that "
        "shows it.",
        epilog="Exit status: 0 every failure got a verdict, 1 some got none within the "
        "budget, 2 usage error.",
    )
    parser.add_argument(
        "target",
        type=Path,
        help="a run directory (.dualstore/runs/<run id>/), a directory of them, one of its "
        "order files (only that worker's failures), or a CI artifact as downloaded (.zip)",
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS,
        help=f"how many times each failing test runs alone [default {DEFAULT_RUNS}]",
    )  # fmt: skip
    parser.add_argument(
        "--max-runs", type=int, default=DEFAULT_MAX_RUNS,
        help=f"at most this many replays in all [default {DEFAULT_MAX_RUNS}]",
    )  # fmt: skip
    parser.add_argument(
        "--time-budget", type=float, default=DEFAULT_TIME_BUDGET, metavar="SECONDS",
        help=f"stop starting replays after this long [default {DEFAULT_TIME_BUDGET:g}]",
    )  # fmt: skip
    return parser


def diagnose(
    target: Path,
    *,
    runs: int = DEFAULT_RUNS,
    max_runs: int = DEFAULT_MAX_RUNS,
    time_budget: float = DEFAULT_TIME_BUDGET,
    pytest_args: Sequence[str] = (),
) -> int:
    """Diagnose every failure recorded in `target`; print the verdicts; the exit status."""
    budget = Budget(max_runs, time_budget)
    with tempfile.TemporaryDirectory(prefix="dualstore-diagnose-") as scratch:
        unpacked = Path(scratch) / "artifact"
        try:
            recorded = load(target, unpacked)
        except BadTarget as exc:
            say(f"error: {exc}")
            return USAGE_STATUS
        artifact = target if unpacked.exists() else None
        verdicts: list[Verdict] = []
        total = sum(len(run.failures()) for run in recorded)
        for run in recorded:
            replayer = Replayer(run, Path(scratch) / "replays", budget, pytest_args)

            def shown(order: WorkerOrder) -> str:
                return shown_path(order.path, artifact, unpacked)

            _header(run, shown_path(run.run_dir, artifact, unpacked), artifact)
            diagnosis = Diagnosis(run, replayer, runs=runs, shown_order=shown)
            for order, test in run.failures():
                label = f"[{len(verdicts) + 1}/{total}] {test}"
                verdict = diagnosis.diagnose(order, test, label)
                verdicts.append(verdict)
                print("\n".join(verdict.text()), flush=True)  # noqa: T201
    missing = [v for v in verdicts if not v.found]
    spent = f"{replays(budget.runs)}, {budget.elapsed():.1f}s"
    if not missing:
        print(f"diagnose: every failing test got a verdict ({total}; {spent})")  # noqa: T201
        return 0
    cut_short = sum(v.kind == NO_BUDGET for v in missing)
    if cut_short:
        print(  # noqa: T201
            f"diagnose: no verdict within budget for {cut_short} of {total} failing tests "
            f"({spent}; --max-runs {max_runs}, --time-budget {time_budget:g}s): raise "
            "them, or diagnose one order file at a time"
        )
    if len(missing) > cut_short:
        print(  # noqa: T201
            f"diagnose: {len(missing) - cut_short} of {total} failing tests could not be "
            f"replayed ({spent}): see why above"
        )
    return NO_VERDICT_STATUS


def _header(run: RecordedRun, shown: str, artifact: Path | None) -> None:
    seed = f"seed {run.seed}" if run.seed is not None else "unshuffled (no seed)"
    backends = f"; backends {', '.join(run.backends)}" if run.backends else ""
    workers = run.recording.get("workers")
    xdist = f"; {workers} xdist workers" if isinstance(workers, int) and workers else ""
    source = f" (from {artifact})" if artifact is not None else ""
    count = len(run.failures())
    print(  # noqa: T201
        f"diagnose: {shown}{source}: {count} failing test{'s' if count != 1 else ''} "
        f"({seed}{backends}{xdist})"
    )
    if not run.recording:
        print("  warning: no run.json beside it: seed and backends unknown")  # noqa: T201
        return
    differs = environment.differences(run.recording, environment.snapshot())
    if differs:
        print("  warning: this environment differs from the recorded run's:")  # noqa: T201
        for line in differs:
            print(f"    {line}")  # noqa: T201


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    if options.runs < 1 or options.max_runs < 1 or options.time_budget <= 0:
        parser.error("--runs and --max-runs must be at least 1, --time-budget above 0")
    return diagnose(
        options.target,
        runs=options.runs,
        max_runs=options.max_runs,
        time_budget=options.time_budget,
    )


if __name__ == "__main__":
    sys.exit(main())
