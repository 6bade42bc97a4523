"""Fixtures that several groups of the harness's own tests share: a PostgreSQL server URL
for inner runs, and a port nobody listens on."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from dualstore import provision
from dualstore.runinfo import RUN_INFO
from dualstore.serverurl import ServerUrl
from dualstore.workers import AUTO_ENV, usable_cpus
from tests.adopting import UNUSED_PLUGINS


@pytest.fixture(scope="session")
def pg_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """A URL of a PostgreSQL server the inner runs can use."""
    run = pytestconfig.stash.get(RUN_INFO, None)  # None in a run without the harness
    info = run.provisioned.get("postgres") if run is not None else None
    if info is not None:
        yield info.server.secret
    elif os.environ.get("DUALSTORE_POSTGRES_URL"):
        yield os.environ["DUALSTORE_POSTGRES_URL"]
    else:
        with provision.throwaway_server() as server:
            yield server.url.secret


@pytest.fixture(scope="session")
def pg_server_url(pg_url: str) -> ServerUrl:
    """`pg_url` as the harness holds it (what the provisioning functions take)."""
    return ServerUrl.parse(pg_url)


@pytest.hookimpl(optionalhook=True)  # (an xdist hook: runs with -p no:xdist have none)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` in a run that includes tests/ (this conftest is loaded only then): one
    worker more than there are CPUs. These tests spend much of their time waiting on inner
    runs, servers and subprocesses; a worker per CPU left about a quarter of it idle (on
    2 CPUs: tests/ in 166 s with 3 workers and worksteal, 219 s with 2).
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides where it is set."""
    if os.environ.get(AUTO_ENV):
        return None
    return usable_cpus() + 1


@pytest.fixture
def closed_port() -> int:
    """A local TCP port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester, its runs without the plugins no temp project uses (they cost most of a
    run's start-up; tests/adopting.py)."""
    pytester.plugins.extend(f"no:{name}" for name in UNUSED_PLUGINS)
    return pytester
