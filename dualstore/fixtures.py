"""The harness's fixtures, all namespaced `dualstore_*` so that they clash with nothing (a
project's own `backend`, pytest-django's `db`); a project that wants shorter names defines
its own fixtures that return these (see README, "Adopt it in your project").

    dualstore_backend         the backend this test instance runs on; the plugin
                              parametrizes it over the selected backends ([sqlite], ...)
    dualstore_db              the worker's migrated store, isolated by a rolled-back
                              transaction (`@pytest.mark.dualstore_commits`: committing)
    dualstore_db_committing   the store with real commits, reset after the test
    dualstore_stores          this worker's stores (session scope), created on first use
    dualstore_compare         every selected backend in one test, the results compared
                              (compare.py)
    dualstore_handles         every selected backend's handle in one test, committing
                              (compare.py; the differential suite drives them)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dualstore.isolation import BackendUnderTest, committed, rolled_back
from dualstore.project import BACKEND_FIXTURE, COMMITS_MARKER, Handle
from dualstore.provision import PROVISIONERS
from dualstore.provision.base import WorkerStore, open_worker_store
from dualstore.runinfo import BackendInfo
from dualstore.state import HARNESS, Harness


class WorkerStores:
    """This worker's stores, one per backend, created when a test first needs one."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.stores: dict[str, WorkerStore] = {}

    def get(self, name: str) -> tuple[BackendInfo, WorkerStore]:
        run = self.harness.run
        info = run.provisioned.get(name)
        if info is None:
            raise RuntimeError(f"dualstore: backend {name!r} was not provisioned in this run")
        store = self.stores.get(name)
        if store is None:
            store = open_worker_store(
                self.harness.project, PROVISIONERS[name], info, run.run_id, run.store_worker_id
            )
            self.stores[name] = store
            self.harness.setup_seconds.setdefault(name, []).append(store.setup_seconds)
        return info, store

    def close(self) -> None:
        """Close every store; the first failure is raised after all were tried (the
        controller drops whatever a failed close left behind)."""
        failures: list[BaseException] = []
        while self.stores:
            try:
                self.stores.popitem()[1].close()
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the others
                failures.append(exc)
        if failures:
            raise failures[0]


@pytest.fixture(scope="session")
def dualstore_stores(pytestconfig: pytest.Config) -> Iterator[WorkerStores]:
    """This worker's stores (session-wide); removed when the worker's session ends."""
    stores = WorkerStores(pytestconfig.stash[HARNESS])
    try:
        yield stores
    finally:
        stores.close()


@pytest.fixture
def dualstore_backend(
    request: pytest.FixtureRequest, dualstore_stores: WorkerStores
) -> Iterator[BackendUnderTest]:
    """The backend this test instance runs on: name, capabilities, version, location,
    and `connect()` for a second handle on the same store."""
    name = getattr(request, "param", None)
    if name is None:
        pytest.fail(f"the `{BACKEND_FIXTURE}` fixture is parametrized by the dualstore plugin only")
    info, store = dualstore_stores.get(str(name))
    handle = BackendUnderTest(str(name), info, store)
    try:
        yield handle
    finally:
        handle.close_extra()


def _commits(request: pytest.FixtureRequest) -> bool:
    project = request.config.stash[HARNESS].project
    return any(
        request.node.get_closest_marker(name) is not None
        for name in project.marker_names(COMMITS_MARKER)
    )


@pytest.fixture
def dualstore_db(
    request: pytest.FixtureRequest, dualstore_backend: BackendUnderTest
) -> Iterator[Handle]:
    """The worker's migrated, empty store, as the project's handle. By default the test's
    writes are rolled back afterwards; with `@pytest.mark.dualstore_commits` they commit
    and the store is reset."""
    isolated = committed if _commits(request) else rolled_back
    with isolated(dualstore_backend.worker) as database:
        try:
            yield database
        finally:
            # before the reset: an open extra transaction would block it
            dualstore_backend.close_extra()


@pytest.fixture
def dualstore_db_committing(dualstore_backend: BackendUnderTest) -> Iterator[Handle]:
    """The worker's migrated, empty store, as the project's handle, whose writes really
    commit; the store is reset after the test."""
    with committed(dualstore_backend.worker) as database:
        try:
            yield database
        finally:
            dualstore_backend.close_extra()
