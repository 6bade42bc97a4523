"""What the harness tells the user: the header per backend, the per-backend tallies, and
the verdict "a selected backend on which no test ran is a failure".

Tallies are counted in the process that prints them (the xdist controller, or the only
process) from the test reports, which carry the backend in `user_properties` (set at
collection, so even a setup error is attributed). Deselections and per-worker setup times
happen in workers; they travel back in `workeroutput`.
"""

from __future__ import annotations

import statistics
from typing import Final

import pytest

from dualstore.runinfo import RunInfo, store_name

#: user_properties keys the plugin attaches to items and reports
BACKEND_PROPERTY: Final = "dualstore_backend"
UNAVAILABLE_PROPERTY: Final = "dualstore_unavailable"


def backend_of(test: pytest.Item | pytest.TestReport) -> str | None:
    """The backend a test ran on (recorded in its user properties; None if it took none)."""
    for key, value in test.user_properties:
        if key == BACKEND_PROPERTY:
            return str(value)
    return None


def record(run: RunInfo, report: pytest.TestReport) -> None:
    """Count one report the way pytest's own summary does (a test that fails and then
    errors in teardown counts once as failed and once as an error)."""
    backend = backend_of(report)
    if backend is None:
        return
    tally = run.tally(backend)
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            if report.skipped:
                tally.xfailed += 1
            elif report.passed:
                tally.xpassed += 1
        elif report.passed:
            tally.passed += 1
        elif report.failed:
            tally.failed += 1
        else:
            tally.skipped += 1
    elif report.failed:
        tally.errors += 1
    elif report.skipped:
        tally.skipped += 1
    gone = dict(report.user_properties).get(UNAVAILABLE_PROPERTY) if report.failed else None
    if gone:
        tally.unavailable += 1
        if str(gone) not in tally.unavailable_kinds:
            tally.unavailable_kinds.append(str(gone))


def header_lines(run: RunInfo, notes: list[str]) -> list[str]:
    lines = [
        f"dualstore: run {run.run_id}; backends: {', '.join(run.backends)}; each worker's "
        f"store is {store_name(run.run_id, '<worker>')}",
    ]
    for name in run.backends:
        info = run.provisioned.get(name)
        if info is not None:
            lines.append(
                f"dualstore: {name}: {info.server_version}, {info.source}, "
                f"ready in {info.ready_seconds:.2f} s"
            )
    lines.extend(f"dualstore: {note}" for note in notes)
    return lines


def check_every_backend_ran(run: RunInfo, *, explicit: bool) -> list[str]:
    """Problems for selected backends on which no test ran.

    An explicitly selected backend must run tests. With the default selection (all
    backends), a run with no backend tests at all (e.g. `pytest tests/harness`) is fine,
    but if some backend ran tests and another ran none, something hid that backend's tests.
    """
    tallies = [run.tally(name) for name in run.backends]
    some_backend_tests = any(t.ran or t.skipped or t.deselected for t in tallies)
    if not (explicit or some_backend_tests):
        return []
    return [
        f"dualstore: no test ran on {name!r}, although it is selected. A selected backend "
        "on which nothing runs fails the run instead of passing silently. Check the test "
        "selection (paths, -k, -m), skips, and capability requirements "
        f"({tally.skipped} skipped, {tally.deselected} deselected); or select only the "
        "backends you mean with --dualstore-backend."
        for name, tally in zip(run.backends, tallies, strict=True)
        if tally.ran == 0
    ]


def setup_time_lines(setup_seconds: dict[str, list[float]]) -> list[str]:
    return [
        f"dualstore: {name}: worker store setup (create + migrate) median "
        f"{statistics.median(times):.3f} s over {len(times)} worker(s)"
        for name, times in setup_seconds.items()
        if times
    ]


def compare_deselected_line(run: RunInfo) -> str:
    """What happened to the tests that compare backends in a run with fewer than two."""
    count = run.compare_deselected
    return (
        f"dualstore: {count} test{'s' if count != 1 else ''} that compare backends "
        f"deselected: {'they need' if count != 1 else 'it needs'} two backends, and this run "
        f"selects {', '.join(run.backends) or 'none'}"
    )
