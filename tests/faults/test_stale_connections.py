"""A restarted server costs no call: the pool's idle connections died with the old server,
and the next call of each kind still succeeds (the storage layer notices a dead connection
before it lends it, without a round trip per call for the ones that are alive)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

import storage
from storage.api import Database, NewBlock, WriteContext

if TYPE_CHECKING:
    from tests.faults.conftest import PgServer

HUMAN = WriteContext.human("faults")


def _calls(db: Database, document_id: str) -> dict[str, Callable[[], object]]:
    return {
        "read outside a transaction": lambda: db.list_blocks(document_id),
        "write outside a transaction": lambda: db.create_block(
            document_id, NewBlock("p", "after"), HUMAN
        ),
        "a transaction": lambda: _in_transaction(db, document_id),
    }


def _in_transaction(db: Database, document_id: str) -> None:
    with db.transaction():
        db.create_block(document_id, NewBlock("p", "inside"), HUMAN)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_every_kind_of_call_succeeds_after_a_restart(pg_server: PgServer, mode: str) -> None:
    pg_server.start()
    db = storage.connect(pg_server.url(), schema="stale")
    try:
        db.run_migrations()
        document = db.create_document(db.create_workspace("w", HUMAN).id, "d", HUMAN)
        calls = _calls(db, document.id)
        # Several connections in the pool, all idle: one per thread that held one at once.
        barrier = threading.Barrier(3)

        def hold() -> None:
            with db.transaction():
                db.get_document(document.id)
                barrier.wait(timeout=30)

        threads = [threading.Thread(target=hold) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for call in calls.values():
            call()

        pg_server.stop(mode)  # every connection of the old server is gone
        pg_server.start()

        for name, call in calls.items():
            call()  # raises storage.errors.Unavailable if it got a dead connection
            assert db.get_document(document.id) == document, name
        assert [b.raw_content for b in db.list_blocks(document.id)].count("after") == 2
    finally:
        db.close()
