"""A worker imports the drivers of the backends it runs on at start-up, before any test.

pytester puts `sys.modules` back after every test that uses it, dropping each module the
test imported first. A driver imported again afterwards is a second copy of its Python
half, while its compiled half keeps raising the first copy's exception classes: from then
on `except psycopg.Error` (in the harness's readiness wait, its outage check, the
project's code) misses the driver's own errors. Imported before the first test, the driver
is in every snapshot, and no test that uses pytester can cause that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

# In file order, on one xdist worker (which provisions nothing, and with a throwaway
# server parses no URL, so it imports the driver only when something needs it): the first
# test imports psycopg while pytester holds a snapshot of sys.modules; the second needs
# `except psycopg.Error` to catch a psycopg error; the third runs on the backend (a
# selected backend that ran no test fails the run).
TESTS = """
import os

import pytest

from dualstore import provision
from dualstore.runinfo import BackendUnavailable
from dualstore.serverurl import ServerUrl

pytest_plugins = ["pytester"]
URL = os.environ["DRIVER_TEST_URL"]


def test_1_uses_pytester_and_the_server(pytester):
    assert provision.list_schemas(ServerUrl.parse(URL)) is not None


def test_2_a_bad_option_is_still_told_apart():
    bogus = ServerUrl.parse(f"{ServerUrl.parse(URL).conninfo} load_balance_hosts=bogus")
    with pytest.raises(BackendUnavailable, match="load_balance_hosts"):
        provision.wait_ready(bogus, timeout=30)


def test_3_on_the_backend(db):
    assert db.list_workspaces() == []
"""


def test_a_driver_first_imported_under_pytester_keeps_its_errors_catchable(inner: Inner) -> None:
    inner.pytester.makepyfile(test_driver=TESTS)

    # A throwaway server for the run (a URL option would be parsed, with psycopg, at
    # start-up); the tests' own server is the outer run's.
    result = inner.run("--backend", "postgres", "-n", "1", env={"DRIVER_TEST_URL": inner.pg_url})

    result.assert_outcomes(passed=3)
