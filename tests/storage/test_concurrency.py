"""Threads and second connections: each thread's transaction is its own; lock waits end."""

from __future__ import annotations

import threading
import time

import pytest

import storage
from dualstore.isolation import BackendUnderTest
from storage.api import Block, Capability, Database, JobState, NewAiJob, NewBlock, WriteContext
from storage.errors import Conflict, SerializationError, StorageError, Unavailable


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


#: far beyond the busy timeout: a lock wait that ran into it would take this long
LONG_STATEMENT_TIMEOUT = 30.0


def _second_connection(backend: BackendUnderTest, *, busy_timeout: float) -> Database:
    """Another connection to the worker's store, with short lock waits."""
    if backend.has(Capability.SERVER):
        return storage.connect(
            backend.info.server.secret,
            schema=backend.location,
            busy_timeout=busy_timeout,
            statement_timeout=LONG_STATEMENT_TIMEOUT,
        )
    return storage.connect(f"sqlite:///{backend.location}", busy_timeout=busy_timeout)


def test_a_writer_blocked_by_another_connection_waits_busy_timeout_then_serialization_error(
    db_committing: Database, backend: BackendUnderTest
) -> None:
    # Row lock on PostgreSQL (lock_timeout), database lock on SQLite (busy timeout): the
    # same error after the same wait, not PostgreSQL's statement timeout much later.
    job = db_committing.create_ai_job(NewAiJob("k"))
    other = _second_connection(backend, busy_timeout=0.2)
    try:
        with db_committing.transaction():
            db_committing.update_ai_job_state(job.id, JobState.RUNNING)  # holds the lock
            started = time.monotonic()
            with pytest.raises(StorageError) as blocked:
                other.update_ai_job_state(job.id, JobState.CANCELLED)
            waited = time.monotonic() - started
        assert type(blocked.value) is SerializationError, blocked.value
        assert "busy" in str(blocked.value)
        assert waited < LONG_STATEMENT_TIMEOUT / 3, waited  # bounded by busy_timeout
        # Once the lock is gone, the same write goes through.
        assert other.update_ai_job_state(job.id, JobState.CANCELLED).state is JobState.CANCELLED
    finally:
        other.close()


@pytest.mark.requires(Capability.SERVER)
def test_a_next_sequence_taken_by_a_concurrent_writer_is_a_conflict_naming_it(
    db_committing: Database, backend: BackendUnderTest
) -> None:
    # (PostgreSQL: SQLite's writers take turns, so nothing can take a sequence meanwhile.)
    # The insert computes the next sequence and waits on the other transaction's
    # uncommitted block at that sequence; once that commits, nothing is inserted. An
    # insert that a busy machine starts only after the commit sees the new block and
    # follows it: that round raced nothing, and the next one tries again.
    db = db_committing
    human = WriteContext.human("t")
    document = db.create_document(db.create_workspace("w", human).id, "d", human)
    db.create_block(document.id, NewBlock("p", "first"), human)
    other = _second_connection(backend, busy_timeout=10.0)
    outcomes: list[BaseException | Block] = []
    try:
        for _ in range(RACE_ROUNDS):
            with other.transaction():
                taken = other.create_block(document.id, NewBlock("p", "meanwhile"), human)
                racing = threading.Thread(
                    target=lambda: outcomes.append(_created_or_error(db, document.id, human))
                )
                racing.start()
                racing.join(timeout=0.3)  # (a racing insert waits for this transaction)
            racing.join(timeout=10)
            if isinstance(outcomes[-1], Conflict):
                break
    finally:
        other.close()
    refused = outcomes[-1]
    assert isinstance(refused, Conflict), outcomes
    assert all(isinstance(o, Block) for o in outcomes[:-1]), outcomes
    assert str(refused) == (
        f"document {document.id!r} already has a block at sequence {taken.sequence}"
    )
    contents = [b.raw_content for b in db.list_blocks(document.id)]
    assert contents == ["first", *["meanwhile", "racing"] * (len(outcomes) - 1), "meanwhile"]
    assert db.get_counters(document.workspace_id).block_count == len(contents)


#: tries of the race above (each one that starts its insert too late is a plain insert)
RACE_ROUNDS = 5


def _created_or_error(db: Database, document_id: str, ctx: WriteContext) -> BaseException | Block:
    try:
        return db.create_block(document_id, NewBlock("p", "racing"), ctx)
    except StorageError as exc:
        return exc


def test_a_closed_handle_refuses_reads_and_writes_as_unavailable(
    db_committing: Database, backend: BackendUnderTest
) -> None:
    human = WriteContext.human("t")
    workspace = db_committing.create_workspace("w", human)
    other = _second_connection(backend, busy_timeout=1.0)
    assert other.get_workspace(workspace.id) == workspace
    other.close()
    calls = {
        "get": lambda: other.get_workspace(workspace.id),
        "list": other.list_workspaces,
        "snapshot read": lambda: other.search("w"),
        "write": lambda: other.create_workspace("x", human),
        "transaction": lambda: other.transaction().__enter__(),
    }
    refused: dict[str, StorageError] = {}
    for name, call in calls.items():
        try:
            call()
        except StorageError as exc:
            refused[name] = exc
    assert {name: type(exc) for name, exc in refused.items()} == dict.fromkeys(calls, Unavailable)
    assert all(str(exc).endswith(" is closed") for exc in refused.values()), refused
    # the handle the test uses is untouched: nothing was written through the closed one
    assert [w.name for w in db_committing.list_workspaces()] == ["w"]


def test_a_threads_first_call_may_read_the_counters(db_committing: Database) -> None:
    # (the counters read first writes what the thread's transaction holds: a thread that
    # never opened one holds nothing, and has no transaction state at all yet)
    human = WriteContext.human("t")
    workspace = db_committing.create_workspace("w", human)
    db_committing.create_document(workspace.id, "d", human)
    answers: list[object] = []

    def first_call() -> None:
        try:
            answers.append(db_committing.get_counters(workspace.id).document_count)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            answers.append(exc)

    thread = threading.Thread(target=first_call)
    thread.start()
    thread.join(timeout=10)
    assert answers == [1]
