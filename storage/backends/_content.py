"""Workspaces, documents, blocks and canvases (content writes pass the write guard)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NoReturn

from storage.api import (
    ActorKind,
    Block,
    BlockUpdate,
    Canvas,
    CanvasGraph,
    Document,
    NewBlock,
    NewCanvasEdge,
    NewCanvasNode,
    Workspace,
    WriteContext,
    new_id,
)
from storage.backends import _records, _sql
from storage.backends._indexes import CounterDelta, IndexesMixin
from storage.backends._values import (
    enum_value,
    identifier,
    int64,
    items,
    json_text,
    nonblank,
    optional_json_text,
    optional_text,
    text,
    timestamp,
)
from storage.errors import Conflict, GuardError, NotFound, ValidationError

SILENT_EDIT = "HSK-403-SILENT-EDIT"


def check_write_context(ctx: WriteContext) -> WriteContext:
    """The write guard, as Handshake's `validate_write` has it: an AI write must name both
    the job and the workflow run it belongs to. Returns the context with checked values
    (the actor kind as an `ActorKind`, whatever the caller passed)."""
    if not isinstance(ctx, WriteContext):
        raise ValidationError(f"ctx must be a WriteContext, not {type(ctx).__name__}")
    checked = WriteContext(
        enum_value(ActorKind, ctx.actor_kind, "ctx.actor_kind"),
        actor_id=optional_text(ctx.actor_id, "ctx.actor_id"),
        job_id=optional_text(ctx.job_id, "ctx.job_id"),
        workflow_id=optional_text(ctx.workflow_id, "ctx.workflow_id"),
    )
    if checked.actor_kind is ActorKind.AI:
        # A blank id names nothing: it counts as missing.
        missing = [
            name
            for name, value in (("job_id", checked.job_id), ("workflow_id", checked.workflow_id))
            if value is None or not value.strip()
        ]
        if missing:
            raise GuardError(
                f"refused an AI content write without {' and '.join(missing)} (a silent "
                "edit): an AI write must name both its job and its workflow run; pass "
                "WriteContext.ai(actor_id, job_id=..., workflow_id=...)",
                code=SILENT_EDIT,
            )
    return checked


def _guarded(ctx: WriteContext) -> dict[str, str | None]:
    """The guard's verdict on `ctx`, as the provenance columns of one new edit event."""
    return _records.provenance_params(check_write_context(ctx), new_id())


def _check_sequence_after(highest: object) -> None:
    """Refuses when no block can follow `highest`, a document's highest sequence: the one
    after the largest BIGINT is out of range (INSERT_NEXT_BLOCK inserts nothing then)."""
    if highest is not None:
        int64(int(str(highest)) + 1, "next sequence")


def _block_params(block: NewBlock) -> dict[str, Any]:
    if not isinstance(block, NewBlock):
        raise ValidationError(f"block must be a NewBlock, not {type(block).__name__}")
    raw = text(block.raw_content, "raw_content")
    display = (
        raw if block.display_content is None else text(block.display_content, "display_content")
    )
    derived = {} if block.derived_content is None else block.derived_content
    return {
        "id": identifier(block.id, "block id"),
        "kind": nonblank(block.kind, "block kind"),
        "raw_content": raw,
        "display_content": display,
        "derived_content": json_text(derived, "derived_content"),
        "sequence": None if block.sequence is None else int64(block.sequence, "sequence"),
    }


class ContentMixin(IndexesMixin):
    # ----------------------------------------------------------------------- workspaces
    def list_workspaces(self) -> list[Workspace]:
        rows = self._read_rows(_sql.SELECT_WORKSPACES)
        return sorted(map(_records.workspace, rows), key=lambda w: (w.created_at, w.id))

    def create_workspace(self, name: str, ctx: WriteContext, *, id: str | None = None) -> Workspace:
        provenance = _guarded(ctx)
        checked_name = nonblank(name, "workspace name")
        params = {
            "id": new_id() if id is None else identifier(id, "workspace id"),
            "name": checked_name,
            # Names are unique through their digest: an index on the text itself would
            # refuse long names on PostgreSQL (index entries are limited to a fraction of a
            # page).
            "name_digest": hashlib.sha256(checked_name.encode()).hexdigest(),
            **provenance,
        }
        with self._writing(savepoint=False):
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_WORKSPACE, params)
            if row is None:  # the id or the name is taken: say which
                taken = self._one(_sql.SELECT_WORKSPACE, {"id": params["id"]}) is not None
                what = f"id {params['id']!r}" if taken else f"name {params['name']!r}"
                raise Conflict(f"a workspace with {what} already exists")
            # (no counters row yet: get_counters reads a missing one as zeros, and the
            # first change to a counter writes it)
        return _records.workspace(row)

    def get_workspace(self, workspace_id: str) -> Workspace | None:
        row = self._read_one(_sql.SELECT_WORKSPACE, {"id": text(workspace_id, "workspace_id")})
        return None if row is None else _records.workspace(row)

    def delete_workspace(self, workspace_id: str, ctx: WriteContext) -> None:
        check_write_context(ctx)
        wanted = text(workspace_id, "workspace_id")
        with self._writing():
            # Cascades (foreign keys) to every row that belongs to the workspace,
            # including its derived rows.
            if not self._affected(_sql.DELETE_WORKSPACE, {"id": wanted}):
                raise NotFound(f"workspace {wanted!r} does not exist")

    # ----------------------------------------------------------------------- documents
    def list_documents(self, workspace_id: str) -> list[Document]:
        rows = self._read_rows(
            _sql.SELECT_DOCUMENTS, {"workspace_id": text(workspace_id, "workspace_id")}
        )
        # Code-point order in Python: server collations disagree on non-ASCII and case.
        return sorted(map(_records.document, rows), key=lambda d: (d.title, d.id))

    def get_document(self, document_id: str) -> Document | None:
        row = self._read_one(_sql.SELECT_DOCUMENT, {"id": text(document_id, "document_id")})
        return None if row is None else _records.document(row)

    def create_document(
        self, workspace_id: str, title: str, ctx: WriteContext, *, id: str | None = None
    ) -> Document:
        provenance = _guarded(ctx)
        params: dict[str, Any] = {
            "id": new_id() if id is None else identifier(id, "document id"),
            "workspace_id": text(workspace_id, "workspace_id"),
            "title": nonblank(title, "document title"),
            **provenance,
        }
        with self._writing(savepoint=False):
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_DOCUMENT, params)
            if row is None:  # no such workspace, or the id is taken: say which
                self._require(_sql.SELECT_WORKSPACE, params["workspace_id"], "workspace")
                raise Conflict(f"a document with id {params['id']!r} already exists")
            self._bump_counters(row["workspace_id"], CounterDelta(documents=1))
        return _records.document(row)

    def delete_document(self, document_id: str, ctx: WriteContext) -> None:
        check_write_context(ctx)
        wanted = text(document_id, "document_id")
        with self._writing():
            # Delete the blocks first and count what went: a block added concurrently
            # between a count and the cascade would otherwise be deleted uncounted.
            blocks = self._affected(_sql.DELETE_DOCUMENT_BLOCKS, {"document_id": wanted})
            row = self._one(_sql.DELETE_DOCUMENT, {"id": wanted})
            if row is None:
                raise NotFound(f"document {wanted!r} does not exist")
            self._bump_counters(row["workspace_id"], CounterDelta(documents=-1, blocks=-blocks))

    # ----------------------------------------------------------------------- blocks
    def list_blocks(self, document_id: str) -> list[Block]:
        rows = self._read_rows(
            _sql.SELECT_BLOCKS, {"document_id": text(document_id, "document_id")}
        )
        return [_records.block(r) for r in rows]

    def get_block(self, block_id: str) -> Block | None:
        row = self._read_one(_sql.SELECT_BLOCK, {"id": text(block_id, "block_id")})
        return None if row is None else _records.block(row)

    def create_block(self, document_id: str, block: NewBlock, ctx: WriteContext) -> Block:
        provenance = _guarded(ctx)
        params = {**_block_params(block), **provenance}
        params["document_id"] = text(document_id, "document_id")
        with self._writing(savepoint=False):
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_NEXT_BLOCK, params)
            if row is None:  # no such document, a taken key, or no sequence left: say which
                parent = self._require(_sql.SELECT_BLOCK_PARENT, params["document_id"], "document")
                if params["sequence"] is None:
                    highest = parent["max_sequence"]
                    _check_sequence_after(highest)
                    # (else a concurrent write took the next one: the highest now)
                    params["sequence"] = 0 if highest is None else highest
                self._refuse_block(params)
            workspace_id = row["workspace_id"]
            self._index_block(
                row["id"], row["document_id"], workspace_id, row["raw_content"], new=True
            )
            self._bump_counters(workspace_id, CounterDelta(blocks=1))
        return _records.block(row)

    def update_block(self, block_id: str, update: BlockUpdate, ctx: WriteContext) -> Block:
        provenance = _guarded(ctx)
        if not isinstance(update, BlockUpdate):
            raise ValidationError(f"update must be a BlockUpdate, not {type(update).__name__}")
        if update.is_empty():
            raise ValidationError("empty block update: at least one field must be given")
        params: dict[str, Any] = {
            "id": text(block_id, "block_id"),
            "kind": None if update.kind is None else nonblank(update.kind, "block kind"),
            "raw_content": optional_text(update.raw_content, "raw_content"),
            "display_content": optional_text(update.display_content, "display_content"),
            "derived_content": optional_json_text(update.derived_content, "derived_content"),
            "sequence": None if update.sequence is None else int64(update.sequence, "sequence"),
            **provenance,
        }
        with self._writing():
            owner = self._require(_sql.SELECT_BLOCK_OWNER, params["id"], "block")
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.UPDATE_BLOCK, params)
            assert row is not None
            if update.raw_content is not None:
                self._index_block(
                    row["id"], row["document_id"], owner["workspace_id"], row["raw_content"]
                )
        return _records.block(row)

    def delete_block(self, block_id: str, ctx: WriteContext) -> None:
        check_write_context(ctx)
        wanted = text(block_id, "block_id")
        with self._writing():
            owner = self._require(_sql.SELECT_BLOCK_OWNER, wanted, "block")
            self._affected(_sql.DELETE_BLOCK, {"id": wanted})  # its tokens cascade
            self._bump_counters(owner["workspace_id"], CounterDelta(blocks=-1))

    def replace_blocks(
        self, document_id: str, blocks: Sequence[NewBlock], ctx: WriteContext
    ) -> list[Block]:
        provenance = _guarded(ctx)  # one edit event for all the blocks
        wanted = text(document_id, "document_id")
        prepared = []
        for position, block in enumerate(items(blocks, "blocks", NewBlock)):
            params = {**_block_params(block), **provenance, "document_id": wanted}
            if params["sequence"] is None:
                params["sequence"] = position
            prepared.append(params)
        with self._writing():
            document = self._require(_sql.SELECT_DOCUMENT, wanted, "document")
            removed = self._affected(_sql.DELETE_DOCUMENT_BLOCKS, {"document_id": wanted})
            created = [self._insert_block(p, document["workspace_id"]) for p in prepared]
            self._bump_counters(
                document["workspace_id"], CounterDelta(blocks=len(created) - removed)
            )
        return sorted(created, key=lambda b: b.sequence)

    def _insert_block(self, params: dict[str, Any], workspace_id: str) -> Block:
        row = self._one(_sql.INSERT_BLOCK, {**params, "now": timestamp(self._now(), "now")})
        if row is None:  # its id, or its sequence in the document, is taken: say which
            self._refuse_block(params)
        self._index_block(row["id"], row["document_id"], workspace_id, row["raw_content"], new=True)
        return _records.block(row)

    def _refuse_block(self, params: dict[str, Any]) -> NoReturn:
        """Why a block was not inserted in its document: its id or its sequence is taken."""
        if self._one(_sql.SELECT_BLOCK, {"id": params["id"]}) is not None:
            raise Conflict(f"a block with id {params['id']!r} already exists")
        raise Conflict(
            f"document {params['document_id']!r} already has a block at sequence "
            f"{params['sequence']}"
        )

    # ----------------------------------------------------------------------- canvases
    def create_canvas(
        self, workspace_id: str, title: str, ctx: WriteContext, *, id: str | None = None
    ) -> Canvas:
        provenance = _guarded(ctx)
        params: dict[str, Any] = {
            "id": new_id() if id is None else identifier(id, "canvas id"),
            "workspace_id": text(workspace_id, "workspace_id"),
            "title": nonblank(title, "canvas title"),
            **provenance,
        }
        with self._writing():
            self._require(_sql.SELECT_WORKSPACE, params["workspace_id"], "workspace")
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_CANVAS, params)
            assert row is not None
            self._bump_counters(row["workspace_id"], CounterDelta(canvases=1))
        return _records.canvas(row)

    def list_canvases(self, workspace_id: str) -> list[Canvas]:
        rows = self._read_rows(
            _sql.SELECT_CANVASES, {"workspace_id": text(workspace_id, "workspace_id")}
        )
        return sorted(map(_records.canvas, rows), key=lambda c: (c.created_at, c.id))

    def get_canvas(self, canvas_id: str) -> CanvasGraph | None:
        wanted = text(canvas_id, "canvas_id")
        with self._snapshot():  # the canvas, its nodes and its edges
            row = self._one(_sql.SELECT_CANVAS, {"id": wanted})
            if row is None:
                return None
            return self._graph(_records.canvas(row))

    def update_canvas_graph(
        self,
        canvas_id: str,
        nodes: Sequence[NewCanvasNode],
        edges: Sequence[NewCanvasEdge],
        ctx: WriteContext,
    ) -> CanvasGraph:
        provenance = _guarded(ctx)  # one edit event for the canvas, its nodes and its edges
        wanted = text(canvas_id, "canvas_id")
        node_rows = [
            {**_node_params(n, wanted), **provenance} for n in items(nodes, "nodes", NewCanvasNode)
        ]
        node_ids = [n["id"] for n in node_rows]
        if len(set(node_ids)) != len(node_ids):
            raise ValidationError("duplicate node ids in the canvas graph")
        edge_rows = [
            {**_edge_params(e, wanted, set(node_ids)), **provenance}
            for e in items(edges, "edges", NewCanvasEdge)
        ]
        if len({e["id"] for e in edge_rows}) != len(edge_rows):
            raise ValidationError("duplicate edge ids in the canvas graph")
        with self._writing():
            self._require(_sql.SELECT_CANVAS, wanted, "canvas")
            self._affected(_sql.DELETE_CANVAS_EDGES, {"canvas_id": wanted})
            self._affected(_sql.DELETE_CANVAS_NODES, {"canvas_id": wanted})
            self._many(_sql.INSERT_CANVAS_NODE, node_rows)
            self._many(_sql.INSERT_CANVAS_EDGE, edge_rows)
            row = self._one(
                _sql.TOUCH_CANVAS,
                {"id": wanted, "now": timestamp(self._now(), "now"), **provenance},
            )
            assert row is not None
            return self._graph(_records.canvas(row))

    def delete_canvas(self, canvas_id: str, ctx: WriteContext) -> None:
        check_write_context(ctx)
        wanted = text(canvas_id, "canvas_id")
        with self._writing():
            row = self._one(_sql.DELETE_CANVAS, {"id": wanted})  # nodes and edges cascade
            if row is None:
                raise NotFound(f"canvas {wanted!r} does not exist")
            self._bump_counters(row["workspace_id"], CounterDelta(canvases=-1))

    def _graph(self, canvas: Canvas) -> CanvasGraph:
        nodes = self._rows(_sql.SELECT_CANVAS_NODES, {"canvas_id": canvas.id})
        edges = self._rows(_sql.SELECT_CANVAS_EDGES, {"canvas_id": canvas.id})
        return CanvasGraph(
            canvas=canvas,
            nodes=tuple(sorted(map(_records.canvas_node, nodes), key=lambda n: n.id)),
            edges=tuple(sorted(map(_records.canvas_edge, edges), key=lambda e: e.id)),
        )


def _node_params(node: NewCanvasNode, canvas_id: str) -> dict[str, Any]:
    return {
        "id": identifier(node.id, "node id"),
        "canvas_id": canvas_id,
        "kind": nonblank(node.kind, "node kind"),
        "x": int64(node.x, "node x"),
        "y": int64(node.y, "node y"),
        "data": json_text(node.data, "node data"),
    }


def _edge_params(edge: NewCanvasEdge, canvas_id: str, node_ids: set[str]) -> dict[str, Any]:
    params = {
        "id": identifier(edge.id, "edge id"),
        "canvas_id": canvas_id,
        "source_node_id": text(edge.source_node_id, "edge source_node_id"),
        "target_node_id": text(edge.target_node_id, "edge target_node_id"),
        "label": optional_text(edge.label, "edge label"),
    }
    for end in (params["source_node_id"], params["target_node_id"]):
        if end not in node_ids:
            raise ValidationError(
                f"edge {params['id']!r} refers to node {end!r}, which is not among the "
                "canvas's nodes"
            )
    return params
