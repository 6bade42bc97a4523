"""The second adopter, examples/notes: a project that shares nothing with this repo's
domain (its own two tables, its own SQL migrations, plain DB-API code) adopts the harness
with an 11-line conftest.py, and gets every promise on both backends, under xdist.

Each test copies the example into a temp project and runs pytest on it in a subprocess,
the way its developers would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.adopting import isolate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "notes"
PLANTED = Path(__file__).parent / "planted"
#: an extra test file that records, per test, where it ran (worker, backend, store) and
#: which of this repo's domain modules the process had loaded (the harness needs none)
RECORDER = """
import json, os, sys, uuid
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(4))
def test_records_its_store(dualstore_db, dualstore_backend, n):
    out = Path(os.environ["EXAMPLE_OUT"])
    out.mkdir(exist_ok=True)
    (out / f"{uuid.uuid4().hex}.json").write_text(json.dumps({
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "backend": dualstore_backend.name,
        "location": dualstore_backend.location,
        "domain": sorted({"storage.api", "storage.records"} & set(sys.modules)),
    }))
"""


@pytest.fixture
def example(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    isolate(monkeypatch)
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True)
    monkeypatch.setenv("EXAMPLE_OUT", str(pytester.path / "observed"))
    return pytester


def run(example: pytest.Pytester, *args: str) -> pytest.RunResult:
    return example.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def test_the_example_conftest_stays_small() -> None:
    assert len((EXAMPLE / "conftest.py").read_text().splitlines()) <= 15


def test_example_passes_on_both_backends_under_xdist(example: pytest.Pytester, pg_url: str) -> None:
    example.makepyfile(test_recorder=RECORDER)
    result = run(example, "-n", "2", "--dualstore-postgres-url", pg_url)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 8 passed, 0 failed, 0 skipped, 0 errors",
            "dualstore: postgres: 8 passed, 0 failed, 0 skipped, 0 errors",
        ]
    )
    seen = [json.loads(p.read_text()) for p in (example.path / "observed").glob("*.json")]
    assert len(seen) == 8
    assert [s["domain"] for s in seen] == [[]] * 8, "the harness loaded this repo's domain"
    # each worker has one store per backend, and no two workers share one
    stores = {(s["worker"], s["backend"]): s["location"] for s in seen}
    by_location = {}
    for (worker, backend), location in stores.items():
        by_location.setdefault((backend, location), set()).add(worker)
    assert all(len(workers) == 1 for workers in by_location.values()), stores
    # (which worker ran which test is xdist's choice: one of them may have run them all)
    assert {w for w, _ in stores} <= {"gw0", "gw1"}
    for (worker, backend), location in stores.items():
        assert location.endswith((f"_{worker}", f"_{worker}.db")), (backend, location)


def test_committing_reset_empties_the_tables_and_keeps_the_ledger(
    example: pytest.Pytester, pg_url: str
) -> None:
    """After a committing test, the next test on the same store (one process) sees empty
    tables (found from the catalog, children before parents) and a store that is still
    migrated: the migrations ledger is kept."""
    example.makepyfile(
        test_after="""
import pytest
from notes import add_note, add_notebook, count


@pytest.mark.dualstore_commits
def test_1_commits(dualstore_db):
    add_notebook(dualstore_db, 1, "kept?")
    add_note(dualstore_db, 1, 1, "kept?")
    dualstore_db.commit()


def test_2_sees_an_empty_migrated_store(dualstore_db):
    assert count(dualstore_db, "notes") == count(dualstore_db, "notebooks") == 0
    ledger = dualstore_db.execute("SELECT name FROM dualstore_migrations ORDER BY name")
    assert [row[0] for row in ledger.fetchall()] == ["0001_notebooks.sql", "0002_notes.sql"]
"""
    )
    result = run(example, "-n", "0", "test_after.py", "--dualstore-postgres-url", pg_url)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["dualstore: sqlite: 2 passed*", "dualstore: postgres: 2 passed*"])


def test_a_failure_prints_its_reproduce_lines(example: pytest.Pytester, pg_url: str) -> None:
    example.makepyfile(
        test_broken="def test_broken(dualstore_db):\n    assert dualstore_db is None\n"
    )
    result = run(example, "-n", "2", "--dualstore-postgres-url", pg_url)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "dualstore: sqlite: 4 passed, 1 failed*",
            "dualstore: postgres: 4 passed, 1 failed*",
            "reproduce with:",
            "  python -m pytest --replay=.dualstore/runs/*/order-gw*.txt",
            "just the failing tests (2), one by one:",
            "*--dualstore-backend=*test_broken.py::test_broken*",
            "*--dualstore-backend=*test_broken.py::test_broken*",
        ]
    )


def test_postgres_missing_fails_the_run(example: pytest.Pytester, closed_port: int) -> None:
    url = f"postgresql://nobody@127.0.0.1:{closed_port}/notes"
    result = run(
        example, "-n", "2", "--dualstore-postgres-url", url, "--dualstore-db-ready-timeout", "1"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*backend 'postgres' is unavailable*did not answer*"])
    assert "passed" not in result.stdout.str()


def test_a_failing_migration_names_itself_and_loses_nothing(
    example: pytest.Pytester, pg_url: str
) -> None:
    # its first statement works, its second does not: nothing of it may stay
    shutil.copy(PLANTED / "0003_broken.sql", example.path / "migrations")
    result = run(example, "-n", "0", "-x", "--dualstore-postgres-url", pg_url)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*HarnessError: migration *0003_broken.sql failed on *it was rolled back*"]
    )


def test_a_project_that_does_not_opt_in_gets_plain_pytest(pytester: pytest.Pytester) -> None:
    """Installed but not opted into: no provisioning, no run directory, no options."""
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--dualstore-backend", "sqlite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # the harness's options do not exist
    plain = pytester.runpytest_subprocess("-p", "no:randomly")
    plain.assert_outcomes(passed=1)
    assert "dualstore" not in plain.stdout.str()
    assert not (pytester.path / ".dualstore").exists()


def test_compare_catches_a_planted_difference_and_passes_once_fixed(
    example: pytest.Pytester, pg_url: str
) -> None:
    """`dualstore_compare` runs one body on both backends in the same test. A search written
    with a bare LIKE (case-insensitive on SQLite, case-sensitive on PostgreSQL) is caught,
    with both sides shown; the example's own, lowered LIKE passes. The same error on both
    (a foreign key, IntegrityError in both drivers) counts as agreement."""
    example.makepyfile(
        test_errors="""
from notes import add_note

def test_the_same_error_is_agreement(dualstore_compare):
    dualstore_compare(lambda db: add_note(db, 1, 404, "orphan"))
"""
    )
    fixed = run(example, "-n", "0", "--dualstore-postgres-url", pg_url)
    assert fixed.ret == pytest.ExitCode.OK, fixed.stdout.str()
    notes = example.path / "notes.py"
    source = notes.read_text()
    assert "WHERE lower(body) LIKE lower(%s)" in source
    notes.write_text(source.replace("WHERE lower(body) LIKE lower(%s)", "WHERE body LIKE %s"))
    planted = run(example, "-n", "2", "--dualstore-postgres-url", pg_url)
    assert planted.ret == pytest.ExitCode.TESTS_FAILED
    report = "dualstore_compare: the backends disagree\n  sqlite    ['Work plan']\n  postgres  []"
    assert report in planted.stdout.str()
    failed = [line for line in planted.outlines if line.startswith("FAILED ")]
    assert len(failed) == 1, failed
    assert "test_search_finds_the_same_notes" in failed[0]
