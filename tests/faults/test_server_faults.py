"""The database misbehaves during a real run (a temp project run by a real pytest with the
dualstore plugin, against a server of this test's own, see conftest.py): it goes away, it
comes up late, it refuses the password, or the run itself is killed."""

from __future__ import annotations

import re
import shutil
import time
from typing import TYPE_CHECKING

import pytest

from dualstore.outage import RECHECK_SECONDS
from dualstore.runinfo import STORE_NAME_RE
from tests.reaping import reap_cli

if TYPE_CHECKING:
    from tests.faults.conftest import InnerRun, InnerRuns, PgServer

#: each test marks its progress in progress/ and takes a moment, so a test can act mid-run
STEPS = """
import time
from pathlib import Path

import pytest

@pytest.mark.parametrize("step", range({count}))
def test_step(db, step):
    db.ping()
    Path("progress").mkdir(exist_ok=True)
    Path("progress", str(step)).touch()
    time.sleep({pause})
    assert db.list_workspaces() == []
"""
# In the temp project of the "next run" only: the age guard (2 minutes, a second guard
# behind the advisory lock) set to zero, standing in for a run started 2 minutes later.
SUMMARY_RE = re.compile(r"^(FAILED|ERROR) (\S+) - (.*)$", re.MULTILINE)
WENT_AWAY_RE = re.compile(
    r"dualstore: postgres: .*the backend went away: (\d+) test\(s\) failed with "
    r"(?:storage\.errors\.Unavailable|dualstore\.errors\.BackendGone)"
)
USAGE_ERROR = 4  # how the harness ends a run whose backend is unavailable at the start


def steps(count: int, pause: float) -> str:
    return STEPS.format(count=count, pause=pause)


def progress(run: InnerRun) -> int:
    directory = run.project / "progress"
    return len(list(directory.iterdir())) if directory.is_dir() else 0


def recorded_failure(run: InnerRun) -> bool:
    """Whether the run's recorded order (written as tests finish) holds a failed test."""
    return any(
        '"failed"' in path.read_text() for path in run.project.glob(".dualstore/runs/*/order*.txt")
    )


def postgres_args(url: str, *extra: str) -> list[str]:
    return ["--backend", "postgres", "--postgres-url", url, "-p", "no:randomly", *extra]


def store_schemas(server: PgServer) -> list[str]:
    return [name for name in server.leftover_schemas() if STORE_NAME_RE.match(name)]


@pytest.mark.timeout(300)
def test_server_stopped_mid_run_fails_tests_with_unavailable(
    pg_server: PgServer, inner: InnerRuns, pytester: pytest.Pytester
) -> None:
    pg_server.start()
    pytester.makepyfile(test_steps=steps(count=24, pause=0.3))
    run = inner.start(*postgres_args(pg_server.url(), "-n", "2"))
    inner.wait_for(lambda: progress(run) >= 4, 120, "the first tests to pass")

    pg_server.stop("fast")  # disconnects every session, as a crashed or restarted server does
    stopped = time.monotonic()
    status, output = run.wait(timeout=180)
    ended_after = time.monotonic() - stopped

    assert status == pytest.ExitCode.TESTS_FAILED, output
    # Bounded: once a check confirms the server is gone, the remaining tests fail at once
    # (dualstore.outage) instead of each waiting out the connect timeout.
    assert ended_after < 30, output
    assert "went away earlier in this run and does not answer" in output
    failures = SUMMARY_RE.findall(output)
    assert failures, output
    for _kind, nodeid, message in failures:
        # The typed error (the storage layer's, or the harness's once the breaker knows
        # the server is gone), never a driver error, and never a hang (pytest-timeout)
        typed = ("storage.errors.Unavailable", "dualstore.errors.BackendGone")
        assert message.startswith(typed), (nodeid, message)
        assert "psycopg" not in message
        assert pg_server.password not in message
    went_away = WENT_AWAY_RE.search(output)
    assert went_away, output
    assert int(went_away.group(1)) >= 1
    assert "\nreproduce with:\n" in output
    assert pg_server.password not in output

    # Once the server is back, nothing of the run stays: the next run reaps it.
    pg_server.start()
    left = store_schemas(pg_server)
    assert left, "expected the dead run's schemas to be left while the server was down"
    pytester.makepyfile(test_steps=steps(count=2, pause=0))
    # --dualstore-reap-grace=0 stands in for "the next run, some minutes later"
    status, output = inner.start(
        *postgres_args(pg_server.url(), "-n", "0", "--dualstore-reap-grace=0")
    ).wait(timeout=120)
    assert status == pytest.ExitCode.OK, output
    assert f"reaped {len(left)} schema(s) of dead runs: {', '.join(sorted(left))}" in output
    assert store_schemas(pg_server) == []


# Runs between the two step modules (one process, files in name order): time passes
# without touching the database, as in a long suite.
PAUSE = """
import time

def test_pause():
    time.sleep({seconds})
"""


@pytest.mark.timeout(300)
def test_server_back_mid_run_gets_the_remaining_tests(
    pg_server: PgServer, inner: InnerRuns, pytester: pytest.Pytester
) -> None:
    pg_server.start()
    pytester.makepyfile(
        test_1_steps=steps(count=20, pause=0.2),
        test_2_pause=PAUSE.format(seconds=RECHECK_SECONDS + 2),
        test_3_steps=steps(count=5, pause=0).replace("test_step", "test_after"),
    )
    run = inner.start(*postgres_args(pg_server.url(), "-n", "0"))
    inner.wait_for(lambda: progress(run) >= 3, 120, "the first tests to pass")
    pg_server.stop("fast")
    inner.wait_for(lambda: recorded_failure(run), 60, "a test to fail")
    pg_server.start()  # same data directory: the run's schema is still there
    status, output = run.wait(timeout=180)

    assert status == pytest.ExitCode.TESTS_FAILED, output
    assert WENT_AWAY_RE.search(output), output
    # After the pause the breaker checked again, found the server back, and let them run.
    assert "test_3_steps.py ....." in output, output
    assert store_schemas(pg_server) == [], "the run cleaned up after itself"


@pytest.mark.timeout(300)
def test_server_starting_late_is_waited_for(
    pg_server: PgServer, inner: InnerRuns, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_steps=steps(count=3, pause=0))
    run = inner.start(
        *postgres_args(pg_server.url(), "-n", "0", "--dualstore-db-ready-timeout", "60")
    )
    time.sleep(4)
    assert run.process.poll() is None, run.text()  # still waiting, not given up
    pg_server.start()
    status, output = run.wait(timeout=120)
    assert status == pytest.ExitCode.OK, output
    ready = re.search(r"dualstore: postgres: .*ready in ([\d.]+) s", output)
    assert ready, output
    assert float(ready.group(1)) >= 2  # it waited for the server (started 4 s in)
    assert "dualstore: postgres: 3 passed, 0 failed, 0 skipped, 0 errors" in output


@pytest.mark.timeout(300)
def test_wrong_password_is_a_clear_error_without_a_retry_storm(
    pg_server: PgServer, inner: InnerRuns, pytester: pytest.Pytester
) -> None:
    pg_server.start()
    wrong = pg_server.url(password="not-the-Passw0rd")
    pytester.makepyfile(test_steps=steps(count=3, pause=0))
    run = inner.start(*postgres_args(wrong, "-n", "2", "--dualstore-db-ready-timeout", "60"))
    status, output = run.wait(timeout=120)
    took = time.monotonic() - run.started

    assert status == USAGE_ERROR, output
    assert "refused the login" in output
    assert "not-the-Passw0rd" not in output
    assert " passed" not in output
    assert took < 15, "gave up at once, not at the 60 s readiness deadline"
    # No test ran: no reproduce lines, the message (printed once) is the last word.
    assert "reproduce with:" not in output
    assert output.count("refused the login") == 1, output
    assert output.rstrip().splitlines()[-1].lstrip().startswith("Fix:"), output
    # Every attempt leaves a line in the server log: one per process that tried, no storm.
    refused = f'password authentication failed for user "{pg_server.user}"'
    attempts = pg_server.log().count(refused)
    assert 1 <= attempts <= 2, pg_server.log()


def kill_mid_run(inner: InnerRuns, url: str) -> InnerRun:
    shutil.rmtree(inner.project / "progress", ignore_errors=True)
    run = inner.start(*postgres_args(url, "-n", "2"))
    inner.wait_for(lambda: progress(run) >= 2, 120, "the first tests to pass")
    run.kill()  # SIGKILL of the whole run: no teardown, no cleanup, nothing
    run.process.wait(timeout=30)
    return run


@pytest.mark.timeout(300)
def test_killed_run_leaves_schemas_that_are_reaped(
    pg_server: PgServer, inner: InnerRuns, pytester: pytest.Pytester
) -> None:
    pg_server.start()
    url = pg_server.url()
    pytester.makepyfile(test_steps=steps(count=40, pause=0.5))

    # A live run's schemas are never reaped, whatever the age limit.
    live = inner.start(*postgres_args(url, "-n", "2"))
    inner.wait_for(lambda: progress(live) >= 2, 120, "the first tests to pass")
    assert len(store_schemas(pg_server)) == 2  # one per worker
    assert "reaped 0 schema(s)" in reap_cli("--url", url, "--older-than", "0").stdout
    assert len(store_schemas(pg_server)) == 2

    live.kill()  # now it is a killed run
    live.process.wait(timeout=30)
    left = store_schemas(pg_server)
    assert len(left) == 2, left
    # Younger than the age guard: the default reap leaves them (for now).
    assert "reaped 0 schema(s)" in reap_cli("--url", url).stdout

    # The next run reaps them at its start, and leaves nothing of its own.
    pytester.makepyfile(test_steps=steps(count=3, pause=0))
    status, output = inner.start(*postgres_args(url, "-n", "2", "--dualstore-reap-grace=0")).wait(
        timeout=120
    )
    assert status == pytest.ExitCode.OK, output
    assert f"reaped 2 schema(s) of dead runs: {', '.join(sorted(left))}" in output
    assert store_schemas(pg_server) == []

    # On demand: `dualstore-reap` (what `nox -s reap` runs) drops a killed run's schemas.
    pytester.makepyfile(test_steps=steps(count=40, pause=0.5))
    kill_mid_run(inner, url)
    assert len(store_schemas(pg_server)) == 2
    result = reap_cli("--url", url, "--older-than", "0")
    assert result.returncode == 0, result.stderr
    assert "reaped 2 schema(s) of dead runs" in result.stdout
    assert store_schemas(pg_server) == []
