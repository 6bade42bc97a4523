"""Per-test and per-worker isolation, observed from inside real runs on both backends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from dualstore import provision
from dualstore.runinfo import STORE_NAME_RE
from dualstore.serverurl import ServerUrl
from tests.harness.conftest import run_id_of

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

# Run in file order (-p no:randomly): each test checks what the one before it left.
WRITE_THEN_FAIL = """
import pytest
from storage.api import WriteContext

ME = WriteContext.system()

def test_1_writes_then_fails(db):
    db.create_workspace("left behind?", ME)
    assert db.list_workspaces()
    raise AssertionError("deliberate failure after a write")

def test_2_sees_an_empty_store(db):
    assert db.list_workspaces() == []

@pytest.mark.commits
def test_3_commits_then_fails(db, backend):
    db.create_workspace("committed", ME)
    # really committed: a second connection sees it
    assert [w.name for w in backend.connect().list_workspaces()] == ["committed"]
    raise AssertionError("deliberate failure after a commit")

def test_4_sees_an_empty_store(db):
    assert db.list_workspaces() == []

def test_5_db_committing_commits(db_committing, backend):
    db_committing.create_workspace("committed too", ME)
    assert len(backend.connect().list_workspaces()) == 1

def test_6_sees_an_empty_store(db, backend):
    assert db.list_workspaces() == []
    assert backend.connect().list_workspaces() == []

def test_7_rolled_back_writes_are_invisible_to_others(db, backend):
    db.create_workspace("uncommitted", ME)
    assert backend.connect().list_workspaces() == []
"""


def test_a_failing_test_leaves_nothing_for_the_next(inner: Inner) -> None:
    inner.pytester.makepyfile(test_order=WRITE_THEN_FAIL)
    result = inner.run_with_url()
    result.assert_outcomes(passed=10, failed=4)
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 5 passed, 2 failed, 0 skipped, 0 errors",
            "dualstore: postgres: 5 passed, 2 failed, 0 skipped, 0 errors",
        ]
    )
    failed = {line.split(" - ")[0] for line in result.stdout.lines if line.startswith("FAILED")}
    assert failed == {
        f"FAILED test_order.py::{name}[{backend}]"
        for name in ("test_1_writes_then_fails", "test_3_commits_then_fails")
        for backend in ("sqlite", "postgres")
    }


WHERE_AM_I = """
import pytest
from pathlib import Path
from observe import record
from storage.api import WriteContext
from dualstore import provision
from dualstore.runinfo import RUN_INFO

@pytest.mark.parametrize("n", range(12))
@pytest.mark.commits
def test_store(request, db, backend, n):
    run = request.config.stash[RUN_INFO]
    if backend.name == "postgres":
        exists = backend.location in provision.list_schemas(backend.info.target)
    else:
        exists = Path(backend.location).is_file()
    # committed data of other workers never shows up here
    assert db.list_workspaces() == []
    db.create_workspace(f"{run.worker_id}-{n}", WriteContext.system())
    record(worker=run.worker_id, backend=backend.name, location=backend.location,
           exists=exists, run_id=run.run_id)
"""


def test_xdist_workers_get_their_own_store_and_nothing_survives(inner: Inner, pg_url: str) -> None:
    inner.pytester.makepyfile(test_where=WHERE_AM_I)
    result = inner.run_with_url("-n", "2")
    result.assert_outcomes(passed=24)
    run_id = run_id_of(result)
    seen = inner.observed()
    assert len(seen) == 24
    assert all(row["exists"] for row in seen), "a test ran without its store"
    assert {row["run_id"] for row in seen} == {run_id}
    for backend in ("sqlite", "postgres"):
        rows = [row for row in seen if row["backend"] == backend]
        by_worker = {
            row["worker"]: {r["location"] for r in rows if r["worker"] == row["worker"]}
            for row in rows
        }
        assert set(by_worker) == {"gw0", "gw1"}, by_worker
        # one store per worker, named after the run and the worker, not shared
        for worker, locations in by_worker.items():
            (location,) = locations
            assert re.search(rf"dualstore_{run_id}_{worker}(\.db)?$", location), location
        assert len({loc for locs in by_worker.values() for loc in locs}) == 2
    # nothing any worker created survives the run
    assert provision.list_schemas(ServerUrl.parse(pg_url), f"dualstore_{run_id}") == []
    sqlite_files = {row["location"] for row in seen if row["backend"] == "sqlite"}
    assert not any(Path(path).exists() for path in sqlite_files)
    assert not any(Path(path).parent.exists() for path in sqlite_files)


def test_workers_named_with_tx_ids_are_workers(inner: Inner, pg_url: str) -> None:
    """`--tx popen//id=NAME` gives workers ids of the user's choosing: the role comes from
    xdist's workerinput, so such a worker neither provisions nor reports a second time."""
    inner.pytester.makepyfile(test_where=WHERE_AM_I)
    result = inner.run_with_url("--tx", "popen//id=custom", "--tx", "popen//id=Other-Node", "-d")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=24)
    output = result.stdout.str()
    run_id = run_id_of(result)
    assert output.count("dualstore: run ") == 1, "the header was printed twice"
    for backend in ("sqlite", "postgres"):
        assert output.count(f"dualstore: {backend}: 12 passed") == 1, output
    seen = inner.observed()
    assert {row["worker"] for row in seen} == {"custom", "Other-Node"}
    assert {row["run_id"] for row in seen} == {run_id}
    locations = {row["worker"]: Path(row["location"]).name for row in seen}
    assert locations["custom"] in (f"dualstore_{run_id}_custom", f"dualstore_{run_id}_custom.db")
    # An id outside [a-z0-9] still gives a store name the reaper recognises.
    assert STORE_NAME_RE.match(locations["Other-Node"].removesuffix(".db"))
    assert provision.list_schemas(ServerUrl.parse(pg_url), f"dualstore_{run_id}") == []
