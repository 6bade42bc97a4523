"""On GitHub Actions (`GITHUB_ACTIONS=true`), a failed run says what it would say on the
terminal where a developer sees it first: the run's page. The per-backend summary table and
the reproduce commands go into the job's step summary (`$GITHUB_STEP_SUMMARY`), and every
failing test becomes an `::error` annotation on its file and line, carrying the command
that runs it alone."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dualstore.commands import Failure
from dualstore.runinfo import RunInfo


def on_github() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape(text: str) -> str:
    """A workflow command's message: %, CR and LF encoded, as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def error_annotations(failures: Sequence[Failure], commands: Sequence[str]) -> list[str]:
    """One `::error` line per failing test (its file and line when known)."""
    lines = []
    for failure, command in zip(failures, commands, strict=True):
        where = [f"file={_property(failure.path)}"] if failure.path else []
        if failure.path and failure.line is not None:
            where.append(f"line={failure.line}")
        where.append(f"title={_property(f'{failure.nodeid} failed')}")
        on = f" on {failure.backend}" if failure.backend else ""
        message = f"{failure.nodeid} failed{on}. Run it alone: {command}"
        lines.append(f"::error {','.join(where)}::{_escape(message)}")
    return lines


def write_summary(run: RunInfo, reproduce: Sequence[str]) -> None:
    """Append the run's per-backend table and reproduce lines to the step summary."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    rows = [
        "| backend | passed | failed | skipped | errors | deselected |",
        "|---|---|---|---|---|---|",
    ]
    for name in run.backends:
        t = run.tally(name)
        rows.append(
            f"| {name} | {t.passed} | {t.failed} | {t.skipped} | {t.errors} | {t.deselected} |"
        )
    text = "\n".join(
        [f"### dualstore run `{run.run_id}`", "", *rows, "", "```sh", *reproduce, "```", ""]
    )
    with Path(target).open("a", encoding="utf-8") as summary:
        summary.write(text + "\n")
