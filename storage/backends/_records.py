"""Rows (as both backends return them: plain `str`/`int`/`None`) to API records."""

from __future__ import annotations

from storage.api import (
    ActorKind,
    AiJob,
    Block,
    Canvas,
    CanvasEdge,
    CanvasNode,
    Document,
    JobState,
    NodeExecution,
    NodeStatus,
    Provenance,
    WorkflowRun,
    WorkflowStatus,
    Workspace,
    WriteContext,
)
from storage.backends._driver import Row
from storage.backends._values import (
    parse_json,
    parse_optional_json,
    parse_optional_timestamp,
    parse_timestamp,
)


def provenance_params(ctx: WriteContext, edit_event_id: str) -> dict[str, str | None]:
    return {
        "actor_kind": ctx.actor_kind.value,
        "actor_id": ctx.actor_id,
        "job_id": ctx.job_id,
        "workflow_id": ctx.workflow_id,
        "edit_event_id": edit_event_id,
    }


#: stored value -> member: a dict lookup, where `ActorKind(value)` goes through the enum
#: machinery for every row a list reads (an unknown value still raises `ValueError`)
_ACTOR_KINDS = {kind.value: kind for kind in ActorKind}


def _provenance(row: Row) -> Provenance:
    stored = row["actor_kind"]
    return Provenance(
        actor_kind=_ACTOR_KINDS.get(stored) or ActorKind(stored),
        actor_id=row["actor_id"],
        job_id=row["job_id"],
        workflow_id=row["workflow_id"],
        edit_event_id=row["edit_event_id"],
    )


def workspace(row: Row) -> Workspace:
    return Workspace(
        id=row["id"],
        name=row["name"],
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        provenance=_provenance(row),
    )


def document(row: Row) -> Document:
    return Document(
        id=row["id"],
        workspace_id=row["workspace_id"],
        title=row["title"],
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        provenance=_provenance(row),
    )


def block(row: Row) -> Block:
    return Block(
        id=row["id"],
        document_id=row["document_id"],
        sequence=int(row["sequence"]),
        kind=row["kind"],
        raw_content=row["raw_content"],
        display_content=row["display_content"],
        derived_content=parse_json(row["derived_content"]),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        provenance=_provenance(row),
    )


def canvas(row: Row) -> Canvas:
    return Canvas(
        id=row["id"],
        workspace_id=row["workspace_id"],
        title=row["title"],
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        provenance=_provenance(row),
    )


def canvas_node(row: Row) -> CanvasNode:
    return CanvasNode(
        id=row["id"],
        canvas_id=row["canvas_id"],
        kind=row["kind"],
        x=int(row["x"]),
        y=int(row["y"]),
        data=parse_json(row["data"]),
        provenance=_provenance(row),
    )


def canvas_edge(row: Row) -> CanvasEdge:
    return CanvasEdge(
        id=row["id"],
        canvas_id=row["canvas_id"],
        source_node_id=row["source_node_id"],
        target_node_id=row["target_node_id"],
        label=row["label"],
        provenance=_provenance(row),
    )


def ai_job(row: Row) -> AiJob:
    return AiJob(
        id=row["id"],
        workspace_id=row["workspace_id"],
        kind=row["kind"],
        state=JobState(row["state"]),
        inputs=parse_json(row["inputs"]),
        outputs=parse_optional_json(row["outputs"]),
        error=row["error"],
        pinned=bool(row["pinned"]),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
    )


def workflow_run(row: Row) -> WorkflowRun:
    return WorkflowRun(
        id=row["id"],
        job_id=row["job_id"],
        status=WorkflowStatus(row["status"]),
        error=row["error"],
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        last_heartbeat=parse_timestamp(row["last_heartbeat"]),
    )


def node_execution(row: Row) -> NodeExecution:
    return NodeExecution(
        id=row["id"],
        workflow_run_id=row["workflow_run_id"],
        node_id=row["node_id"],
        status=NodeStatus(row["status"]),
        inputs=parse_json(row["inputs"]),
        outputs=parse_optional_json(row["outputs"]),
        error=row["error"],
        started_at=parse_optional_timestamp(row["started_at"]),
        finished_at=parse_optional_timestamp(row["finished_at"]),
        created_at=parse_timestamp(row["created_at"]),
    )
