"""`dualstore-reap`, the harness's command for a server no run will visit soon: usage errors
touch nothing and show no secret; an unreachable server is one clear line."""

from __future__ import annotations

import subprocess

import pytest

from tests.reaping import reap_cli

SECRET = "s3cr3t-pw"


def reap(*args: str) -> subprocess.CompletedProcess[str]:
    return reap_cli(*args, env={"PATH": "/usr/bin:/bin"})  # no DUALSTORE_URL of the run's


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "no server: pass --url"),
        (["--url", "sqlite:///x.db"], "is not a PostgreSQL URL"),
        (["--url", "postgresql://u@h/db", "--older-than", "soon"], "expected a number"),
        (["--url", "postgresql://u@h/db", "--older-than", "-1"], "non-negative"),
        ([f"--url=postgresql://u:{SECRET}@h:notaport/db"], "--url: "),
    ],
    ids=["no-url", "sqlite", "not-a-number", "negative", "malformed-url"],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    done = reap(*argv)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_an_unreachable_server_is_exit_1_without_the_password(closed_port: int) -> None:
    url = f"postgresql://u:{SECRET}@127.0.0.1:{closed_port}/db"
    done = reap("--url", url, "--connect-timeout", "0.5")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "dualstore-reap: backend 'postgres' is unavailable" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
