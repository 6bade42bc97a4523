"""Canvases: create, list (oldest first), graph get/update (all or nothing), delete."""

from __future__ import annotations

import pytest

from storage.api import (
    ActorKind,
    Database,
    NewCanvasEdge,
    NewCanvasNode,
    WriteContext,
    new_id,
)
from storage.errors import NotFound, ValidationError
from suites._factories import HUMAN, make_canvas, make_workspace


def test_create_and_get_empty_graph(db: Database) -> None:
    ws = make_workspace(db)
    canvas = db.create_canvas(ws.id, "Flow", HUMAN)
    assert (canvas.workspace_id, canvas.title) == (ws.id, "Flow")
    assert canvas.provenance.actor_kind is ActorKind.HUMAN
    graph = db.get_canvas(canvas.id)
    assert graph is not None
    assert (graph.canvas, graph.nodes, graph.edges) == (canvas, (), ())


def test_create_with_caller_id(db: Database) -> None:
    wanted = new_id()
    assert db.create_canvas(make_workspace(db).id, "c", HUMAN, id=wanted).id == wanted


def test_create_in_missing_workspace_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.create_canvas(new_id(), "orphan", HUMAN)


@pytest.mark.parametrize("title", ["", " \t "])
def test_blank_title_is_rejected(db: Database, title: str) -> None:
    ws = make_workspace(db)
    with pytest.raises(ValidationError):
        db.create_canvas(ws.id, title, HUMAN)
    assert db.list_canvases(ws.id) == []


def test_get_missing_returns_none(db: Database) -> None:
    assert db.get_canvas(new_id()) is None


def test_list_is_oldest_first_and_scoped(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    created = [make_canvas(db, ws, title) for title in ("zeta", "alpha", "mid")]
    make_canvas(db, other, "elsewhere")
    assert db.list_canvases(ws.id) == created


def test_update_graph_round_trip(db: Database) -> None:
    canvas = make_canvas(db, make_workspace(db))
    nodes = [
        NewCanvasNode("prompt", x=10, y=-20, data={"text": "hi", "opts": {"t": 0.5}}),
        NewCanvasNode("model", x=2**40, y=-(2**40)),
    ]
    edges = [
        NewCanvasEdge(nodes[0].id, nodes[1].id, label="feeds"),
        NewCanvasEdge(nodes[1].id, nodes[0].id),
    ]
    graph = db.update_canvas_graph(canvas.id, nodes, edges, HUMAN)
    assert graph == db.get_canvas(canvas.id)
    got_nodes = {n.id: n for n in graph.nodes}
    for want in nodes:
        node = got_nodes[want.id]
        assert (node.canvas_id, node.kind, node.x, node.y, node.data) == (
            canvas.id,
            want.kind,
            want.x,
            want.y,
            want.data,
        )
    got_edges = {(e.id, e.source_node_id, e.target_node_id, e.label) for e in graph.edges}
    assert got_edges == {(e.id, e.source_node_id, e.target_node_id, e.label) for e in edges}
    assert all(e.canvas_id == canvas.id for e in graph.edges)


def test_nodes_and_edges_are_ordered_by_id(db: Database) -> None:
    canvas = make_canvas(db, make_workspace(db))
    # Mixed case, digits and punctuation: code-point order differs from most collations.
    node_ids = ["n-b", "N-a", "n_a", "n-10", "n-9"]
    nodes = [NewCanvasNode("step", id=i) for i in node_ids]
    edges = [NewCanvasEdge("n-b", "N-a", id=i) for i in ("e-b", "E-a", "e-1")]
    graph = db.update_canvas_graph(canvas.id, nodes, edges, HUMAN)
    assert [n.id for n in graph.nodes] == sorted(node_ids)
    assert [e.id for e in graph.edges] == sorted(["e-b", "E-a", "e-1"])


def test_update_replaces_the_previous_graph(db: Database) -> None:
    canvas = make_canvas(db, make_workspace(db))
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    c = NewCanvasNode("c")
    graph = db.update_canvas_graph(canvas.id, [c], [], HUMAN)
    assert [n.id for n in graph.nodes] == [c.id]
    assert graph.edges == ()


def test_update_records_provenance_on_the_canvas(db: Database) -> None:
    canvas = make_canvas(db, make_workspace(db))
    graph = db.update_canvas_graph(
        canvas.id, [NewCanvasNode("a")], [], WriteContext.system("layout")
    )
    assert (graph.canvas.provenance.actor_kind, graph.canvas.provenance.actor_id) == (
        ActorKind.SYSTEM,
        "layout",
    )
    assert graph.canvas.provenance.edit_event_id != canvas.provenance.edit_event_id


def test_update_missing_canvas_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.update_canvas_graph(new_id(), [NewCanvasNode("a")], [], HUMAN)


def test_edge_to_unknown_node_is_rejected_and_nothing_changes(db: Database) -> None:
    canvas = make_canvas(db, make_workspace(db))
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    before = db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    c = NewCanvasNode("c")
    with pytest.raises(ValidationError):
        db.update_canvas_graph(canvas.id, [c], [NewCanvasEdge(c.id, a.id)], HUMAN)
    assert db.get_canvas(canvas.id) == before


def test_edge_from_node_of_another_canvas_is_rejected(db: Database) -> None:
    ws = make_workspace(db)
    mine, theirs = make_canvas(db, ws, "mine"), make_canvas(db, ws, "theirs")
    foreign = NewCanvasNode("x")
    db.update_canvas_graph(theirs.id, [foreign], [], HUMAN)
    local = NewCanvasNode("y")
    with pytest.raises(ValidationError):
        db.update_canvas_graph(mine.id, [local], [NewCanvasEdge(foreign.id, local.id)], HUMAN)
    graph = db.get_canvas(mine.id)
    assert graph is not None
    assert (graph.nodes, graph.edges) == ((), ())


def test_duplicate_node_ids_are_rejected_and_nothing_changes(db: Database) -> None:
    canvas = make_canvas(db, make_workspace(db))
    before = db.update_canvas_graph(canvas.id, [NewCanvasNode("keep")], [], HUMAN)
    dup = new_id()
    with pytest.raises(ValidationError):
        db.update_canvas_graph(
            canvas.id, [NewCanvasNode("a", id=dup), NewCanvasNode("b", id=dup)], [], HUMAN
        )
    assert db.get_canvas(canvas.id) == before


@pytest.mark.parametrize("kind", ["", "  "])
def test_blank_node_kind_is_rejected(db: Database, kind: str) -> None:
    canvas = make_canvas(db, make_workspace(db))
    with pytest.raises(ValidationError):
        db.update_canvas_graph(canvas.id, [NewCanvasNode(kind)], [], HUMAN)


def test_delete_removes_canvas_nodes_and_edges(db: Database) -> None:
    ws = make_workspace(db)
    keep, gone = make_canvas(db, ws, "keep"), make_canvas(db, ws, "gone")
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    db.update_canvas_graph(gone.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    db.delete_canvas(gone.id, HUMAN)
    assert db.get_canvas(gone.id) is None
    assert db.list_canvases(ws.id) == [keep]
    # the node ids are free again: the old nodes really went with their canvas
    graph = db.update_canvas_graph(keep.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    assert {n.id for n in graph.nodes} == {a.id, b.id}


def test_delete_missing_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.delete_canvas(new_id(), HUMAN)
