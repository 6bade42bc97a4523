"""The write guard: an AI content write must name both its job and its workflow run.

Handshake's guard (`validate_write`) refuses an AI write that lacks either id; so does ours,
for every content-write method, before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from storage.api import (
    ActorKind,
    Block,
    BlockUpdate,
    Canvas,
    Database,
    Document,
    NewBlock,
    NewCanvasNode,
    Workspace,
    WriteContext,
)
from storage.errors import GuardError
from suites._factories import (
    HUMAN,
    JOB_ONLY_AI,
    SILENT_AI,
    SYSTEM,
    WORKFLOW_ONLY_AI,
    ai_ctx,
    make_blocks,
    make_canvas,
    make_document,
    make_run,
    make_workspace,
)


@dataclass(frozen=True)
class Scene:
    ws: Workspace
    doc: Document
    block: Block
    canvas: Canvas


def _scene(db: Database) -> Scene:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    block = make_blocks(db, doc, ["original"])[0]
    return Scene(ws, doc, block, make_canvas(db, ws))


def _state(db: Database, s: Scene) -> object:
    return (
        db.list_workspaces(),
        db.list_documents(s.ws.id),
        db.list_blocks(s.doc.id),
        db.get_canvas(s.canvas.id),
        db.list_canvases(s.ws.id),
        db.get_counters(s.ws.id),
        db.search("original"),
    )


Write = Callable[[Database, Scene, WriteContext], object]

CONTENT_WRITES: dict[str, Write] = {
    "create_workspace": lambda db, s, ctx: db.create_workspace("new", ctx),
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


#: AI contexts the guard refuses, each with the ids its message must name as missing
UNNAMED_AI: dict[str, tuple[WriteContext, tuple[str, ...]]] = {
    "neither": (SILENT_AI, ("job_id", "workflow_id")),
    "job-only": (JOB_ONLY_AI, ("workflow_id",)),
    "workflow-only": (WORKFLOW_ONLY_AI, ("job_id",)),
    "blank-workflow": (WriteContext.ai("m", job_id="j", workflow_id="  "), ("workflow_id",)),
    "empty-job": (WriteContext.ai("m", job_id="", workflow_id="w"), ("job_id",)),
}


@pytest.mark.parametrize(("ctx", "missing"), UNNAMED_AI.values(), ids=UNNAMED_AI.keys())
@pytest.mark.parametrize("write", CONTENT_WRITES.values(), ids=CONTENT_WRITES.keys())
def test_ai_write_lacking_an_id_is_refused_before_anything_is_written(
    db: Database, write: Write, ctx: WriteContext, missing: tuple[str, ...]
) -> None:
    scene = _scene(db)
    before = _state(db, scene)
    with pytest.raises(GuardError) as refused:
        write(db, scene, ctx)
    assert refused.value.code == "HSK-403-SILENT-EDIT"
    assert all(name in refused.value.message for name in missing)
    assert _state(db, scene) == before


@pytest.mark.parametrize("write", CONTENT_WRITES.values(), ids=CONTENT_WRITES.keys())
def test_ai_write_naming_job_and_workflow_passes(db: Database, write: Write) -> None:
    scene = _scene(db)
    write(db, scene, ai_ctx(db, scene.ws))


@pytest.mark.parametrize(
    "ctx",
    [HUMAN, SYSTEM, WriteContext(ActorKind.HUMAN)],
    ids=["human", "system", "anonymous-human"],
)
def test_non_ai_writes_need_no_job(db: Database, ctx: WriteContext) -> None:
    doc = db.create_document(make_workspace(db).id, "t", ctx)
    assert (doc.provenance.actor_kind, doc.provenance.actor_id) == (ctx.actor_kind, ctx.actor_id)


def test_workflow_provenance_is_recorded(db: Database) -> None:
    ws = make_workspace(db)
    run = make_run(db, ws)
    ctx = WriteContext.ai("planner", job_id=run.job_id, workflow_id=run.id)
    block = db.create_block(make_document(db, ws).id, NewBlock("p", "auto"), ctx)
    prov = block.provenance
    assert (prov.actor_kind, prov.actor_id, prov.job_id, prov.workflow_id) == (
        ActorKind.AI,
        "planner",
        run.job_id,
        run.id,
    )


def test_guard_error_is_not_a_silent_success(db: Database) -> None:
    ws = make_workspace(db)
    with pytest.raises(GuardError):
        db.replace_blocks(make_document(db, ws).id, [NewBlock("p", "sneaky")], SILENT_AI)
    assert db.search("sneaky") == []
    assert db.get_counters(ws.id).block_count == 0
