"""The write guard: an AI content write must name both its job and its workflow run.

Handshake's guard (`validate_write`) refuses an AI write that lacks either id; so does ours,
for every content-write method (workspaces and canvas graphs included), before anything is
written.
"""

from __future__ import annotations

import inspect

import pytest

from storage.api import ActorKind, Database, NewBlock, WriteContext, iter_protocol_methods
from storage.errors import GuardError
from suites._factories import (
    CONTENT_WRITES,
    HUMAN,
    JOB_ONLY_AI,
    SILENT_AI,
    SYSTEM,
    WORKFLOW_ONLY_AI,
    Write,
    ai_ctx,
    make_document,
    make_run,
    make_scene,
    make_workspace,
    store_state,
)

#: AI contexts the guard refuses, each with the ids its message must name as missing
UNNAMED_AI: dict[str, tuple[WriteContext, tuple[str, ...]]] = {
    "neither": (SILENT_AI, ("job_id", "workflow_id")),
    "job-only": (JOB_ONLY_AI, ("workflow_id",)),
    "workflow-only": (WORKFLOW_ONLY_AI, ("job_id",)),
    "blank-workflow": (WriteContext.ai("m", job_id="j", workflow_id="  "), ("workflow_id",)),
    "empty-job": (WriteContext.ai("m", job_id="", workflow_id="w"), ("job_id",)),
}


def test_every_content_write_is_covered() -> None:
    """Each protocol method that takes a `WriteContext` is in `CONTENT_WRITES`."""
    guarded = {
        name
        for name in iter_protocol_methods()
        if "ctx" in inspect.signature(getattr(Database, name)).parameters
    }
    assert guarded == set(CONTENT_WRITES)


@pytest.mark.parametrize(("ctx", "missing"), UNNAMED_AI.values(), ids=UNNAMED_AI.keys())
@pytest.mark.parametrize("write", CONTENT_WRITES.values(), ids=CONTENT_WRITES.keys())
def test_ai_write_lacking_an_id_is_refused_before_anything_is_written(
    db: Database, write: Write, ctx: WriteContext, missing: tuple[str, ...]
) -> None:
    scene = make_scene(db)
    before = store_state(db, scene)
    with pytest.raises(GuardError) as refused:
        write(db, scene, ctx)
    assert refused.value.code == "HSK-403-SILENT-EDIT"
    assert all(name in refused.value.message for name in missing)
    assert store_state(db, scene) == before


@pytest.mark.parametrize("write", CONTENT_WRITES.values(), ids=CONTENT_WRITES.keys())
def test_ai_write_naming_job_and_workflow_passes(db: Database, write: Write) -> None:
    scene = make_scene(db)
    write(db, scene, ai_ctx(db, scene.ws))


@pytest.mark.parametrize(
    "ctx",
    [HUMAN, SYSTEM, WriteContext(ActorKind.HUMAN)],
    ids=["human", "system", "anonymous-human"],
)
def test_non_ai_writes_need_no_job(db: Database, ctx: WriteContext) -> None:
    doc = db.create_document(make_workspace(db).id, "t", ctx)
    assert (doc.provenance.actor_kind, doc.provenance.actor_id) == (ctx.actor_kind, ctx.actor_id)


def test_actor_kind_given_as_text_is_accepted(db: Database) -> None:
    ctx = WriteContext("human", actor_id="text-kind")  # type: ignore[arg-type]
    ws = db.create_workspace("kind as text", ctx)
    assert ws.provenance.actor_kind is ActorKind.HUMAN


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
