"""Error messages are part of the contract: each names the parameter, the cause and the fix.

A caller (or the person reading a log) learns from the message which argument was wrong and
why; so each refusal here is checked word for word, on every backend. Ids in "does not
exist" messages are the caller's own (shown with repr), never anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.api import (
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
from storage.errors import Conflict, GuardError, NotFound, StorageError, ValidationError
from suites._factories import (
    HUMAN,
    make_blocks,
    make_canvas,
    make_document,
    make_job,
    make_run,
    make_workspace,
    nested,
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


def _doc(db: Database) -> str:
    return make_document(db).id


def _block(db: Database) -> str:
    return make_blocks(db, make_document(db), ["x"])[0].id


def _doc_ending_at_int64_max(db: Database) -> str:
    document = make_document(db)
    db.create_block(document.id, NewBlock("p", "last", sequence=2**63 - 1), HUMAN)
    return document.id


def _canvas(db: Database) -> str:
    return make_canvas(db, make_workspace(db)).id


def _run(db: Database) -> str:
    return make_run(db).id


def _execution(db: Database) -> str:
    return db.create_node_execution(make_run(db).id, "n").id


def _graph(nodes: list[NewCanvasNode], edges: list[NewCanvasEdge] | None = None) -> Call:
    return lambda db: db.update_canvas_graph(_canvas(db), nodes, edges or [], HUMAN)


A, B = NewCanvasNode("k", id="a"), NewCanvasNode("k", id="b")

#: call -> (error class, the whole message)
REFUSALS: dict[str, tuple[Call, type[StorageError], str]] = {
    # ----------------------------------------------------------------- workspaces
    "get-workspace-id": (
        lambda db: db.get_workspace(5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "delete-workspace-id": (
        lambda db: db.delete_workspace(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "delete-workspace-missing": (
        lambda db: db.delete_workspace(MISSING, HUMAN),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- documents
    "list-documents-id": (
        lambda db: db.list_documents(5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "get-document-id": (
        lambda db: db.get_document(5),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "delete-document-id": (
        lambda db: db.delete_document(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "delete-document-missing": (
        lambda db: db.delete_document(MISSING, HUMAN),
        NotFound,
        f"document {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- blocks
    "list-blocks-id": (
        lambda db: db.list_blocks(5),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "get-block-id": (
        lambda db: db.get_block(5),  # type: ignore[arg-type]
        ValidationError,
        "block_id must be a string, not int",
    ),
    "delete-block-id": (
        lambda db: db.delete_block(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "block_id must be a string, not int",
    ),
    "delete-block-missing": (
        lambda db: db.delete_block(MISSING, HUMAN),
        NotFound,
        f"block {MISSING!r} does not exist",
    ),
    "update-block-id": (
        lambda db: db.update_block(5, BlockUpdate(kind="k"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "block_id must be a string, not int",
    ),
    "update-block-missing": (
        lambda db: db.update_block(MISSING, BlockUpdate(kind="k"), HUMAN),
        NotFound,
        f"block {MISSING!r} does not exist",
    ),
    "update-block-not-an-update": (
        lambda db: db.update_block(_block(db), "x", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "update must be a BlockUpdate, not str",
    ),
    "update-block-empty": (
        lambda db: db.update_block(_block(db), BlockUpdate(), HUMAN),
        ValidationError,
        "empty block update: at least one field must be given",
    ),
    "update-block-kind": (
        lambda db: db.update_block(_block(db), BlockUpdate(kind=" "), HUMAN),
        ValidationError,
        "block kind must not be empty",
    ),
    "update-block-raw": (
        lambda db: db.update_block(_block(db), BlockUpdate(raw_content=5), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "raw_content must be a string, not int",
    ),
    "update-block-display": (
        lambda db: db.update_block(_block(db), BlockUpdate(display_content=5), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "display_content must be a string, not int",
    ),
    "update-block-derived": (
        lambda db: db.update_block(_block(db), BlockUpdate(derived_content=[]), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "derived_content must be a JSON object (dict), not list",
    ),
    "update-block-sequence-bool": (
        lambda db: db.update_block(_block(db), BlockUpdate(sequence=True), HUMAN),
        ValidationError,
        "sequence must be an integer, not bool",
    ),
    "update-block-sequence-float": (
        lambda db: db.update_block(_block(db), BlockUpdate(sequence=1.0), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "sequence must be an integer, not float",
    ),
    "create-block-document-id": (
        lambda db: db.create_block(5, NewBlock("p", "t"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "create-block-missing-document": (
        lambda db: db.create_block(MISSING, NewBlock("p", "t"), HUMAN),
        NotFound,
        f"document {MISSING!r} does not exist",
    ),
    "create-block-not-a-block": (
        lambda db: db.create_block(_doc(db), "text", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "block must be a NewBlock, not str",
    ),
    "create-block-id": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", id=""), HUMAN),
        ValidationError,
        "block id must not be empty",
    ),
    "create-block-kind": (
        lambda db: db.create_block(_doc(db), NewBlock("", "t"), HUMAN),
        ValidationError,
        "block kind must not be empty",
    ),
    "create-block-raw": (
        lambda db: db.create_block(_doc(db), NewBlock("p", None), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "raw_content must be a string, not NoneType",
    ),
    "create-block-display": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", display_content=b"x"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "display_content must be a string, not bytes",
    ),
    "create-block-derived": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", derived_content=[]), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "derived_content must be a JSON object (dict), not list",
    ),
    "create-block-sequence-bool": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", sequence=False), HUMAN),
        ValidationError,
        "sequence must be an integer, not bool",
    ),
    "create-block-after-the-last-sequence": (
        lambda db: db.create_block(_doc_ending_at_int64_max(db), NewBlock("p", "next"), HUMAN),
        ValidationError,
        f"next sequence {2**63} is outside the signed 64-bit range",
    ),
    "create-document-workspace-id": (
        lambda db: db.create_document(5, "t", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "create-document-missing-workspace": (
        lambda db: db.create_document(MISSING, "t", HUMAN),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    "create-document-title": (
        lambda db: db.create_document(make_workspace(db).id, "\t", HUMAN),
        ValidationError,
        "document title must not be empty",
    ),
    "create-document-id": (
        lambda db: db.create_document(make_workspace(db).id, "t", HUMAN, id="x" * 256),
        ValidationError,
        "document id is longer than 255 characters",
    ),
    "create-workspace-name": (
        lambda db: db.create_workspace(" ", HUMAN),
        ValidationError,
        "workspace name must not be empty",
    ),
    "create-workspace-id": (
        lambda db: db.create_workspace("w", HUMAN, id=" "),
        ValidationError,
        "workspace id must not be empty",
    ),
    "create-job-kind": (
        lambda db: db.create_ai_job(NewAiJob(" ")),
        ValidationError,
        "job kind must not be empty",
    ),
    "create-job-id": (
        lambda db: db.create_ai_job(NewAiJob("k", id="")),
        ValidationError,
        "job id must not be empty",
    ),
    "create-job-workspace-id": (
        lambda db: db.create_ai_job(NewAiJob("k", workspace_id=5)),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "create-job-missing-workspace": (
        lambda db: db.create_ai_job(NewAiJob("k", workspace_id=MISSING)),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    "create-job-inputs": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs=None)),  # type: ignore[arg-type]
        ValidationError,
        "job inputs must be a JSON object (dict), not NoneType",
    ),
    "create-run-id": (
        lambda db: db.create_workflow_run(make_job(db).id, id=""),
        ValidationError,
        "workflow run id must not be empty",
    ),
    "list-jobs-kind": (
        lambda db: db.list_ai_jobs(JobFilter(kind=5)),  # type: ignore[arg-type]
        ValidationError,
        "job kind must be a string, not int",
    ),
    "list-jobs-workspace-id": (
        lambda db: db.list_ai_jobs(JobFilter(workspace_id=5)),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "list-jobs-created-from": (
        lambda db: db.list_ai_jobs(JobFilter(created_from=datetime(2024, 1, 1))),
        ValidationError,
        "created_from must be timezone-aware (got a naive datetime)",
    ),
    "list-jobs-created-to": (
        lambda db: db.list_ai_jobs(JobFilter(created_to="2024")),  # type: ignore[arg-type]
        ValidationError,
        "created_to must be a datetime, not str",
    ),
    "replace-blocks-id": (
        lambda db: db.replace_blocks(5, [], HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "document_id must be a string, not int",
    ),
    "replace-blocks-missing": (
        lambda db: db.replace_blocks(MISSING, [], HUMAN),
        NotFound,
        f"document {MISSING!r} does not exist",
    ),
    "replace-blocks-not-a-list": (
        lambda db: db.replace_blocks(_doc(db), "abc", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "blocks must be a list of NewBlock values, not str",
    ),
    "replace-blocks-item": (
        lambda db: db.replace_blocks(_doc(db), [NewBlock("p", "t"), "x"], HUMAN),  # type: ignore[list-item]
        ValidationError,
        "blocks must be NewBlock values, not str",
    ),
    # ----------------------------------------------------------------- canvases
    "create-canvas-workspace-id": (
        lambda db: db.create_canvas(5, "t", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "create-canvas-missing-workspace": (
        lambda db: db.create_canvas(MISSING, "t", HUMAN),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    "create-canvas-title": (
        lambda db: db.create_canvas(make_workspace(db).id, " ", HUMAN),
        ValidationError,
        "canvas title must not be empty",
    ),
    "create-canvas-id": (
        lambda db: db.create_canvas(make_workspace(db).id, "t", HUMAN, id=" "),
        ValidationError,
        "canvas id must not be empty",
    ),
    "list-canvases-id": (
        lambda db: db.list_canvases(5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "get-canvas-id": (
        lambda db: db.get_canvas(5),  # type: ignore[arg-type]
        ValidationError,
        "canvas_id must be a string, not int",
    ),
    "delete-canvas-id": (
        lambda db: db.delete_canvas(5, HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "canvas_id must be a string, not int",
    ),
    "delete-canvas-missing": (
        lambda db: db.delete_canvas(MISSING, HUMAN),
        NotFound,
        f"canvas {MISSING!r} does not exist",
    ),
    "graph-canvas-id": (
        lambda db: db.update_canvas_graph(5, [], [], HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "canvas_id must be a string, not int",
    ),
    "graph-missing-canvas": (
        lambda db: db.update_canvas_graph(MISSING, [], [], HUMAN),
        NotFound,
        f"canvas {MISSING!r} does not exist",
    ),
    "graph-nodes-not-a-list": (
        lambda db: db.update_canvas_graph(_canvas(db), {}, [], HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "nodes must be a list of NewCanvasNode values, not dict",
    ),
    "graph-edges-not-a-list": (
        lambda db: db.update_canvas_graph(_canvas(db), [], "e", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "edges must be a list of NewCanvasEdge values, not str",
    ),
    "graph-duplicate-nodes": (
        _graph([A, NewCanvasNode("other", id="a")]),
        ValidationError,
        "duplicate node ids in the canvas graph",
    ),
    "graph-duplicate-edges": (
        _graph([A, B], [NewCanvasEdge("a", "b", id="e"), NewCanvasEdge("b", "a", id="e")]),
        ValidationError,
        "duplicate edge ids in the canvas graph",
    ),
    "node-id": (_graph([NewCanvasNode("k", id=" ")]), ValidationError, "node id must not be empty"),
    "node-kind": (_graph([NewCanvasNode(" ")]), ValidationError, "node kind must not be empty"),
    "node-x-bool": (
        _graph([NewCanvasNode("k", x=True)]),
        ValidationError,
        "node x must be an integer, not bool",
    ),
    "node-y-float": (
        _graph([NewCanvasNode("k", y=0.5)]),  # type: ignore[arg-type]
        ValidationError,
        "node y must be an integer, not float",
    ),
    "node-data": (
        _graph([NewCanvasNode("k", data=[])]),  # type: ignore[arg-type]
        ValidationError,
        "node data must be a JSON object (dict), not list",
    ),
    "edge-id": (
        _graph([A, B], [NewCanvasEdge("a", "b", id=" ")]),
        ValidationError,
        "edge id must not be empty",
    ),
    "edge-source": (
        _graph([A, B], [NewCanvasEdge(5, "b", id="e")]),  # type: ignore[arg-type]
        ValidationError,
        "edge source_node_id must be a string, not int",
    ),
    "edge-target": (
        _graph([A, B], [NewCanvasEdge("a", 5, id="e")]),  # type: ignore[arg-type]
        ValidationError,
        "edge target_node_id must be a string, not int",
    ),
    "edge-label": (
        _graph([A, B], [NewCanvasEdge("a", "b", label=5, id="e")]),  # type: ignore[arg-type]
        ValidationError,
        "edge label must be a string, not int",
    ),
    "edge-dangling": (
        _graph([A, B], [NewCanvasEdge("a", "c", id="e")]),
        ValidationError,
        "edge 'e' refers to node 'c', which is not among the canvas's nodes",
    ),
    # ----------------------------------------------------------------- AI jobs
    "create-job-not-a-job": (
        lambda db: db.create_ai_job("k"),  # type: ignore[arg-type]
        ValidationError,
        "job must be a NewAiJob, not str",
    ),
    "create-job-pinned-int": (
        lambda db: db.create_ai_job(NewAiJob("k", pinned=1)),  # type: ignore[arg-type]
        ValidationError,
        "pinned must be a bool, not int",
    ),
    "get-job-id": (
        lambda db: db.get_ai_job(5),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "list-jobs-filter": (
        lambda db: db.list_ai_jobs("queued"),  # type: ignore[arg-type]
        ValidationError,
        "filter must be a JobFilter, not str",
    ),
    "list-jobs-limit-zero": (
        lambda db: db.list_ai_jobs(JobFilter(limit=0)),
        ValidationError,
        "job list limit must be between 1 and 1000, not 0",
    ),
    "list-jobs-limit-past-max": (
        lambda db: db.list_ai_jobs(JobFilter(limit=1001)),
        ValidationError,
        "job list limit must be between 1 and 1000, not 1001",
    ),
    "list-jobs-limit-bool": (
        lambda db: db.list_ai_jobs(JobFilter(limit=True)),
        ValidationError,
        "job list limit must be an integer, not bool",
    ),
    "list-jobs-limit-float": (
        lambda db: db.list_ai_jobs(JobFilter(limit=10.0)),  # type: ignore[arg-type]
        ValidationError,
        "job list limit must be an integer, not float",
    ),
    "list-jobs-state": (
        lambda db: db.list_ai_jobs(JobFilter(state="done")),  # type: ignore[arg-type]
        ValidationError,
        f"job state 'done' is not one of: {JOB_STATES}",
    ),
    "update-job-id": (
        lambda db: db.update_ai_job_state(5, JobState.RUNNING),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "update-job-state": (
        lambda db: db.update_ai_job_state(make_job(db).id, "done"),  # type: ignore[arg-type]
        ValidationError,
        f"job state 'done' is not one of: {JOB_STATES}",
    ),
    "update-job-state-not-text": (
        lambda db: db.update_ai_job_state(make_job(db).id, 1),  # type: ignore[arg-type]
        ValidationError,
        f"job state 1 is not one of: {JOB_STATES}",
    ),
    "update-job-error": (
        lambda db: db.update_ai_job_state(make_job(db).id, JobState.FAILED, error=5),  # type: ignore[arg-type]
        ValidationError,
        "error must be a string, not int",
    ),
    "update-job-missing": (
        lambda db: db.update_ai_job_state(MISSING, JobState.RUNNING),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    "outputs-job-id": (
        lambda db: db.set_ai_job_outputs(5, {}),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "outputs-not-an-object": (
        lambda db: db.set_ai_job_outputs(make_job(db).id, "x"),  # type: ignore[arg-type]
        ValidationError,
        "job outputs must be a JSON object (dict), not str",
    ),
    "outputs-missing-job": (
        lambda db: db.set_ai_job_outputs(MISSING, {}),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    "pinned-job-id": (
        lambda db: db.set_ai_job_pinned(5, True),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "pinned-int": (
        lambda db: db.set_ai_job_pinned(make_job(db).id, 1),  # type: ignore[arg-type]
        ValidationError,
        "pinned must be a bool, not int",
    ),
    "pinned-missing-job": (
        lambda db: db.set_ai_job_pinned(MISSING, True),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- workflow runs
    "create-run-job-id": (
        lambda db: db.create_workflow_run(5),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "create-run-missing-job": (
        lambda db: db.create_workflow_run(MISSING),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    "get-run-id": (
        lambda db: db.get_workflow_run(5),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "heartbeat-run-id": (
        lambda db: db.heartbeat_workflow_run(5),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "heartbeat-missing-run": (
        lambda db: db.heartbeat_workflow_run(MISSING),
        NotFound,
        f"workflow run {MISSING!r} does not exist",
    ),
    "run-status-id": (
        lambda db: db.update_workflow_status(5, WorkflowStatus.RUNNING),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "run-status": (
        lambda db: db.update_workflow_status(_run(db), "done"),  # type: ignore[arg-type]
        ValidationError,
        f"workflow status 'done' is not one of: {RUN_STATES}",
    ),
    "run-status-error": (
        lambda db: db.update_workflow_status(_run(db), WorkflowStatus.FAILED, error=5),  # type: ignore[arg-type]
        ValidationError,
        "error must be a string, not int",
    ),
    "run-status-missing": (
        lambda db: db.update_workflow_status(MISSING, WorkflowStatus.RUNNING),
        NotFound,
        f"workflow run {MISSING!r} does not exist",
    ),
    "stalled-threshold-type": (
        lambda db: db.find_stalled_workflows(60),  # type: ignore[arg-type]
        ValidationError,
        "threshold must be a timedelta",
    ),
    "stalled-threshold-range": (
        lambda db: db.find_stalled_workflows(timedelta.max),
        ValidationError,
        f"threshold {timedelta.max} is out of range",
    ),
    # ----------------------------------------------------------------- node executions
    "create-execution-run-id": (
        lambda db: db.create_node_execution(5, "n"),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "create-execution-node-id": (
        lambda db: db.create_node_execution(_run(db), " "),
        ValidationError,
        "node_id must not be empty",
    ),
    "create-execution-inputs": (
        lambda db: db.create_node_execution(_run(db), "n", inputs=[]),  # type: ignore[arg-type]
        ValidationError,
        "node inputs must be a JSON object (dict), not list",
    ),
    "create-execution-missing-run": (
        lambda db: db.create_node_execution(MISSING, "n"),
        NotFound,
        f"workflow run {MISSING!r} does not exist",
    ),
    "list-executions-run-id": (
        lambda db: db.list_node_executions(5),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "execution-status-id": (
        lambda db: db.update_node_execution_status(5, NodeStatus.RUNNING),  # type: ignore[arg-type]
        ValidationError,
        "execution_id must be a string, not int",
    ),
    "execution-status": (
        lambda db: db.update_node_execution_status(_execution(db), "done"),  # type: ignore[arg-type]
        ValidationError,
        f"node status 'done' is not one of: {NODE_STATES}",
    ),
    "execution-outputs": (
        lambda db: db.update_node_execution_status(
            _execution(db),
            NodeStatus.COMPLETED,
            outputs=[],  # type: ignore[arg-type]
        ),
        ValidationError,
        "node outputs must be a JSON object (dict), not list",
    ),
    "execution-error": (
        lambda db: db.update_node_execution_status(_execution(db), NodeStatus.FAILED, error=5),  # type: ignore[arg-type]
        ValidationError,
        "error must be a string, not int",
    ),
    "execution-missing": (
        lambda db: db.update_node_execution_status(MISSING, NodeStatus.RUNNING),
        NotFound,
        f"node execution {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- janitor
    "prune-naive-cutoff": (
        lambda db: db.prune_ai_jobs(datetime(2024, 1, 1)),
        ValidationError,
        "cutoff must be timezone-aware (got a naive datetime)",
    ),
    "prune-cutoff-type": (
        lambda db: db.prune_ai_jobs("2024-01-01"),  # type: ignore[arg-type]
        ValidationError,
        "cutoff must be a datetime, not str",
    ),
    "prune-min-versions-type": (
        lambda db: db.prune_ai_jobs(datetime.now(UTC), min_versions="1"),  # type: ignore[arg-type]
        ValidationError,
        "min_versions must be an integer, not str",
    ),
    "prune-min-versions-negative": (
        lambda db: db.prune_ai_jobs(datetime.now(UTC), min_versions=-1),
        ValidationError,
        "min_versions must be 0 or more, not -1",
    ),
    "prune-dry-run-type": (
        lambda db: db.prune_ai_jobs(datetime.now(UTC), dry_run="yes"),  # type: ignore[arg-type]
        ValidationError,
        "dry_run must be a bool, not str",
    ),
    # ----------------------------------------------------------------- search, counters
    "search-query": (
        lambda db: db.search(5),  # type: ignore[arg-type]
        ValidationError,
        "search query must be a string, not int",
    ),
    "search-workspace-id": (
        lambda db: db.search("x", workspace_id=5),  # type: ignore[arg-type]
        ValidationError,
        "workspace_id must be a string, not int",
    ),
    "search-limit-zero": (
        lambda db: db.search("x", limit=0),
        ValidationError,
        "search limit must be between 1 and 1000, not 0",
    ),
    "search-limit-bool": (
        lambda db: db.search("x", limit=True),
        ValidationError,
        "search limit must be an integer, not bool",
    ),
    "counters-workspace-id": (
        lambda db: db.get_counters(" "),
        ValidationError,
        "workspace_id must not be empty",
    ),
    "counters-missing": (
        lambda db: db.get_counters(MISSING),
        NotFound,
        f"workspace {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- values
    "text-nul": (
        lambda db: db.create_workspace("a\x00b", HUMAN),
        ValidationError,
        "workspace name contains a NUL character, which cannot be stored",
    ),
    "text-surrogate": (
        lambda db: db.create_workspace("ab\ud800", HUMAN),
        ValidationError,
        f"workspace name contains a lone surrogate (U+D800 at index 2): {NOT_UNICODE}",
    ),
    "id-too-long": (
        lambda db: db.create_workspace("w", HUMAN, id="x" * 256),
        ValidationError,
        "workspace id is longer than 255 characters",
    ),
    "sequence-str": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", sequence="1"), HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "sequence must be an integer, not str",
    ),
    "sequence-past-int64": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", sequence=2**63), HUMAN),
        ValidationError,
        f"sequence {2**63} is outside the signed 64-bit range",
    ),
    "sequence-below-int64": (
        lambda db: db.create_block(_doc(db), NewBlock("p", "t", sequence=-(2**63) - 1), HUMAN),
        ValidationError,
        f"sequence {-(2**63) - 1} is outside the signed 64-bit range",
    ),
    "json-surrogate-in-a-value": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": [{"b": "x\ud800"}]})),
        ValidationError,
        f"job inputs['a'][0]['b'] contains a lone surrogate (U+D800 at index 1): {NOT_UNICODE}",
    ),
    "json-surrogate-in-a-key": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": {"\udc80": 1}})),
        ValidationError,
        f"a key in job inputs['a'] contains a lone surrogate (U+DC80 at index 0): {NOT_UNICODE}",
    ),
    "json-too-deep": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs=nested(129))),
        ValidationError,
        "job inputs nests more than 128 levels of objects and arrays (or contains itself); "
        "flatten it to at most 128 levels",
    ),
    "json-not-serialisable": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": {1, 2}})),
        ValidationError,
        "job inputs is not JSON-serialisable: Object of type set is not JSON serializable",
    ),
    "json-no-round-trip": (
        lambda db: db.create_ai_job(NewAiJob("k", inputs={"a": (1, 2)})),
        ValidationError,
        "job inputs would not round-trip through JSON unchanged",
    ),
    "datetime-out-of-range": (
        lambda db: db.prune_ai_jobs(EARLIEST_PLUS_ONE),
        ValidationError,
        f"cutoff {EARLIEST_PLUS_ONE!r} is out of range in UTC",
    ),
    # ----------------------------------------------------------------- write guard
    "guard-not-a-context": (
        lambda db: db.create_workspace("w", "human"),  # type: ignore[arg-type]
        ValidationError,
        "ctx must be a WriteContext, not str",
    ),
    "guard-actor-id": (
        lambda db: db.create_workspace("w", WriteContext.human(5)),  # type: ignore[arg-type]
        ValidationError,
        "ctx.actor_id must be a string, not int",
    ),
    "guard-job-id": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", job_id=5, workflow_id="r")),  # type: ignore[arg-type]
        ValidationError,
        "ctx.job_id must be a string, not int",
    ),
    "guard-workflow-id": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", job_id="j", workflow_id=5)),  # type: ignore[arg-type]
        ValidationError,
        "ctx.workflow_id must be a string, not int",
    ),
    "guard-ai-names-neither": (
        lambda db: db.create_workspace("w", WriteContext.ai("m")),
        GuardError,
        f"refused an AI content write without job_id and workflow_id {SILENT_FIX}",
    ),
    "guard-ai-names-no-job": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", workflow_id="r")),
        GuardError,
        f"refused an AI content write without job_id {SILENT_FIX}",
    ),
    "guard-ai-names-a-blank-run": (
        lambda db: db.create_workspace("w", WriteContext.ai("m", job_id="j", workflow_id=" ")),
        GuardError,
        f"refused an AI content write without workflow_id {SILENT_FIX}",
    ),
    "guard-actor-kind": (
        lambda db: db.create_workspace("w", WriteContext("robot")),  # type: ignore[arg-type]
        ValidationError,
        "ctx.actor_kind 'robot' is not one of: human, ai, system",
    ),
}


@pytest.mark.parametrize(("call", "error", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refusal_says_which_parameter_and_why(
    db: Database, call: Call, error: type[StorageError], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call(db)


def test_a_final_job_state_names_both_states(db: Database) -> None:
    job = make_job(db, state=JobState.COMPLETED)
    expected = f"AI job {job.id!r} is completed, a final state; it cannot become running"
    with pytest.raises(Conflict, match=f"^{re.escape(expected)}$"):
        db.update_ai_job_state(job.id, JobState.RUNNING)
    assert db.get_ai_job(job.id) == job


def test_a_taken_workspace_name_or_id_says_which(db: Database) -> None:
    first = make_workspace(db, "taken")
    with pytest.raises(Conflict, match=r"^a workspace with name 'taken' already exists$"):
        db.create_workspace("taken", HUMAN)
    with pytest.raises(Conflict, match=f"^a workspace with id {re.escape(repr(first.id))} already"):
        db.create_workspace("free", HUMAN, id=first.id)
    assert db.list_workspaces() == [first]


def test_a_silent_edit_carries_its_code(db: Database) -> None:
    with pytest.raises(GuardError) as refused:
        db.create_workspace("w", WriteContext.ai("m", job_id="j"))
    assert refused.value.code == "HSK-403-SILENT-EDIT"
    assert db.list_workspaces() == []
