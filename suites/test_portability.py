"""Edges where SQLite and PostgreSQL differ natively; the API must hide every difference.

Each test states one observable result that must be identical on every backend.
"""

from __future__ import annotations

import unicodedata
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
    new_id,
)
from storage.errors import NotFound, ValidationError
from suites._factories import (
    HUMAN,
    INT64_MAX,
    INT64_MIN,
    make_blocks,
    make_canvas,
    make_document,
    make_job,
    make_run,
    make_workspace,
)

IST = timezone(timedelta(hours=5, minutes=30))

# --------------------------------------------------------------------------- search case


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("Straße", "STRASSE"),
        ("STRASSE", "straße"),
        ("Émile", "ÉMILE"),
        ("ÉMILE", "émile"),
        ("Émile", unicodedata.normalize("NFD", "Émile")),
        (unicodedata.normalize("NFD", "ÉMILE"), "émile"),
        ("Σίσυφος", "ΣΊΣΥΦΟΣ"),
        ("\u01c5emal", "\u01c4EMAL"),  # titlecase and uppercase DŽ digraph
        ("MiXeD", "mixed"),
    ],
)
def test_search_is_case_insensitive_beyond_ascii(db: Database, stored: str, query: str) -> None:
    block = make_blocks(db, make_document(db), [f"about {stored} today"])[0]
    assert [h.block_id for h in db.search(query)] == [block.id]


@pytest.mark.parametrize(
    ("query", "matching"),
    [
        ("a_c", {"a_c"}),  # `_` is a LIKE wildcard but a word character here
        ("100%", {"100%", "100"}),  # `%` is a LIKE wildcard but not part of a word
        ("fox", {"fox"}),  # whole words only: no substring matches
        ("ÄRGER", {"ärger"}),
    ],
)
def test_search_is_by_whole_word_not_like(db: Database, query: str, matching: set[str]) -> None:
    texts = [
        "a_c",
        "abc",
        "aXc",
        "100%",
        "100",
        "1000",
        "fox",
        "foxes",
        "firefox",
        "ärger",
        "arger",
    ]
    doc = make_document(db)
    blocks = make_blocks(db, doc, texts)
    expected = sorted(b.id for b in blocks if b.raw_content in matching)
    assert [h.block_id for h in db.search(query)] == expected


# --------------------------------------------------------------------------- ordering


def test_never_started_node_executions_come_last(db: Database) -> None:
    run = make_run(db)
    e1, e2, e3, e4, e5 = (db.create_node_execution(run.id, f"n{i}") for i in range(5))
    db.update_node_execution_status(e3.id, NodeStatus.RUNNING)
    db.update_node_execution_status(e1.id, NodeStatus.RUNNING)
    db.update_node_execution_status(e1.id, NodeStatus.COMPLETED)
    db.update_node_execution_status(e4.id, NodeStatus.SKIPPED)  # finished, never started
    listed = db.list_node_executions(run.id)
    # started ones by started_at, then the never-started ones by created_at
    assert [e.id for e in listed] == [e3.id, e1.id, e2.id, e4.id, e5.id]
    assert [e.started_at is None for e in listed] == [False, False, True, True, True]


def test_document_titles_sort_by_code_point(db: Database) -> None:
    ws = make_workspace(db)
    titles = [
        "éclair",
        "Ärger",
        "apple",
        "Zebra",
        "Émile",
        "zebra",
        "日本",
        "😀 party",
        "a",
        "ab",
        "Apple",
    ]
    for title in titles:
        db.create_document(ws.id, title, HUMAN)
    listed = [d.title for d in db.list_documents(ws.id)]
    assert listed == sorted(titles)
    assert listed[:4] == ["Apple", "Zebra", "a", "ab"]
    assert listed.index("Zebra") < listed.index("apple") < listed.index("Ärger")
    assert listed.index("Ärger") < listed.index("éclair")


# --------------------------------------------------------------------------- integers

IN_RANGE = [2**31 - 1, 2**31, -(2**31) - 1, 2**32 + 7, 2**53 + 1, INT64_MAX, INT64_MIN]
OUT_OF_RANGE = [INT64_MAX + 1, INT64_MIN - 1, 2**100]


@pytest.mark.parametrize("value", IN_RANGE)
def test_block_sequence_keeps_64_bit_values(db: Database, value: int) -> None:
    doc = make_document(db)
    block = db.create_block(doc.id, NewBlock("p", "x", sequence=value), HUMAN)
    assert db.get_block(block.id).sequence == value  # type: ignore[union-attr]
    neighbour = value - 1 if value > INT64_MIN else value + 1
    assert db.update_block(block.id, BlockUpdate(sequence=neighbour), HUMAN).sequence == neighbour
    db.create_block(doc.id, NewBlock("p", "y", sequence=value), HUMAN)
    assert [b.sequence for b in db.list_blocks(doc.id)] == sorted([value, neighbour])


@pytest.mark.parametrize("value", IN_RANGE)
def test_canvas_positions_keep_64_bit_values(db: Database, value: int) -> None:
    canvas = make_canvas(db, make_workspace(db))
    db.update_canvas_graph(canvas.id, [NewCanvasNode("k", x=value, y=-value - 1)], [], HUMAN)
    graph = db.get_canvas(canvas.id)
    assert graph is not None
    assert (graph.nodes[0].x, graph.nodes[0].y) == (value, -value - 1)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_integers_past_64_bits_are_rejected(db: Database, value: int) -> None:
    doc = make_document(db)
    block = make_blocks(db, doc, ["x"])[0]
    with pytest.raises(ValidationError):
        db.create_block(doc.id, NewBlock("p", "x", sequence=value), HUMAN)
    with pytest.raises(ValidationError):
        db.update_block(block.id, BlockUpdate(sequence=value), HUMAN)
    canvas = make_canvas(db, make_workspace(db))
    with pytest.raises(ValidationError):
        db.update_canvas_graph(canvas.id, [NewCanvasNode("k", x=value)], [], HUMAN)
    assert db.list_blocks(doc.id) == [block]


def test_next_sequence_after_a_value_past_2_31(db: Database) -> None:
    doc = make_document(db)
    db.create_block(doc.id, NewBlock("p", "x", sequence=2**40), HUMAN)
    assert db.create_block(doc.id, NewBlock("p", "y"), HUMAN).sequence == 2**40 + 1


# --------------------------------------------------------------------------- timestamps


def _assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.utcoffset() == timedelta(0)


def test_returned_timestamps_are_utc_and_exact(db: Database) -> None:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    block = make_blocks(db, doc, ["t"])[0]
    job = make_job(db, ws)
    run = db.create_workflow_run(job.id)
    execution = db.update_node_execution_status(
        db.create_node_execution(run.id, "n").id, NodeStatus.RUNNING
    )
    stamps: list[datetime | None] = [ws.created_at, doc.updated_at, block.created_at]
    stamps.append(job.created_at)
    stamps += [run.last_heartbeat, execution.started_at, execution.created_at]
    for value in stamps:
        _assert_utc(value)
    # what comes back from a read is exactly what the write returned, microseconds included
    assert db.get_workspace(ws.id) == ws
    assert db.get_document(doc.id) == doc
    assert db.get_block(block.id) == block
    assert db.get_ai_job(job.id) == job
    assert db.get_workflow_run(run.id) == run
    assert db.list_node_executions(run.id) == [execution]


@pytest.mark.parametrize(
    "zone", [IST, timezone(timedelta(hours=-8)), timezone(timedelta(hours=14)), UTC]
)
def test_aware_filter_bounds_compare_as_instants(db: Database, zone: timezone) -> None:
    j1, j2, j3 = (make_job(db) for _ in range(3))
    local = j2.created_at.astimezone(zone)
    assert local == j2.created_at
    assert db.list_ai_jobs(JobFilter(created_from=local)) == [j3, j2]
    assert db.list_ai_jobs(JobFilter(created_to=local)) == [j1]
    one_micro = timedelta(microseconds=1)
    assert db.list_ai_jobs(JobFilter(created_from=local + one_micro)) == [j3]
    assert db.list_ai_jobs(JobFilter(created_to=local + one_micro)) == [j2, j1]


def test_timestamp_input_in_another_zone_round_trips(db: Database) -> None:
    job = make_job(db, state=JobState.COMPLETED)
    cutoff = datetime(2031, 3, 4, 5, 6, 7, 891011, tzinfo=IST)
    report = db.prune_ai_jobs(cutoff, min_versions=0, dry_run=True)
    assert report.cutoff == cutoff
    assert report.deleted_job_ids == (job.id,)


NAIVE = datetime(2030, 1, 1, 12, 0)  # no tzinfo on purpose


@pytest.mark.parametrize(
    "naive_filter",
    [JobFilter(created_from=NAIVE), JobFilter(created_to=NAIVE)],
    ids=["created_from", "created_to"],
)
def test_naive_timestamps_are_rejected(db: Database, naive_filter: JobFilter) -> None:
    with pytest.raises(ValidationError):
        db.list_ai_jobs(naive_filter)


# --------------------------------------------------------------------------- foreign keys

ORPHANS: dict[str, Callable[[Database], object]] = {
    "document": lambda db: db.create_document(new_id(), "t", HUMAN),
    "block": lambda db: db.create_block(new_id(), NewBlock("p", "t"), HUMAN),
    "replace-blocks": lambda db: db.replace_blocks(new_id(), [NewBlock("p", "t")], HUMAN),
    "canvas": lambda db: db.create_canvas(new_id(), "t", HUMAN),
    "canvas-graph": lambda db: db.update_canvas_graph(new_id(), [], [], HUMAN),
    "ai-job": lambda db: db.create_ai_job(NewAiJob("k", workspace_id=new_id())),
    "workflow-run": lambda db: db.create_workflow_run(new_id()),
    "node-execution": lambda db: db.create_node_execution(new_id(), "n"),
}


@pytest.mark.parametrize("create", ORPHANS.values(), ids=ORPHANS.keys())
def test_children_of_missing_parents_are_refused(
    db: Database, create: Callable[[Database], object]
) -> None:
    with pytest.raises(NotFound):
        create(db)
    assert db.list_workspaces() == []
    assert db.list_ai_jobs() == []


def test_deleting_a_workspace_cascades_to_everything(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    doc = make_document(db, ws)
    blocks = make_blocks(db, doc, ["cascade me"])
    canvas = make_canvas(db, ws)
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    job = make_job(db, ws)
    run = db.create_workflow_run(job.id)
    db.create_node_execution(run.id, "n")
    survivor = make_blocks(db, make_document(db, other), ["cascade me"])[0]
    other_job = make_job(db, other)

    db.delete_workspace(ws.id, HUMAN)

    assert db.get_document(doc.id) is None
    assert db.get_block(blocks[0].id) is None
    assert db.get_canvas(canvas.id) is None
    assert db.get_ai_job(job.id) is None
    assert db.get_workflow_run(run.id) is None
    assert db.list_node_executions(run.id) == []
    assert [h.block_id for h in db.search("cascade")] == [survivor.id]
    assert db.list_ai_jobs() == [other_job]
    with pytest.raises(NotFound):
        db.get_counters(ws.id)
    # the canvas's node ids are free again: the nodes went with the canvas
    again = make_canvas(db, other)
    db.update_canvas_graph(again.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
