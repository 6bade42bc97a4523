"""In-process figures: what a test costs through the harness and the storage API, against
the raw driver on a held connection (`dualstore.provision.floors`).

    per_test        the `db` fixture's work for one test (the harness's own rolled-back
                    isolation around the storage API: a workspace, a document, 3 blocks,
                    3 reads) vs BEGIN; the same 8 statements; ROLLBACK on a raw connection
    statements      what the API sends for that test, counted from libpq's trace
    api_vs_raw      get-by-id, a list of 100, an insert: the API vs the raw driver on a
                    held connection to the same store, on each backend
    worker_setup    a worker's store on PostgreSQL: created, migrated, opened (the figure
                    the harness records as its setup seconds)

The worker's store is the one the plugin would give an xdist worker (`open_worker_store`
with this repo's `Project`, suites/plugin.py), on the bench's server.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Sample, interleaved, timed
from dualstore.isolation import rolled_back
from dualstore.provision import PROVISIONERS
from dualstore.provision.base import WorkerStore, open_worker_store
from dualstore.provision.floors import Counted, FloorStore, StatementTrace
from dualstore.runinfo import BackendInfo, new_run_id
from dualstore.serverurl import ServerUrl
from dualstore.tempdirs import RunTempDir
from storage.api import Database, NewBlock, WriteContext
from suites.plugin import PROJECT

ACTOR = WriteContext.human("bench")
#: rows of the list read
LIST_ROWS = 100


def info_for(name: str, target: ServerUrl | Path) -> BackendInfo:
    return BackendInfo(
        name=name, target=target, source="bench", server_version="", capabilities=(),
        ready_seconds=0.0,
    )  # fmt: skip


@contextmanager
def worker_store(
    name: str, target: ServerUrl | Path, worker: str = "bench"
) -> Iterator[WorkerStore]:
    """A worker's store as the plugin opens it, removed afterwards."""
    store = open_worker_store(
        PROJECT, PROVISIONERS[name], info_for(name, target), new_run_id(), worker
    )
    try:
        yield store
    finally:
        store.close()


@contextmanager
def sqlite_target() -> Iterator[Path]:
    """A directory for the SQLite worker stores (the provisioner's target)."""
    tempdir = RunTempDir(new_run_id())
    try:
        yield tempdir.path
    finally:
        tempdir.remove()


def floor_of(store: WorkerStore) -> FloorStore:
    if store.backend == "postgres":
        assert store.store.schema is not None
        assert store.store.server is not None
        return FloorStore.postgres(store.store.server, store.store.schema)
    assert store.store.path is not None
    return FloorStore.sqlite(store.store.path)


def test_body(db: Database, n: int) -> None:
    """The benchmark's test: a workspace, a document, 3 blocks, 3 reads."""
    workspace = db.create_workspace(f"bench {n}", ACTOR)
    document = db.create_document(workspace.id, "bench", ACTOR)
    blocks = [db.create_block(document.id, NewBlock("paragraph", f"b{i}"), ACTOR) for i in range(3)]
    db.get_document(document.id)
    db.list_blocks(document.id)
    db.get_block(blocks[0].id)


@dataclass(slots=True)
class PerTest:
    fixture: Sample
    floor: Sample
    counted: Counted


def per_test(store: WorkerStore, trace: StatementTrace, rounds: int) -> PerTest:
    """The fixture's per-test work vs the raw floor, interleaved; then one counted test."""
    numbers = itertools.count()

    def through_the_harness() -> None:
        with rolled_back(store) as db:
            test_body(db, next(numbers))

    floor = floor_of(store)
    try:
        samples = interleaved(
            {"db fixture": through_the_harness, "raw floor": floor.test_body},
            rounds,
            warmup=10,
        )
    finally:
        floor.close()
    with trace.count() as counted:
        through_the_harness()
    return PerTest(samples["db fixture"], samples["raw floor"], counted)


def api_vs_raw(store: WorkerStore, rounds: int) -> dict[str, tuple[Sample, Sample]]:
    """(API, raw) per operation, on one backend's worker store (committed writes; the
    store is emptied afterwards)."""
    db: Database = store.handle
    workspace = db.create_workspace("bench ops", ACTOR)
    document = db.create_document(workspace.id, "bench ops", ACTOR)
    listed = db.create_document(workspace.id, "bench list", ACTOR)
    for n in range(LIST_ROWS):
        db.create_block(listed.id, NewBlock("paragraph", f"row {n}"), ACTOR)
    block = db.create_block(document.id, NewBlock("paragraph", "first"), ACTOR)
    floor = floor_of(store)
    raw_document = floor.insert_document(workspace.id)
    try:
        operations: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            "get": (lambda: db.get_block(block.id), lambda: floor.get_block(block.id)),
            "list": (lambda: db.list_blocks(listed.id), lambda: floor.list_blocks(listed.id)),
            "insert": (
                lambda: db.create_block(document.id, NewBlock("paragraph", "more"), ACTOR),
                lambda: floor.insert_block(raw_document),
            ),
        }
        found: dict[str, tuple[Sample, Sample]] = {}
        for name, (api, raw) in operations.items():
            samples = interleaved({"api": api, "raw": raw}, rounds, warmup=10)
            found[name] = (samples["api"], samples["raw"])
    finally:
        floor.close()
        db.reset_data()
    return found


def worker_setup(target: ServerUrl, rounds: int) -> Sample:
    """Seconds to create, migrate and open a worker's PostgreSQL store, as recorded by the
    harness (`WorkerStore.setup_seconds`); each store is removed after (not timed)."""
    seconds: list[float] = []
    for n in range(max(1, rounds)):
        with worker_store("postgres", target, worker=f"gw{n}") as store:
            seconds.append(store.setup_seconds)
    return Sample(tuple(seconds))


def connect_seconds(action: Callable[[], object]) -> float:
    return timed(action)
