"""Leftovers of crashed runs are reaped; a live run's store never is."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from dualstore import provision
from dualstore.runinfo import new_run_id, store_name
from dualstore.tempdirs import RunTempDir

if TYPE_CHECKING:
    from dualstore.serverurl import ServerUrl
    from tests.harness.conftest import Inner

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def schemas(own_db: ServerUrl) -> Iterator[dict[str, str]]:
    """Schemas as four kinds of runs leave them (each test gets fresh run ids):
    a crashed run (old, no lock), a live long run (old, lock held), a run that just
    started (young, lock not yet visible) and a schema that is not the harness's."""
    crashed, live, young = new_run_id(AN_HOUR_AGO), new_run_id(AN_HOUR_AGO), new_run_id()
    made = {
        "crashed": store_name(crashed, "gw0"),
        "crashed_too": store_name(crashed, "gw1"),
        "live": store_name(live, "gw0"),
        "young": store_name(young, "main"),
        "foreign": f"dualstore_{crashed}_keep-me",
    }
    for schema in made.values():
        provision.create_schema(own_db, schema)
    with provision.hold_run_lock(own_db, live):
        yield made


def present(pg_url: ServerUrl, names: dict[str, str]) -> set[str]:
    existing = set(provision.list_schemas(pg_url))
    return {kind for kind, schema in names.items() if schema in existing}


def test_reap_drops_only_dead_runs_past_the_grace_period(
    own_db: ServerUrl, schemas: dict[str, str]
) -> None:
    dropped = provision.reap(own_db, older_than=timedelta(minutes=5)).dropped
    assert sorted(dropped) == sorted([schemas["crashed"], schemas["crashed_too"]])
    assert present(own_db, schemas) == {"live", "young", "foreign"}


def test_reap_without_grace_still_spares_live_runs(
    own_db: ServerUrl, schemas: dict[str, str]
) -> None:
    dropped = provision.reap(own_db, older_than=timedelta(0)).dropped
    expected = [schemas["crashed"], schemas["crashed_too"], schemas["young"]]
    assert sorted(dropped) == sorted(expected)
    assert present(own_db, schemas) == {"live", "foreign"}


def test_next_run_reaps_a_crashed_run_and_spares_a_live_one(
    inner: Inner, own_db: ServerUrl, schemas: dict[str, str]
) -> None:
    inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
    result = inner.run("--backend", "postgres", env={"DUALSTORE_POSTGRES_URL": own_db.secret})
    assert result.ret == 0, result.stdout.str()
    crashed = sorted([schemas["crashed"], schemas["crashed_too"]])
    result.stdout.fnmatch_lines(
        [f"dualstore: postgres: reaped 2 schema(s) of dead runs: {', '.join(crashed)}"]
    )
    assert present(own_db, schemas) == {"live", "young", "foreign"}


def test_next_run_removes_a_crashed_runs_temp_dir(inner: Inner) -> None:
    """A killed run's temp dir (its lock free) goes; a live run's (lock held) stays."""
    private_tmp = inner.pytester.path / "tmp"  # out of reach of concurrent runs' reapers
    private_tmp.mkdir()
    crashed = private_tmp / f"dualstore_{new_run_id(AN_HOUR_AGO)}"
    (crashed / "sqlite").mkdir(parents=True)
    (crashed / ".lock").touch()  # what a killed run leaves: the file, but no lock on it
    live = RunTempDir(new_run_id(AN_HOUR_AGO), root=private_tmp)
    try:
        inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
        result = inner.run("--backend", "sqlite", env={"TMPDIR": str(private_tmp)})
        assert result.ret == 0, result.stdout.str()
        result.stdout.fnmatch_lines(["dualstore: removed 1 temp dir(s) of dead runs"])
        assert not crashed.exists()
        assert live.path.exists()
    finally:
        live.remove()
        shutil.rmtree(crashed, ignore_errors=True)


def test_a_schema_the_role_may_not_drop_is_skipped_with_a_warning(
    inner: Inner, own_db: ServerUrl
) -> None:
    """A dead run's schema owned by another role ("must be owner of schema") used to stop
    every later run with exit 4; now the run reaps the rest and names the schema and its
    owner, and so does `dualstore-reap`."""
    crashed = new_run_id(AN_HOUR_AGO)
    foreign = store_name(crashed, "gw0")  # left by a run as the server's superuser
    provision.create_schema(own_db, foreign)
    owner = urlsplit(own_db.secret).username or "postgres"
    inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
    with provision.login_role(own_db, may_create_schemas=True) as url:
        role = urlsplit(url.secret).username
        own = store_name(crashed, "gw1")  # the same dead run, as the run's own role
        provision.create_schema(url, own)
        result = inner.run("--backend", "postgres", env={"DUALSTORE_POSTGRES_URL": url.secret})
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([f"*reaped 1 schema(s) of dead runs: {own}"])
        warning = (
            f"*warning: postgres: schema {foreign} of a dead run was left in place: it is "
            f"owned by role '{owner}', and role '{role}' (this URL's user) may not drop it."
            f" Fix: as '{owner}' or a superuser, DROP SCHEMA {foreign} CASCADE*"
        )
        result.stdout.fnmatch_lines([warning])
        assert result.stdout.str().count("left in place") == 1, "warned more than once"
        assert set(provision.list_schemas(own_db)) == {foreign}

        # `dualstore-reap` as that role: drops what it may, reports the other, exit 0.
        again = store_name(new_run_id(AN_HOUR_AGO), "gw0")
        provision.create_schema(url, again)
        reaped = subprocess.run(
            [str(Path(sys.executable).with_name("dualstore-reap")), "--url", url.secret],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert reaped.returncode == 0, reaped.stdout + reaped.stderr
        assert reaped.stdout.splitlines()[:2] == ["reaped 1 schema(s) of dead runs", f"  {again}"]
        assert fnmatch.fnmatch(reaped.stdout.splitlines()[2], warning.replace("postgres: ", ""))
        assert set(provision.list_schemas(own_db)) == {foreign}
