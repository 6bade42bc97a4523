"""`dualstore-reap` as the tests run it: a subprocess, as a user or `nox -s reap` would."""

from __future__ import annotations

import subprocess
import sys


def reap_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dualstore.reap", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
