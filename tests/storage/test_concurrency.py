"""Threads and second connections: each thread's transaction is its own; lock waits end."""

from __future__ import annotations

import threading

import pytest

import storage
from storage.api import Capability, Database, JobState, NewAiJob, WriteContext
from storage.errors import SerializationError, StatementTimeout
from storage.testing.isolation import BackendUnderTest


def test_threads_sharing_a_database_keep_their_transactions_apart(
    db_committing: Database,
) -> None:
    db = db_committing
    inside = threading.Event()
    other_done = threading.Event()
    errors: list[BaseException] = []

    def rolled_back() -> None:
        try:
            with db.transaction() as tx:
                db.create_workspace("rolled back", WriteContext.system())
                inside.set()
                # PostgreSQL: the other thread commits meanwhile on its own connection.
                # SQLite: it waits for this transaction (one connection, one lock).
                other_done.wait(timeout=0.5)
                tx.set_rollback()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def committed() -> None:
        try:
            inside.wait(timeout=5)
            db.create_workspace("committed", WriteContext.system())
            other_done.set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=rolled_back), threading.Thread(target=committed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert [w.name for w in db.list_workspaces()] == ["committed"]


def _second_connection(backend: BackendUnderTest) -> Database:
    """Another connection to the worker's store, with short lock waits."""
    if backend.has(Capability.SERVER):
        return storage.connect(backend.info.target, schema=backend.location, statement_timeout=0.3)
    return storage.connect(f"sqlite:///{backend.location}", busy_timeout=0.1)


def test_a_writer_blocked_by_another_connection_gets_a_typed_error(
    db_committing: Database, backend: BackendUnderTest
) -> None:
    job = db_committing.create_ai_job(NewAiJob("k"))
    other = _second_connection(backend)
    try:
        with db_committing.transaction():
            db_committing.update_ai_job_state(job.id, JobState.RUNNING)  # holds the lock
            # Row lock + statement timeout on PostgreSQL; database lock + busy timeout on SQLite.
            with pytest.raises((StatementTimeout, SerializationError)) as blocked:
                other.update_ai_job_state(job.id, JobState.CANCELLED)
        expected = (
            StatementTimeout if backend.has(Capability.CONCURRENT_WRITERS) else (SerializationError)
        )
        assert type(blocked.value) is expected
        # Once the lock is gone, the same write goes through.
        assert other.update_ai_job_state(job.id, JobState.CANCELLED).state is JobState.CANCELLED
    finally:
        other.close()
