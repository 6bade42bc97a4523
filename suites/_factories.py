"""Small factories shared by the conformance suites.

They only call the public `Database` API, so every suite stays backend-agnostic. Names are
made unique so that a test never depends on what another test left behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from storage.api import (
    AiJob,
    Block,
    BlockUpdate,
    Canvas,
    Database,
    Document,
    JobFilter,
    JobState,
    NewAiJob,
    NewBlock,
    NewCanvasEdge,
    NewCanvasNode,
    NodeExecution,
    WorkflowRun,
    Workspace,
    WriteContext,
    new_id,
)

HUMAN = WriteContext.human("alice")
SYSTEM = WriteContext.system("janitor")
#: an AI write that names neither a job nor a workflow: the guard must refuse it
SILENT_AI = WriteContext.ai("model-x")
#: the two half-named AI writes the guard must refuse too (each lacks one of the two ids)
JOB_ONLY_AI = WriteContext.ai("model-x", job_id=new_id())
WORKFLOW_ONLY_AI = WriteContext.ai("model-x", workflow_id=new_id())

# Integers are signed 64-bit in the API.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


class Boom(Exception):
    """Raised by a test to abort a transaction."""


def abort(db: Database, *writes: Callable[[], object]) -> None:
    """Run `writes` in a (nested) transaction, then abort it with `Boom`."""
    with db.transaction():
        for write in writes:
            write()
        raise Boom


def unique(prefix: str) -> str:
    """A name no other test uses (tests share a database under xdist workers)."""
    return f"{prefix}-{new_id()[:8]}"


def make_workspace(db: Database, name: str | None = None) -> Workspace:
    return db.create_workspace(name if name is not None else unique("ws"), HUMAN)


def make_document(
    db: Database,
    workspace: Workspace | None = None,
    title: str = "Notes",
    ctx: WriteContext = HUMAN,
) -> Document:
    ws = workspace if workspace is not None else make_workspace(db)
    return db.create_document(ws.id, title, ctx)


def make_blocks(
    db: Database, document: Document, texts: Iterable[str], ctx: WriteContext = HUMAN
) -> list[Block]:
    return [db.create_block(document.id, NewBlock("paragraph", text), ctx) for text in texts]


def make_canvas(
    db: Database, workspace: Workspace, title: str = "Board", ctx: WriteContext = HUMAN
) -> Canvas:
    return db.create_canvas(workspace.id, title, ctx)


def make_job(
    db: Database,
    workspace: Workspace | None = None,
    kind: str = "summarize",
    state: JobState = JobState.QUEUED,
    *,
    pinned: bool = False,
) -> AiJob:
    """A job created now and moved to `state` (created_at grows with each call)."""
    job = db.create_ai_job(
        NewAiJob(kind=kind, workspace_id=workspace.id if workspace else None, pinned=pinned)
    )
    if state is not JobState.QUEUED:
        job = db.update_ai_job_state(job.id, state)
    return job


def make_run(db: Database, workspace: Workspace | None = None) -> WorkflowRun:
    return db.create_workflow_run(make_job(db, workspace, kind="workflow").id)


def ai_ctx(db: Database, workspace: Workspace) -> WriteContext:
    """An AI write context that names a real job and a run of it, so the guard lets it
    through."""
    run = make_run(db, workspace)
    return WriteContext.ai("model-x", job_id=run.job_id, workflow_id=run.id)


def nested(levels: int, *, arrays: bool = False) -> dict[str, Any]:
    """A JSON object nesting exactly `levels` containers: objects in objects, or arrays in
    arrays inside the top-level object (which counts as level 1)."""
    if arrays:
        inner: list[Any] = []
        for _ in range(levels - 2):
            inner = [inner]
        return {"l": inner}
    obj: dict[str, Any] = {}
    for _ in range(levels - 1):
        obj = {"a": obj}
    return obj


# --------------------------------------------------------------------------- a scene


@dataclass(frozen=True)
class Scene:
    """One row of every kind, for tests that call each API method on existing rows."""

    ws: Workspace
    doc: Document
    block: Block
    canvas: Canvas
    job: AiJob
    run: WorkflowRun
    execution: NodeExecution


def make_scene(db: Database) -> Scene:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    block = make_blocks(db, doc, ["original"])[0]
    canvas = make_canvas(db, ws)
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id, label="ab")], HUMAN)
    run = make_run(db, ws)
    job = db.get_ai_job(run.job_id)
    assert job is not None
    return Scene(ws, doc, block, canvas, job, run, db.create_node_execution(run.id, "n"))


def store_state(db: Database, scene: Scene) -> object:
    """Everything the API reads back (the scene's run: there is no method listing runs),
    to show that a refused call changed nothing."""
    workspaces = db.list_workspaces()
    return (
        workspaces,
        [db.get_counters(w.id) for w in workspaces],
        [(d, db.list_blocks(d.id)) for w in workspaces for d in db.list_documents(w.id)],
        [db.get_canvas(c.id) for w in workspaces for c in db.list_canvases(w.id)],
        db.list_ai_jobs(JobFilter(limit=1000)),
        db.get_workflow_run(scene.run.id),
        db.list_node_executions(scene.run.id),
        db.search("original"),
    )


Write = Callable[[Database, Scene, WriteContext], object]

#: every content write of the API, on the rows of a `Scene`, under a given context
CONTENT_WRITES: dict[str, Write] = {
    "create_workspace": lambda db, s, ctx: db.create_workspace(unique("new"), ctx),
    "delete_workspace": lambda db, s, ctx: db.delete_workspace(s.ws.id, ctx),
    "create_document": lambda db, s, ctx: db.create_document(s.ws.id, "new", ctx),
    "delete_document": lambda db, s, ctx: db.delete_document(s.doc.id, ctx),
    "create_block": lambda db, s, ctx: db.create_block(s.doc.id, NewBlock("p", "x"), ctx),
    "update_block": lambda db, s, ctx: db.update_block(
        s.block.id, BlockUpdate(raw_content="edited"), ctx
    ),
    "delete_block": lambda db, s, ctx: db.delete_block(s.block.id, ctx),
    "replace_blocks": lambda db, s, ctx: db.replace_blocks(s.doc.id, [NewBlock("p", "r")], ctx),
    "create_canvas": lambda db, s, ctx: db.create_canvas(s.ws.id, "new", ctx),
    "update_canvas_graph": lambda db, s, ctx: db.update_canvas_graph(
        s.canvas.id, [NewCanvasNode("n")], [], ctx
    ),
    "delete_canvas": lambda db, s, ctx: db.delete_canvas(s.canvas.id, ctx),
}


# --------------------------------------------------------------------------- index oracle
# The expected search results are computed here from canonical rows, following the
# documented tokenizer: the `\w+` words of the NFC-normalised, case-folded raw content.

_WORD = re.compile(r"\w+")


def tokens(text: str) -> set[str]:
    return set(_WORD.findall(unicodedata.normalize("NFC", text).casefold()))


def expected_hits(blocks: Sequence[Block], query: str) -> list[str]:
    """Block ids (sorted, as `search` orders them) whose raw content has every query token."""
    wanted = tokens(query)
    if not wanted:
        return []
    return sorted(b.id for b in blocks if wanted <= tokens(b.raw_content))


def all_blocks(db: Database, workspace: Workspace) -> list[Block]:
    return [b for d in db.list_documents(workspace.id) for b in db.list_blocks(d.id)]


@contextmanager
def migrated_afterwards(db: Database) -> Iterator[Database]:
    """Leave `db` fully migrated when the block ends, pass or fail (for down/up tests)."""
    try:
        yield db
    finally:
        db.run_migrations()
