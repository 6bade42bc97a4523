"""Only `StorageError`s come out: lone surrogates, over-deep JSON and non-lists included.

`storage.errors` promises that a caller never sees a raw Python error. These inputs used
to escape as `UnicodeEncodeError`, `RecursionError` and `TypeError`. Every text, id, JSON
and list parameter of every API method is called here with each hostile value; each call
must raise a `ValidationError` that names the parameter, change nothing that was written,
and leave the connection usable, inside a caller's transaction and outside one.

Lone surrogates are refused rather than stored: they are not Unicode, and neither driver
can encode them (PostgreSQL text could not hold them in any form that comes back equal).
JSON nests at most `MAX_JSON_DEPTH` (128) levels; 128 levels round-trip
(`test_input_values.JSON_VALUES`).
"""

from __future__ import annotations

from typing import Any

import pytest

from storage.api import Database, NewCanvasNode
from storage.errors import ValidationError
from suites._factories import Scene, make_document, make_scene, make_workspace, nested, store_state
from suites._parameters import JSON_PARAMETERS, LIST_PARAMETERS, TEXT_PARAMETERS, Call

#: lone surrogates: high, low, and one after non-ASCII text (the slow path of the check)
SURROGATES = {"high": "x\ud800", "low": "\udfffy", "after-non-ascii": "Straße \udc80"}


def _contains_itself() -> dict[str, Any]:
    loop: dict[str, Any] = {"ok": 1}
    loop["self"] = loop
    return loop


BAD_JSON: dict[str, dict[str, Any]] = {
    "surrogate-value": {"a": "x\ud800"},
    "surrogate-key": {"k\udc00": 1},
    "surrogate-deep-in-a-list": {"a": [1, {"b": ["ok", "\ud83d"]}]},
    "2000-levels": nested(2000),
    "2000-levels-of-arrays": nested(2000, arrays=True),
    "129-levels": nested(129),
    "contains-itself": _contains_itself(),
}

NOT_LISTS: dict[str, object] = {
    "none": None,
    "int": 42,
    "object": object(),
    "text": "abc",
    "mapping": {"k": NewCanvasNode("k")},
}


#: the surrogate every text parameter gets; the others go to a few (same check, other paths)
EVERY_TEXT_PARAMETER = "high"
SOME_TEXT_PARAMETERS = ("create_workspace.name", "create_block.raw_content", "search.query")


def _cases() -> list[Any]:
    cases = [
        pytest.param(call, value, what, id=f"{name}-surrogate-{kind}")
        for name, (call, what) in TEXT_PARAMETERS.items()
        for kind, value in SURROGATES.items()
        if kind == EVERY_TEXT_PARAMETER or name in SOME_TEXT_PARAMETERS
    ]
    cases += [
        pytest.param(call, value, what, id=f"{name}-{kind}")
        for name, (call, what) in JSON_PARAMETERS.items()
        for kind, value in BAD_JSON.items()
    ]
    cases += [
        pytest.param(call, value, what, id=f"{name}-{kind}")
        for name, (call, what) in LIST_PARAMETERS.items()
        for kind, value in NOT_LISTS.items()
    ]
    return cases


CASES = _cases()
# Outside a transaction the method's own transaction ends with the error. Committing tests
# are slow (a file sync per commit on SQLite): one case of each kind of input and of method
# shows that the connection is handed back usable.
OUTSIDE_IDS = {
    "create_workspace.name-surrogate-high",
    "get_document.document_id-surrogate-high",
    "replace_blocks.raw_content-surrogate-high",
    "update_canvas_graph.edge.label-surrogate-high",
    "update_ai_job_state.error-surrogate-high",
    "search.query-surrogate-high",
    "create_block.ctx.actor_id-surrogate-high",
    "create_block.derived_content-surrogate-key",
    "set_ai_job_outputs.outputs-2000-levels",
    "update_canvas_graph.node.data-2000-levels-of-arrays",
    "replace_blocks.blocks-none",
    "update_canvas_graph.edges-int",
}
OUTSIDE = [case for case in CASES if case.id in OUTSIDE_IDS]
assert len(OUTSIDE) == len(OUTSIDE_IDS), "an id in OUTSIDE_IDS names no case"


def _refused(db: Database, scene: Scene, call: Call, value: object, what: str) -> None:
    before = store_state(db, scene)
    with pytest.raises(ValidationError) as refused:
        call(db, scene, value)
    assert what in refused.value.message
    assert store_state(db, scene) == before


def _still_usable(db: Database, scene: Scene) -> None:
    """A write and reads after the refused call work."""
    doc = make_document(db, scene.ws, title="after the error")
    assert doc in db.list_documents(scene.ws.id)
    db.ping()


@pytest.mark.parametrize(("call", "value", "what"), CASES)
def test_refused_inside_a_callers_transaction(
    db: Database, call: Call, value: object, what: str
) -> None:
    scene = make_scene(db)
    with db.transaction():
        _refused(db, scene, call, value, what)
        _still_usable(db, scene)
    assert len(db.list_documents(scene.ws.id)) == 2


@pytest.mark.parametrize(("call", "value", "what"), OUTSIDE)
def test_refused_outside_a_transaction(
    db_committing: Database, call: Call, value: object, what: str
) -> None:
    db = db_committing
    scene = make_scene(db)
    _refused(db, scene, call, value, what)
    _still_usable(db, scene)
    assert make_workspace(db) in db.list_workspaces()
