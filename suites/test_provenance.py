"""Mutation traceability: every content row names the write that last touched it.

Workspaces, documents, blocks, canvases, canvas nodes and canvas edges all carry the same
provenance: actor kind and id, job id, workflow id and an edit-event UUID. After a sequence
of writes under different contexts, every content row read back through the API carries
the provenance of its last write; rows written by one call share that call's edit event,
and no two calls share one.
"""

from __future__ import annotations

import uuid

from storage.api import (
    ActorKind,
    BlockUpdate,
    Canvas,
    CanvasEdge,
    CanvasNode,
    Database,
    NewBlock,
    NewCanvasEdge,
    NewCanvasNode,
    Provenance,
    WriteContext,
)
from suites._factories import HUMAN, SYSTEM, ai_ctx, make_workspace, migrated_afterwards, unique

#: the edit event of rows written before migration 0004 recorded one
NIL_EVENT = "00000000-0000-0000-0000-000000000000"


def _matches(prov: Provenance, ctx: WriteContext) -> bool:
    return (prov.actor_kind, prov.actor_id, prov.job_id, prov.workflow_id) == (
        ctx.actor_kind,
        ctx.actor_id,
        ctx.job_id,
        ctx.workflow_id,
    )


def _every_content_row(db: Database) -> dict[str, Provenance]:
    """Row id -> provenance, for every content row the API can read."""
    rows: dict[str, Provenance] = {}
    for ws in db.list_workspaces():
        rows[ws.id] = ws.provenance
        for doc in db.list_documents(ws.id):
            rows[doc.id] = doc.provenance
            rows.update((b.id, b.provenance) for b in db.list_blocks(doc.id))
        for canvas in db.list_canvases(ws.id):
            graph = db.get_canvas(canvas.id)
            assert graph is not None
            rows[canvas.id] = graph.canvas.provenance
            rows.update((n.id, n.provenance) for n in graph.nodes)
            rows.update((e.id, e.provenance) for e in graph.edges)
    return rows


def test_every_content_row_carries_the_provenance_of_its_last_write(db: Database) -> None:
    alice, bob = HUMAN, WriteContext.human("bob")
    helper = make_workspace(db)  # holds the jobs and runs that AI contexts name
    ai, other_ai = ai_ctx(db, helper), ai_ctx(db, helper)
    # (row ids written, context, edit event) of each write, in order
    writes: list[tuple[list[str], WriteContext, str]] = []

    def wrote(ids: list[str], ctx: WriteContext, provs: list[Provenance]) -> None:
        assert provs, "a write that returns rows returns their provenance"
        assert all(_matches(p, ctx) for p in provs)
        assert len({p.edit_event_id for p in provs}) == 1, "one call, one edit event"
        writes.append((ids, ctx, provs[0].edit_event_id))

    ws = db.create_workspace(unique("traced"), ai)
    wrote([ws.id], ai, [ws.provenance])
    gone = db.create_workspace(unique("gone"), bob)
    wrote([gone.id], bob, [gone.provenance])
    db.delete_workspace(gone.id, alice)

    doc = db.create_document(ws.id, "doc", bob)
    wrote([doc.id], bob, [doc.provenance])
    first = db.create_block(doc.id, NewBlock("p", "one"), alice)
    wrote([first.id], alice, [first.provenance])
    second = db.create_block(doc.id, NewBlock("p", "two"), ai)
    wrote([second.id], ai, [second.provenance])
    first = db.update_block(first.id, BlockUpdate(raw_content="one, edited"), other_ai)
    wrote([first.id], other_ai, [first.provenance])

    other_doc = db.create_document(ws.id, "replaced", SYSTEM)
    wrote([other_doc.id], SYSTEM, [other_doc.provenance])
    replaced = db.replace_blocks(other_doc.id, [NewBlock("p", "a"), NewBlock("p", "b")], ai)
    wrote([b.id for b in replaced], ai, [b.provenance for b in replaced])

    canvas = db.create_canvas(ws.id, "board", alice)
    wrote([canvas.id], alice, [canvas.provenance])
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    graph = db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id)], ai)
    c, d = NewCanvasNode("c"), NewCanvasNode("d")
    graph = db.update_canvas_graph(canvas.id, [c, d], [NewCanvasEdge(c.id, d.id)], other_ai)
    rows: list[Canvas | CanvasNode | CanvasEdge] = [graph.canvas, *graph.nodes, *graph.edges]
    wrote([r.id for r in rows], other_ai, [r.provenance for r in rows])

    empty = db.create_canvas(ws.id, "untouched", bob)
    wrote([empty.id], bob, [empty.provenance])

    last: dict[str, tuple[WriteContext, str]] = {}
    for ids, ctx, event in writes:
        last.update((row_id, (ctx, event)) for row_id in ids)
    stored = _every_content_row(db)
    stored.pop(helper.id)  # written by the factory, before the sequence
    gone_ids = {gone.id, a.id, b.id}
    assert gone_ids.isdisjoint(stored)
    assert set(stored) == set(last) - gone_ids
    for row_id, prov in stored.items():
        ctx, event = last[row_id]
        assert _matches(prov, ctx), row_id
        assert prov.edit_event_id == event, row_id
        assert uuid.UUID(prov.edit_event_id).version == 4
    events = [event for _, _, event in writes]
    assert len(set(events)) == len(events), "no two calls share an edit event"


def test_rows_written_before_0004_read_as_system_writes(db_committing: Database) -> None:
    """Reverting 0004 drops the new provenance columns; applying it again gives every row
    the documented defaults. The columns of 0001 keep their values."""
    db = db_committing
    ws = db.create_workspace(unique("old"), HUMAN)
    doc = db.create_document(ws.id, "kept", HUMAN)
    canvas = db.create_canvas(ws.id, "kept", HUMAN)
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    before = db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    provenance_version = next(
        m.version for m in db.migration_status() if m.name == "content_provenance"
    )
    with migrated_afterwards(db):
        db.migrate_down(provenance_version - 1)
        db.run_migrations()
    defaults = Provenance(ActorKind.SYSTEM, None, None, None, NIL_EVENT)
    (stored_ws,) = db.list_workspaces()
    graph = db.get_canvas(canvas.id)
    assert graph is not None
    graph_rows: list[CanvasNode | CanvasEdge] = [*graph.nodes, *graph.edges]
    assert [stored_ws.provenance, *(r.provenance for r in graph_rows)] == [defaults] * 4
    assert (db.get_document(doc.id), graph.canvas) == (doc, before.canvas)
