"""When a database server goes away mid-run, fail the rest of its tests at once.

Without this, every later test on that backend would wait for a connection until its
connect timeout (10 s by default) before failing: a few hundred tests turn an outage into
an hour of CI. So, in each process that runs tests:

* a test that fails with a connection error (`dualstore.isolation.gone_in`: the drivers'
  and the project's) makes the breaker check the server
  with a fresh connection (a short connect timeout). Only if that check fails too is the
  backend marked down: a test that merely closed its own database does not trip it;
* a later test on a backend marked down fails in setup with `BackendGone` ("went away
  earlier in this run"), still counted by the harness as "the backend went away";
* a backend marked down is checked again at most every `RECHECK_SECONDS`: a server that
  came back (a restart) gets the remaining tests.

Only backends reached through a URL (servers) are watched: an embedded SQLite file does not
go away the way a server does. Registered by `dualstore.repro` in every process.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import pytest

from dualstore.errors import BackendGone
from dualstore.isolation import gone_in
from dualstore.provision import PROVISIONERS
from dualstore.reporting import backend_of
from dualstore.runinfo import RUN_INFO, BackendInfo
from dualstore.state import HARNESS

#: connect timeout of the check that confirms an outage (seconds)
CHECK_TIMEOUT = 2.0
#: a backend marked down is checked again at most this often (seconds)
RECHECK_SECONDS = 5.0


@dataclass
class _Down:
    first_failure: str
    checked_at: float


class OutageBreaker:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.down: dict[str, _Down] = {}

    def _server(self, backend: str) -> BackendInfo | None:
        """The backend's provisioned server, if it is one (files do not go away)."""
        run = self.config.stash.get(RUN_INFO, None)
        info = run.provisioned.get(backend) if run is not None else None
        return info if info is not None and PROVISIONERS[backend].is_server else None

    def _answers(self, info: BackendInfo) -> bool:
        return PROVISIONERS[info.name].answers(info, CHECK_TIMEOUT)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        backend = backend_of(item)
        down = self.down.get(backend) if backend else None
        if backend is None or down is None:
            return
        server = self._server(backend)
        if server is not None and time.monotonic() - down.checked_at >= RECHECK_SECONDS:
            if self._answers(server):
                del self.down[backend]  # it came back: let the remaining tests run
                return
            down.checked_at = time.monotonic()
        raise BackendGone(
            f"{backend} went away earlier in this run and does not answer; not tried again "
            f"(first failure: {down.first_failure})"
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        backend = backend_of(item)
        if call.excinfo is None or backend is None or backend in self.down:
            return report
        harness = self.config.stash.get(HARNESS, None)
        unavailable = gone_in(call.excinfo.value, harness.is_gone) if harness is not None else None
        server = self._server(backend)
        if unavailable is not None and server is not None and not self._answers(server):
            summary = " ".join(str(unavailable).split())[:200]
            self.down[backend] = _Down(f"{item.nodeid}: {summary}", time.monotonic())
        return report
