"""What the refusal tables share: ids that do not exist, state lists, fixtures of one
record each, and the messages several refusals repeat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from storage.api import (
    Database,
    NewBlock,
    NewCanvasEdge,
    NewCanvasNode,
)
from suites._factories import (
    HUMAN,
    make_blocks,
    make_canvas,
    make_document,
    make_run,
    make_workspace,
)

MISSING = "missing-1"
JOB_STATES = "queued, running, completed, failed, cancelled"
RUN_STATES = "pending, running, completed, failed, cancelled"
NODE_STATES = "pending, running, completed, failed, skipped"

NOT_UNICODE = (
    "not Unicode text, so neither database can take it; pass valid text (for example, "
    "bytes decoded with errors='replace')"
)
#: the earliest datetime, one hour east of UTC: it has no UTC equivalent
EARLIEST_PLUS_ONE = datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))

SILENT_FIX = (
    "(a silent edit): an AI write must name both its job and its workflow run; pass "
    "WriteContext.ai(actor_id, job_id=..., workflow_id=...)"
)

Call = Callable[[Database], object]


def doc(db: Database) -> str:
    return make_document(db).id


def block(db: Database) -> str:
    return make_blocks(db, make_document(db), ["x"])[0].id


def doc_ending_at_int64_max(db: Database) -> str:
    document = make_document(db)
    db.create_block(document.id, NewBlock("p", "last", sequence=2**63 - 1), HUMAN)
    return document.id


def canvas(db: Database) -> str:
    return make_canvas(db, make_workspace(db)).id


def run(db: Database) -> str:
    return make_run(db).id


def execution(db: Database) -> str:
    return db.create_node_execution(make_run(db).id, "n").id


def graph(nodes: list[NewCanvasNode], edges: list[NewCanvasEdge] | None = None) -> Call:
    return lambda db: db.update_canvas_graph(canvas(db), nodes, edges or [], HUMAN)


A, B = NewCanvasNode("k", id="a"), NewCanvasNode("k", id="b")
