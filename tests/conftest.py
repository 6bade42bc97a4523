"""Fixtures that several groups of the harness's own tests share: a PostgreSQL server URL
for inner runs, and a port nobody listens on."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from dualstore import provision
from dualstore.runinfo import RUN_INFO
from tests.adopting import UNUSED_PLUGINS


@pytest.fixture(scope="session")
def pg_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """A URL of a PostgreSQL server the inner runs can use."""
    run = pytestconfig.stash.get(RUN_INFO, None)  # None in a run without the harness
    info = run.provisioned.get("postgres") if run is not None else None
    if info is not None:
        yield info.target
    elif os.environ.get("DUALSTORE_POSTGRES_URL"):
        yield os.environ["DUALSTORE_POSTGRES_URL"]
    else:
        with provision.throwaway_server() as server:
            yield server.url


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
