"""Without a URL the harness starts one throwaway PostgreSQL server per run (never one
per worker), and nothing of it is left after the run: no process, no temp dir."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tests.harness.conftest import run_id_of

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

RECORD_SERVER = """
import pytest
from observe import record
from storage.api import WriteContext
from dualstore.runinfo import RUN_INFO

@pytest.mark.parametrize("n", range(6))
def test_on_the_throwaway_server(request, db, backend, n):
    db.create_workspace(f"w{n}", WriteContext.system())
    record(worker=request.config.stash[RUN_INFO].worker_id, source=backend.info.source,
           target=backend.info.server.secret)
"""


def server_processes(run_id: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return [line for line in ps.stdout.splitlines() if f"dualstore_{run_id}" in line]


def test_one_throwaway_server_per_run_and_nothing_left(inner: Inner) -> None:
    inner.pytester.makepyfile(test_server=RECORD_SERVER)
    result = inner.run("--backend", "postgres", "-n", "2")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(
        [
            "dualstore: postgres: PostgreSQL *, throwaway server at 127.0.0.1:* (pg_ctl *), "
            "collation ICU en-US, "
            "ready in * s",
            "dualstore: postgres: 6 passed, 0 failed, 0 skipped, 0 errors",
        ]
    )
    run_id = run_id_of(result)
    seen = inner.observed()
    assert {row["worker"] for row in seen} == {"gw0", "gw1"}
    # both workers used the same server: the one the controller started
    assert len({row["target"] for row in seen}) == 1
    assert len({row["source"] for row in seen}) == 1
    assert server_processes(run_id) == []
    assert not list(Path(tempfile.gettempdir()).glob(f"dualstore_{run_id}*"))
