"""The end-to-end story: one user session touching every part of the API in order."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
    WorkspaceCounters,
    WriteContext,
)
from storage.errors import GuardError, NotFound
from suites._factories import HUMAN, SILENT_AI


def test_story(db: Database) -> None:
    # ping -> workspace -> document
    db.ping()
    ws = db.create_workspace("Research", HUMAN)
    assert db.list_workspaces() == [ws]
    doc = db.create_document(ws.id, "Findings", HUMAN)

    # blocks: create, update, replace, delete
    intro = db.create_block(doc.id, NewBlock("heading", "Introduction"), HUMAN)
    body = db.create_block(doc.id, NewBlock("paragraph", "Draft about Straße"), HUMAN)
    assert [b.id for b in db.list_blocks(doc.id)] == [intro.id, body.id]
    body = db.update_block(body.id, BlockUpdate(raw_content="Final text about Straße"), HUMAN)
    assert [h.block_id for h in db.search("STRASSE final")] == [body.id]
    replaced = db.replace_blocks(
        doc.id,
        [NewBlock("heading", "Intro"), NewBlock("paragraph", "Body"), NewBlock("note", "Tmp")],
        HUMAN,
    )
    db.delete_block(replaced[2].id, HUMAN)
    assert [b.raw_content for b in db.list_blocks(doc.id)] == ["Intro", "Body"]
    assert db.search("straße") == []

    # canvas graph
    canvas = db.create_canvas(ws.id, "Pipeline", HUMAN)
    source, model = NewCanvasNode("source", x=0, y=0), NewCanvasNode("model", x=200, y=0)
    graph = db.update_canvas_graph(
        canvas.id, [source, model], [NewCanvasEdge(source.id, model.id, label="text")], HUMAN
    )
    assert len(graph.nodes) == 2
    assert len(graph.edges) == 1

    # AI job with status and outputs; an AI edit under that job is allowed and recorded
    job = db.create_ai_job(NewAiJob("summarize", ws.id, inputs={"document": doc.id}))
    assert job.state is JobState.QUEUED
    job = db.update_ai_job_state(job.id, JobState.RUNNING)
    ai_run = db.create_workflow_run(job.id)
    ai = WriteContext.ai("model-x", job_id=job.id, workflow_id=ai_run.id)
    summary = db.create_block(doc.id, NewBlock("summary", "Short summary"), ai)
    prov = summary.provenance
    assert (prov.actor_kind, prov.job_id, prov.workflow_id) == (ActorKind.AI, job.id, ai_run.id)
    db.update_workflow_status(ai_run.id, WorkflowStatus.COMPLETED)
    job = db.set_ai_job_outputs(job.id, {"block": summary.id})
    job = db.update_ai_job_state(job.id, JobState.COMPLETED)
    assert db.list_ai_jobs(JobFilter(state=JobState.COMPLETED)) == [job]

    # a workflow run that fails copies its error to its job
    wf_job = db.create_ai_job(NewAiJob("pipeline", ws.id))
    run = db.create_workflow_run(wf_job.id)
    step = db.create_node_execution(run.id, model.id, inputs={"text": "Body"})
    db.update_workflow_status(run.id, WorkflowStatus.RUNNING)
    db.update_node_execution_status(step.id, NodeStatus.RUNNING)
    db.heartbeat_workflow_run(run.id)
    db.update_node_execution_status(step.id, NodeStatus.FAILED, error="rate limited")
    run = db.update_workflow_status(run.id, WorkflowStatus.FAILED, error="rate limited")
    failed_job = db.get_ai_job(wf_job.id)
    assert failed_job is not None
    assert (failed_job.state, failed_job.error) == (JobState.FAILED, "rate limited")
    assert db.find_stalled_workflows(timedelta(0)) == []  # a failed run is not stalled

    # the guard refuses a silent AI edit and nothing changes
    before = db.list_blocks(doc.id)
    with pytest.raises(GuardError) as refused:
        db.update_block(before[0].id, BlockUpdate(raw_content="sneaky"), SILENT_AI)
    assert refused.value.code == "HSK-403-SILENT-EDIT"
    assert db.list_blocks(doc.id) == before

    assert db.get_counters(ws.id) == WorkspaceCounters(ws.id, 1, 3, 1, 2)

    # deletes cascade
    db.delete_document(doc.id, HUMAN)
    assert db.get_block(summary.id) is None
    assert db.get_counters(ws.id) == WorkspaceCounters(ws.id, 0, 0, 1, 2)
    db.delete_workspace(ws.id, HUMAN)
    assert db.get_canvas(canvas.id) is None
    assert db.get_ai_job(job.id) is None
    assert db.get_workflow_run(run.id) is None
    assert db.list_node_executions(run.id) == []
    assert db.list_workspaces() == []
    with pytest.raises(NotFound):
        db.get_counters(ws.id)
