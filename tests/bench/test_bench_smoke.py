"""`nox -s bench`'s machinery, with one round of everything: it runs, and its JSON has
every performance goal. Never a timed test: the figures themselves are not checked (they
come only from `nox -s bench`), only that each one was measured and judged."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.operations import floor_of, worker_store
from benchmarks.report import GOAL_KEYS
from dualstore.provision.floors import FLOOR_TEST_STATEMENTS, StatementTrace
from dualstore.serverurl import ServerUrl

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_every_goal_is_measured_and_judged(pg_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DUALSTORE_"))}
    env["DUALSTORE_POSTGRES_URL"] = pg_url
    # the start-up figure builds three venvs (uv): the full bench's, not the smoke's
    command = [sys.executable, "-m", "benchmarks", "--smoke", "--skip", "startup"]
    done = subprocess.run(
        [*command, "--no-chart", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    skipped = data["options"]["skipped"]
    assert set(skipped) == {"not_opted_in_startup"}
    assert set(data["goals"]) | set(skipped) == set(GOAL_KEYS)
    for key, goal in data["goals"].items():
        assert math.isfinite(goal["value"]), key
        assert goal["value"] > 0, key
        assert goal["passed"] == (
            goal["value"] <= goal["limit"] if goal["lower"] else goal["value"] >= goal["limit"]
        ), key
        assert goal["samples"], key
        # every goal is a line of the printed table, with its verdict
        line = next(row for row in done.stdout.splitlines() if goal["title"] in row)
        assert ("PASS" if goal["passed"] else "FAIL") in line


def test_the_statement_count_reads_what_the_connection_sent(pg_server_url: ServerUrl) -> None:
    """The counter (libpq's trace) sees the floor test's 10 statements, in order."""
    trace = StatementTrace()
    with worker_store("postgres", pg_server_url, worker="trace") as store:
        with trace.installed():
            floor = floor_of(store)
        try:
            with trace.count() as counted:
                floor.test_body()
        finally:
            floor.close()
    assert counted.total == FLOOR_TEST_STATEMENTS
    assert counted.texts[0] == "BEGIN"
    assert counted.texts[-1] == "ROLLBACK"
    assert counted.of_kind("INSERT") == 5
    assert counted.of_kind("SELECT") == 3
    assert counted.of_kind("SAVEPOINT", "RELEASE") == 0
