"""Every text, id, JSON and list parameter of the `Database` API, as a call that passes a
given value for it on the rows of a `Scene`, with what a `ValidationError` for that
parameter must name (`test_typed_errors` calls each with hostile values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.api import (
    ActorKind,
    BlockUpdate,
    Database,
    JobFilter,
    JobState,
    NewAiJob,
    NewBlock,
    NewCanvasEdge,
    NewCanvasNode,
    NodeStatus,
    WorkflowStatus,
    WriteContext,
)
from suites._factories import CONTENT_WRITES, HUMAN, Scene, Write, unique

Call = Callable[[Database, Scene, Any], object]


def _graph(db: Database, s: Scene, node: NewCanvasNode | None = None, **edge: Any) -> object:
    """A graph update with one node (or `node`) and one edge from it to a second node."""
    a, b = node or NewCanvasNode("a"), NewCanvasNode("b")
    ends = {"source_node_id": a.id, "target_node_id": b.id, **edge}
    return db.update_canvas_graph(s.canvas.id, [a, b], [NewCanvasEdge(**ends)], HUMAN)


def _ctx_calls() -> dict[str, tuple[Call, str]]:
    """Each `WriteContext` field of each content write."""
    fields: dict[str, Callable[[Any], WriteContext]] = {
        "actor_kind": WriteContext,
        "actor_id": lambda v: WriteContext(ActorKind.HUMAN, actor_id=v),
        "job_id": lambda v: WriteContext(ActorKind.HUMAN, job_id=v),
        "workflow_id": lambda v: WriteContext(ActorKind.HUMAN, workflow_id=v),
    }

    def call(write: Write, make: Callable[[Any], WriteContext]) -> Call:
        return lambda db, s, v: write(db, s, make(v))

    return {
        f"{name}.ctx.{field}": (call(write, make), f"ctx.{field}")
        for name, write in CONTENT_WRITES.items()
        for field, make in fields.items()
    }


#: "method.parameter" -> (the call with a value for that parameter, what the error names)
TEXT_PARAMETERS: dict[str, tuple[Call, str]] = {
    "create_workspace.name": (lambda db, s, v: db.create_workspace(v, HUMAN), "workspace name"),
    "create_workspace.id": (
        lambda db, s, v: db.create_workspace(unique("w"), HUMAN, id=v),
        "workspace id",
    ),
    "get_workspace.workspace_id": (lambda db, s, v: db.get_workspace(v), "workspace_id"),
    "delete_workspace.workspace_id": (
        lambda db, s, v: db.delete_workspace(v, HUMAN),
        "workspace_id",
    ),
    "list_documents.workspace_id": (lambda db, s, v: db.list_documents(v), "workspace_id"),
    "get_document.document_id": (lambda db, s, v: db.get_document(v), "document_id"),
    "create_document.workspace_id": (
        lambda db, s, v: db.create_document(v, "t", HUMAN),
        "workspace_id",
    ),
    "create_document.title": (
        lambda db, s, v: db.create_document(s.ws.id, v, HUMAN),
        "document title",
    ),
    "create_document.id": (
        lambda db, s, v: db.create_document(s.ws.id, "t", HUMAN, id=v),
        "document id",
    ),
    "delete_document.document_id": (lambda db, s, v: db.delete_document(v, HUMAN), "document_id"),
    "list_blocks.document_id": (lambda db, s, v: db.list_blocks(v), "document_id"),
    "get_block.block_id": (lambda db, s, v: db.get_block(v), "block_id"),
    "create_block.document_id": (
        lambda db, s, v: db.create_block(v, NewBlock("p", "t"), HUMAN),
        "document_id",
    ),
    "create_block.kind": (
        lambda db, s, v: db.create_block(s.doc.id, NewBlock(v, "t"), HUMAN),
        "block kind",
    ),
    "create_block.raw_content": (
        lambda db, s, v: db.create_block(s.doc.id, NewBlock("p", v), HUMAN),
        "raw_content",
    ),
    "create_block.display_content": (
        lambda db, s, v: db.create_block(s.doc.id, NewBlock("p", "t", display_content=v), HUMAN),
        "display_content",
    ),
    "create_block.id": (
        lambda db, s, v: db.create_block(s.doc.id, NewBlock("p", "t", id=v), HUMAN),
        "block id",
    ),
    "update_block.block_id": (
        lambda db, s, v: db.update_block(v, BlockUpdate(raw_content="x"), HUMAN),
        "block_id",
    ),
    "update_block.kind": (
        lambda db, s, v: db.update_block(s.block.id, BlockUpdate(kind=v), HUMAN),
        "block kind",
    ),
    "update_block.raw_content": (
        lambda db, s, v: db.update_block(s.block.id, BlockUpdate(raw_content=v), HUMAN),
        "raw_content",
    ),
    "update_block.display_content": (
        lambda db, s, v: db.update_block(s.block.id, BlockUpdate(display_content=v), HUMAN),
        "display_content",
    ),
    "delete_block.block_id": (lambda db, s, v: db.delete_block(v, HUMAN), "block_id"),
    "replace_blocks.document_id": (
        lambda db, s, v: db.replace_blocks(v, [NewBlock("p", "t")], HUMAN),
        "document_id",
    ),
    "replace_blocks.kind": (
        lambda db, s, v: db.replace_blocks(
            s.doc.id, [NewBlock("p", "ok"), NewBlock(v, "t")], HUMAN
        ),
        "block kind",
    ),
    "replace_blocks.raw_content": (
        lambda db, s, v: db.replace_blocks(
            s.doc.id, [NewBlock("p", "ok"), NewBlock("p", v)], HUMAN
        ),
        "raw_content",
    ),
    "replace_blocks.display_content": (
        lambda db, s, v: db.replace_blocks(
            s.doc.id, [NewBlock("p", "t", display_content=v)], HUMAN
        ),
        "display_content",
    ),
    "replace_blocks.id": (
        lambda db, s, v: db.replace_blocks(s.doc.id, [NewBlock("p", "t", id=v)], HUMAN),
        "block id",
    ),
    "create_canvas.workspace_id": (
        lambda db, s, v: db.create_canvas(v, "t", HUMAN),
        "workspace_id",
    ),
    "create_canvas.title": (
        lambda db, s, v: db.create_canvas(s.ws.id, v, HUMAN),
        "canvas title",
    ),
    "create_canvas.id": (
        lambda db, s, v: db.create_canvas(s.ws.id, "t", HUMAN, id=v),
        "canvas id",
    ),
    "list_canvases.workspace_id": (lambda db, s, v: db.list_canvases(v), "workspace_id"),
    "get_canvas.canvas_id": (lambda db, s, v: db.get_canvas(v), "canvas_id"),
    "update_canvas_graph.canvas_id": (
        lambda db, s, v: db.update_canvas_graph(v, [], [], HUMAN),
        "canvas_id",
    ),
    "update_canvas_graph.node.kind": (
        lambda db, s, v: _graph(db, s, NewCanvasNode(v)),
        "node kind",
    ),
    "update_canvas_graph.node.id": (
        lambda db, s, v: _graph(db, s, NewCanvasNode("k", id=v)),
        "node id",
    ),
    "update_canvas_graph.edge.source_node_id": (
        lambda db, s, v: _graph(db, s, source_node_id=v),
        "source_node_id",
    ),
    "update_canvas_graph.edge.target_node_id": (
        lambda db, s, v: _graph(db, s, target_node_id=v),
        "target_node_id",
    ),
    "update_canvas_graph.edge.label": (lambda db, s, v: _graph(db, s, label=v), "edge label"),
    "update_canvas_graph.edge.id": (lambda db, s, v: _graph(db, s, id=v), "edge id"),
    "delete_canvas.canvas_id": (lambda db, s, v: db.delete_canvas(v, HUMAN), "canvas_id"),
    "create_ai_job.kind": (lambda db, s, v: db.create_ai_job(NewAiJob(v)), "job kind"),
    "create_ai_job.workspace_id": (
        lambda db, s, v: db.create_ai_job(NewAiJob("k", workspace_id=v)),
        "workspace_id",
    ),
    "create_ai_job.id": (lambda db, s, v: db.create_ai_job(NewAiJob("k", id=v)), "job id"),
    "get_ai_job.job_id": (lambda db, s, v: db.get_ai_job(v), "job_id"),
    "list_ai_jobs.kind": (lambda db, s, v: db.list_ai_jobs(JobFilter(kind=v)), "job kind"),
    "list_ai_jobs.workspace_id": (
        lambda db, s, v: db.list_ai_jobs(JobFilter(workspace_id=v)),
        "workspace_id",
    ),
    "list_ai_jobs.state": (lambda db, s, v: db.list_ai_jobs(JobFilter(state=v)), "job state"),
    "update_ai_job_state.job_id": (
        lambda db, s, v: db.update_ai_job_state(v, JobState.RUNNING),
        "job_id",
    ),
    "update_ai_job_state.state": (
        lambda db, s, v: db.update_ai_job_state(s.job.id, v),
        "job state",
    ),
    "update_ai_job_state.error": (
        lambda db, s, v: db.update_ai_job_state(s.job.id, JobState.FAILED, error=v),
        "error",
    ),
    "set_ai_job_outputs.job_id": (lambda db, s, v: db.set_ai_job_outputs(v, {}), "job_id"),
    "set_ai_job_pinned.job_id": (lambda db, s, v: db.set_ai_job_pinned(v, True), "job_id"),
    "create_workflow_run.job_id": (lambda db, s, v: db.create_workflow_run(v), "job_id"),
    "create_workflow_run.id": (
        lambda db, s, v: db.create_workflow_run(s.job.id, id=v),
        "workflow run id",
    ),
    "get_workflow_run.run_id": (lambda db, s, v: db.get_workflow_run(v), "run_id"),
    "heartbeat_workflow_run.run_id": (lambda db, s, v: db.heartbeat_workflow_run(v), "run_id"),
    "update_workflow_status.run_id": (
        lambda db, s, v: db.update_workflow_status(v, WorkflowStatus.RUNNING),
        "run_id",
    ),
    "update_workflow_status.status": (
        lambda db, s, v: db.update_workflow_status(s.run.id, v),
        "workflow status",
    ),
    "update_workflow_status.error": (
        lambda db, s, v: db.update_workflow_status(s.run.id, WorkflowStatus.FAILED, error=v),
        "error",
    ),
    "create_node_execution.run_id": (
        lambda db, s, v: db.create_node_execution(v, "n"),
        "run_id",
    ),
    "create_node_execution.node_id": (
        lambda db, s, v: db.create_node_execution(s.run.id, v),
        "node_id",
    ),
    "list_node_executions.run_id": (lambda db, s, v: db.list_node_executions(v), "run_id"),
    "update_node_execution_status.execution_id": (
        lambda db, s, v: db.update_node_execution_status(v, NodeStatus.RUNNING),
        "execution_id",
    ),
    "update_node_execution_status.status": (
        lambda db, s, v: db.update_node_execution_status(s.execution.id, v),
        "node status",
    ),
    "update_node_execution_status.error": (
        lambda db, s, v: db.update_node_execution_status(
            s.execution.id, NodeStatus.FAILED, error=v
        ),
        "error",
    ),
    "search.query": (lambda db, s, v: db.search(v), "search query"),
    "search.workspace_id": (lambda db, s, v: db.search("original", workspace_id=v), "workspace_id"),
    "get_counters.workspace_id": (lambda db, s, v: db.get_counters(v), "workspace_id"),
    **_ctx_calls(),
}

#: "method.parameter" of each JSON parameter
JSON_PARAMETERS: dict[str, tuple[Call, str]] = {
    "create_block.derived_content": (
        lambda db, s, v: db.create_block(s.doc.id, NewBlock("p", "t", derived_content=v), HUMAN),
        "derived_content",
    ),
    "update_block.derived_content": (
        lambda db, s, v: db.update_block(s.block.id, BlockUpdate(derived_content=v), HUMAN),
        "derived_content",
    ),
    "replace_blocks.derived_content": (
        lambda db, s, v: db.replace_blocks(
            s.doc.id, [NewBlock("p", "ok"), NewBlock("p", "t", derived_content=v)], HUMAN
        ),
        "derived_content",
    ),
    "update_canvas_graph.node.data": (
        lambda db, s, v: _graph(db, s, NewCanvasNode("k", data=v)),
        "node data",
    ),
    "create_ai_job.inputs": (
        lambda db, s, v: db.create_ai_job(NewAiJob("k", inputs=v)),
        "job inputs",
    ),
    "set_ai_job_outputs.outputs": (
        lambda db, s, v: db.set_ai_job_outputs(s.job.id, v),
        "job outputs",
    ),
    "create_node_execution.inputs": (
        lambda db, s, v: db.create_node_execution(s.run.id, "n", inputs=v),
        "node inputs",
    ),
    "update_node_execution_status.outputs": (
        lambda db, s, v: db.update_node_execution_status(
            s.execution.id, NodeStatus.COMPLETED, outputs=v
        ),
        "node outputs",
    ),
}

#: "method.parameter" of each list parameter
LIST_PARAMETERS: dict[str, tuple[Call, str]] = {
    "replace_blocks.blocks": (lambda db, s, v: db.replace_blocks(s.doc.id, v, HUMAN), "blocks"),
    "update_canvas_graph.nodes": (
        lambda db, s, v: db.update_canvas_graph(s.canvas.id, v, [], HUMAN),
        "nodes",
    ),
    "update_canvas_graph.edges": (
        lambda db, s, v: db.update_canvas_graph(s.canvas.id, [NewCanvasNode("k")], v, HUMAN),
        "edges",
    ),
}
