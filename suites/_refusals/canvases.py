"""The refusals of canvases and their graphs:
call -> (error class, the whole message)."""

from __future__ import annotations

from storage.api import (
    NewCanvasEdge,
    NewCanvasNode,
)
from storage.errors import NotFound, StorageError, ValidationError
from suites._factories import (
    HUMAN,
    make_workspace,
)
from suites._refusals._common import (
    MISSING,
    A,
    B,
    Call,
    canvas,
    graph,
)

REFUSALS: dict[str, tuple[Call, type[StorageError], str]] = {
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
        lambda db: db.update_canvas_graph(canvas(db), {}, [], HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "nodes must be a list of NewCanvasNode values, not dict",
    ),
    "graph-edges-not-a-list": (
        lambda db: db.update_canvas_graph(canvas(db), [], "e", HUMAN),  # type: ignore[arg-type]
        ValidationError,
        "edges must be a list of NewCanvasEdge values, not str",
    ),
    "graph-duplicate-nodes": (
        graph([A, NewCanvasNode("other", id="a")]),
        ValidationError,
        "duplicate node ids in the canvas graph",
    ),
    "graph-duplicate-edges": (
        graph([A, B], [NewCanvasEdge("a", "b", id="e"), NewCanvasEdge("b", "a", id="e")]),
        ValidationError,
        "duplicate edge ids in the canvas graph",
    ),
    "node-id": (graph([NewCanvasNode("k", id=" ")]), ValidationError, "node id must not be empty"),
    "node-kind": (graph([NewCanvasNode(" ")]), ValidationError, "node kind must not be empty"),
    "node-x-bool": (
        graph([NewCanvasNode("k", x=True)]),
        ValidationError,
        "node x must be an integer, not bool",
    ),
    "node-y-float": (
        graph([NewCanvasNode("k", y=0.5)]),  # type: ignore[arg-type]
        ValidationError,
        "node y must be an integer, not float",
    ),
    "node-data": (
        graph([NewCanvasNode("k", data=[])]),  # type: ignore[arg-type]
        ValidationError,
        "node data must be a JSON object (dict), not list",
    ),
    "edge-id": (
        graph([A, B], [NewCanvasEdge("a", "b", id=" ")]),
        ValidationError,
        "edge id must not be empty",
    ),
    "edge-source": (
        graph([A, B], [NewCanvasEdge(5, "b", id="e")]),  # type: ignore[arg-type]
        ValidationError,
        "edge source_node_id must be a string, not int",
    ),
    "edge-target": (
        graph([A, B], [NewCanvasEdge("a", 5, id="e")]),  # type: ignore[arg-type]
        ValidationError,
        "edge target_node_id must be a string, not int",
    ),
    "edge-label": (
        graph([A, B], [NewCanvasEdge("a", "b", label=5, id="e")]),  # type: ignore[arg-type]
        ValidationError,
        "edge label must be a string, not int",
    ),
    "edge-dangling": (
        graph([A, B], [NewCanvasEdge("a", "c", id="e")]),
        ValidationError,
        "edge 'e' refers to node 'c', which is not among the canvas's nodes",
    ),
}
