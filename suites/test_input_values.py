"""What goes in comes out: NUL refused everywhere, JSON, hostile text and caller ids.

Each test states one observable result that must be identical on every backend.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from typing import Any

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
from storage.errors import ValidationError
from suites._factories import (
    HUMAN,
    make_blocks,
    make_canvas,
    make_document,
    make_job,
    make_run,
    make_workspace,
    nested,
    unique,
)

# --------------------------------------------------------------------------- NUL characters

NUL = "nul\x00here"


def _nul_calls() -> dict[str, Callable[[Database], object]]:
    def in_doc(call: Callable[[Database, str], object]) -> Callable[[Database], object]:
        return lambda db: call(db, make_document(db).id)

    def on_block(call: Callable[[Database, str], object]) -> Callable[[Database], object]:
        return lambda db: call(db, make_blocks(db, make_document(db), ["x"])[0].id)

    def on_canvas(call: Callable[[Database, str], object]) -> Callable[[Database], object]:
        return lambda db: call(db, make_canvas(db, make_workspace(db)).id)

    def on_run(call: Callable[[Database, str], object]) -> Callable[[Database], object]:
        return lambda db: call(db, make_run(db).id)

    return {
        "workspace-name": lambda db: db.create_workspace(NUL, HUMAN),
        "workspace-id": lambda db: db.create_workspace("ok", HUMAN, id=NUL),
        "get-workspace": lambda db: db.get_workspace(NUL),
        "document-title": lambda db: db.create_document(make_workspace(db).id, NUL, HUMAN),
        "document-id": lambda db: db.create_document(make_workspace(db).id, "t", HUMAN, id=NUL),
        "get-document": lambda db: db.get_document(NUL),
        "actor-id": lambda db: db.create_document(
            make_workspace(db).id, "t", WriteContext.human(NUL)
        ),
        "block-kind": in_doc(lambda db, d: db.create_block(d, NewBlock(NUL, "t"), HUMAN)),
        "block-raw": in_doc(lambda db, d: db.create_block(d, NewBlock("p", NUL), HUMAN)),
        "block-display": in_doc(
            lambda db, d: db.create_block(d, NewBlock("p", "t", display_content=NUL), HUMAN)
        ),
        "block-id": in_doc(lambda db, d: db.create_block(d, NewBlock("p", "t", id=NUL), HUMAN)),
        "update-raw": on_block(
            lambda db, b: db.update_block(b, BlockUpdate(raw_content=NUL), HUMAN)
        ),
        "update-kind": on_block(lambda db, b: db.update_block(b, BlockUpdate(kind=NUL), HUMAN)),
        "replace-raw": in_doc(lambda db, d: db.replace_blocks(d, [NewBlock("p", NUL)], HUMAN)),
        "canvas-title": lambda db: db.create_canvas(make_workspace(db).id, NUL, HUMAN),
        "node-kind": on_canvas(
            lambda db, c: db.update_canvas_graph(c, [NewCanvasNode(NUL)], [], HUMAN)
        ),
        "node-id": on_canvas(
            lambda db, c: db.update_canvas_graph(c, [NewCanvasNode("k", id=NUL)], [], HUMAN)
        ),
        "job-kind": lambda db: db.create_ai_job(NewAiJob(NUL)),
        "job-error": lambda db: db.update_ai_job_state(make_job(db).id, JobState.FAILED, error=NUL),
        "job-filter-kind": lambda db: db.list_ai_jobs(JobFilter(kind=NUL)),
        "run-error": on_run(
            lambda db, r: db.update_workflow_status(r, WorkflowStatus.FAILED, error=NUL)
        ),
        "node-execution-node-id": on_run(lambda db, r: db.create_node_execution(r, NUL)),
        "node-execution-error": on_run(
            lambda db, r: db.update_node_execution_status(
                db.create_node_execution(r, "n").id, NodeStatus.FAILED, error=NUL
            )
        ),
        "search-query": lambda db: db.search(NUL),
    }


NUL_CALLS = _nul_calls()


@pytest.mark.parametrize("call", NUL_CALLS.values(), ids=NUL_CALLS.keys())
def test_nul_in_text_is_rejected(db: Database, call: Callable[[Database], object]) -> None:
    with pytest.raises(ValidationError):
        call(db)
    # the failed write left no row carrying the text behind
    assert all(NUL not in w.name for w in db.list_workspaces())
    assert all(j.error is None or NUL not in j.error for j in db.list_ai_jobs())


# --------------------------------------------------------------------------- JSON

JSON_VALUES: list[dict[str, Any]] = [
    {},
    {"nested": {"deeper": {"list": [1, [2, [3, {"x": None}]]], "flag": True}}},
    {"unicode": "Straße ÉMILE 日本語 😀 \u200d \u202e", "ключ": "значение"},
    {"big": 2**63 - 1, "bigger": 2**64 + 1, "neg": -(2**70), "past31": 2**31},
    {"float": 0.1, "exp": 1.5e300, "tiny": 5e-324, "zero": -0.0},
    {"quotes": 'it\'s "quoted" \\ back', "sql": "'; DROP TABLE blocks; --"},
    {"empty": "", "list": [], "obj": {}, "null": None, "false": False},
    # NUL inside JSON is stored escaped (\u0000), so unlike plain text it round-trips on both
    {"nul": "a\x00b", "key\x00": ["\x00"]},
    # the deepest JSON accepted (MAX_JSON_DEPTH levels; one more is a ValidationError)
    nested(128),
    nested(128, arrays=True),
]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_json_round_trips_everywhere(db: Database, value: dict[str, Any]) -> None:
    ws = make_workspace(db)
    block = db.create_block(
        make_document(db, ws).id, NewBlock("p", "t", derived_content=value), HUMAN
    )
    assert db.get_block(block.id).derived_content == value  # type: ignore[union-attr]
    job = db.create_ai_job(NewAiJob("k", ws.id, inputs=value))
    db.set_ai_job_outputs(job.id, value)
    stored = db.get_ai_job(job.id)
    assert stored is not None
    assert (stored.inputs, stored.outputs) == (value, value)
    canvas = make_canvas(db, ws)
    db.update_canvas_graph(canvas.id, [NewCanvasNode("k", data=value)], [], HUMAN)
    assert db.get_canvas(canvas.id).nodes[0].data == value  # type: ignore[union-attr]
    run = db.create_workflow_run(job.id)
    execution = db.create_node_execution(run.id, "n", inputs=value)
    db.update_node_execution_status(execution.id, NodeStatus.COMPLETED, outputs=value)
    (listed,) = db.list_node_executions(run.id)
    assert (listed.inputs, listed.outputs) == (value, value)


def test_json_comes_back_in_canonical_key_order(db: Database) -> None:
    # Stored as canonical text (sorted keys), so every reader sees one key order, whatever
    # order the writer used.
    job = db.create_ai_job(NewAiJob("k", inputs={"b": 1, "a": {"z": 2, "y": 3}}))
    stored = db.get_ai_job(job.id)
    assert stored is not None
    assert list(stored.inputs) == ["a", "b"]
    assert list(stored.inputs["a"]) == ["y", "z"]
    assert list(job.inputs) == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "where"),
    [
        # the bad string is reached after a plain string, a number and a null
        ({"a": {"b": "x\ud800"}, "z": "fine"}, "['a']['b']"),
        ({"a": {"b": "x\ud800"}, "z": 1}, "['a']['b']"),
        ({"a": ["x\ud800"], "m": None, "z": [1, "ok"]}, "['a'][0]"),
    ],
)
def test_every_string_of_a_json_value_is_checked(
    db: Database, value: dict[str, Any], where: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(f"job inputs{where} contains a lone")):
        db.create_ai_job(NewAiJob("k", inputs=value))
    assert db.list_ai_jobs() == []


def test_a_json_key_that_is_not_text_is_refused(db: Database) -> None:
    with pytest.raises(
        ValidationError, match=r"^job inputs would not round-trip through JSON unchanged$"
    ):
        db.create_ai_job(NewAiJob("k", inputs={1: "one"}))  # type: ignore[dict-item]
    assert db.list_ai_jobs() == []


# --------------------------------------------------------------------------- hostile text


def _random_text(length: int, alphabet: str) -> str:
    """Incompressible text: long values must not hit an index size limit on any backend."""
    rng = random.Random(length)
    return "".join(rng.choice(alphabet) for _ in range(length))


HOSTILE = {
    "quotes": 'O\'Brien said "hi" `now`',
    "sql-injection": "'; DROP TABLE workspaces; --",
    "backslashes": "C:\\path\\to\\%s_%d",
    "like-wildcards": "100% _match_ [a-z]*",
    "emoji": "😀👩‍👩‍👧‍👦🏳️‍🌈",
    "rtl-and-zero-width": "abc\u202edef\u200bghi",
    "newlines-tabs": "line1\nline2\r\n\ttabbed",
    "padded": "  padded  ",
    "long": "x" * 10_000,
    "long-unicode": "é😀" * 5_000,
    "long-random-words": _random_text(10_000, "abcdefghijklmnopqrstuvwxyzÄÉ日本😀 "),
    "long-random-word": _random_text(10_000, "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"),
    "combining": unicodedata.normalize("NFD", "Émile"),  # stored as given, not normalised
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_stored_verbatim(db: Database, text: str) -> None:
    ws = db.create_workspace(text, HUMAN)
    assert db.get_workspace(ws.id).name == text  # type: ignore[union-attr]
    doc = db.create_document(ws.id, text, WriteContext.human(text))
    stored_doc = db.get_document(doc.id)
    assert stored_doc is not None
    assert (stored_doc.title, stored_doc.provenance.actor_id) == (text, text)
    block = db.create_block(doc.id, NewBlock(text, text, display_content=text), HUMAN)
    stored = db.get_block(block.id)
    assert stored is not None
    assert (stored.kind, stored.raw_content, stored.display_content) == (text, text, text)
    canvas = db.create_canvas(ws.id, text, HUMAN)
    a, b = NewCanvasNode(text), NewCanvasNode("k")
    db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id, label=text)], HUMAN)
    graph = db.get_canvas(canvas.id)
    assert graph is not None
    assert (graph.canvas.title, graph.edges[0].label) == (text, text)
    assert {n.kind for n in graph.nodes} == {text, "k"}
    job = db.create_ai_job(NewAiJob(text, ws.id))
    failed = db.update_ai_job_state(job.id, JobState.FAILED, error=text)
    assert (failed.kind, failed.error) == (text, text)
    assert db.list_ai_jobs(JobFilter(kind=text)) == [failed]
    assert db.list_workspaces() == [db.get_workspace(ws.id)]


def test_hostile_text_is_searchable_as_words(db: Database) -> None:
    doc = make_document(db)
    block = make_blocks(db, doc, [HOSTILE["sql-injection"]])[0]
    assert [h.block_id for h in db.search("'; drop TABLE workspaces; --")] == [block.id]
    assert [h.block_id for h in db.search("DROP")] == [block.id]


def test_a_very_long_word_is_searchable(db: Database) -> None:
    word = HOSTILE["long-random-word"]
    doc = make_document(db)
    block, _ = make_blocks(db, doc, [f"blob {word} end", f"blob {word[:-1]} end"])
    assert [h.block_id for h in db.search(word.upper())] == [block.id]


# --------------------------------------------------------------------------- caller ids


def _doc(db: Database) -> str:
    return make_document(db).id


def _canvas(db: Database) -> str:
    return make_canvas(db, make_workspace(db)).id


def _graph_ids(db: Database, canvas_id: str) -> set[str]:
    graph = db.get_canvas(canvas_id)
    assert graph is not None
    return {n.id for n in graph.nodes} | {e.id for e in graph.edges}


def _node_with_id(db: Database, node_id: str) -> set[str]:
    canvas_id = _canvas(db)
    db.update_canvas_graph(canvas_id, [NewCanvasNode("k", id=node_id)], [], HUMAN)
    return _graph_ids(db, canvas_id)


def _edge_with_id(db: Database, edge_id: str) -> set[str]:
    canvas_id = _canvas(db)
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    db.update_canvas_graph(canvas_id, [a, b], [NewCanvasEdge(a.id, b.id, id=edge_id)], HUMAN)
    return _graph_ids(db, canvas_id)


def _id_round_trips() -> dict[str, Callable[[Database, str], set[str]]]:
    """Each creates a row with the given caller id and returns the ids read back."""
    return {
        "workspace": lambda db, i: {
            x.id for x in [db.get_workspace(db.create_workspace(unique("w"), HUMAN, id=i).id)] if x
        },
        "document": lambda db, i: {
            d.id
            for d in db.list_documents(
                db.create_document(make_workspace(db).id, "t", HUMAN, id=i).workspace_id
            )
        },
        "block": lambda db, i: {
            b.id
            for b in db.list_blocks(
                db.create_block(_doc(db), NewBlock("p", "t", id=i), HUMAN).document_id
            )
        },
        "replace-blocks": lambda db, i: {
            b.id for b in db.replace_blocks(_doc(db), [NewBlock("p", "t", id=i)], HUMAN)
        },
        "canvas": lambda db, i: {
            c.id
            for c in db.list_canvases(
                db.create_canvas(make_workspace(db).id, "t", HUMAN, id=i).workspace_id
            )
        },
        "canvas-node": _node_with_id,
        "canvas-edge": _edge_with_id,
        "ai-job": lambda db, i: {
            j.id for j in [db.get_ai_job(db.create_ai_job(NewAiJob("k", id=i)).id)] if j
        },
        "workflow-run": lambda db, i: {
            r.id
            for r in [db.get_workflow_run(db.create_workflow_run(make_job(db).id, id=i).id)]
            if r
        },
    }


ID_ROUND_TRIPS = _id_round_trips()


@pytest.mark.parametrize("create", ID_ROUND_TRIPS.values(), ids=ID_ROUND_TRIPS.keys())
@pytest.mark.parametrize("bad_id", ["", "   ", "x" * 256], ids=["empty", "blank", "256-chars"])
def test_bad_caller_ids_are_rejected(
    db: Database, create: Callable[[Database, str], object], bad_id: str
) -> None:
    with pytest.raises(ValidationError):
        create(db, bad_id)


@pytest.mark.parametrize("create", ID_ROUND_TRIPS.values(), ids=ID_ROUND_TRIPS.keys())
def test_caller_ids_up_to_255_characters_are_kept(
    db: Database, create: Callable[[Database, str], set[str]]
) -> None:
    wanted = "é" * 200 + "-" + "Z" * 54  # 255 characters, more bytes than characters
    assert len(wanted) == 255
    assert wanted in create(db, wanted)
