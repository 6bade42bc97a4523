"""The differential suite's state machine, part 1: its state, how one call runs on every
backend and is checked against the model, the starting scene, and transactions (the rules
of the API's calls are in _content_rules.py and _job_rules.py; the tests in
test_differential.py).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, tzinfo
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from storage.api import (
    Database,
    NewBlock,
    Transaction,
    WriteContext,
)
from suites import _model
from suites import _strategies as s
from suites._differential import Answer, Difference, Failed, Rec, Sides, Symbols

MAX_DEPTH = 3  # nested transaction levels the machine opens


class Boom(Exception):
    """Raised into a transaction level to roll it back by an exception."""


def _ctx(side: Symbols, ctx: WriteContext) -> WriteContext:
    """The context with the ids it names resolved for this backend."""
    return dataclasses.replace(
        ctx,
        job_id=None if ctx.job_id is None else side.resolve(ctx.job_id),
        workflow_id=None if ctx.workflow_id is None else side.resolve(ctx.workflow_id),
    )


def _id(side: Symbols, key: str | None) -> str | None:
    return None if key is None else side.resolve(key)


def _provenance(rec: Rec) -> tuple[Any, ...]:
    p = rec["provenance"]
    return (p["actor_kind"], p["actor_id"], p["job_id"], p["workflow_id"])


def _project(value: Any) -> Any:
    """A record as the model knows it."""
    if isinstance(value, list | tuple):
        return [_project(v) for v in value]
    if isinstance(value, Rec) and value.type == "Workspace":
        return ("ws", value["id"], value["name"], _provenance(value))
    if isinstance(value, Rec) and value.type == "Document":
        return ("doc", value["id"], value["workspace_id"], value["title"], _provenance(value))
    if isinstance(value, Rec) and value.type == "Block":
        return (
            "block",
            value["id"],
            value["document_id"],
            value["sequence"],
            value["kind"],
            value["raw_content"],
            value["display_content"],
            value["derived_content"],
            _provenance(value),
        )
    if isinstance(value, _model.Workspace):
        return ("ws", value.id, value.name, value.provenance)
    if isinstance(value, _model.Document):
        return ("doc", value.id, value.workspace_id, value.title, value.provenance)
    if isinstance(value, _model.Block):
        return (
            "block",
            value.id,
            value.document_id,
            value.sequence,
            value.kind,
            value.raw_content,
            value.display_content,
            value.derived_content,
            value.provenance,
        )
    return value


Time = tuple[str, Any]  # ("at", datetime) or ("near", (anchor index, nudge, tz))


class MachineBase(RuleBasedStateMachine):
    """The state and helpers every rule uses; each example starts from empty stores."""

    #: backend name -> committing handle; set by the test before the machine runs
    handles: Mapping[str, Database] = {}
    #: True: every call commits (the stores are emptied at the start of each example)
    committing = False
    #: how many examples ran, and how many calls each backend answered (in this process)
    examples = 0
    calls = 0
    outcomes: ClassVar[Counter[tuple[str, str]]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        MachineBase.examples += 1
        # Each example runs in a transaction of its own, rolled back at its end (teardown):
        # the next one starts from the empty stores again, and nothing is ever committed
        # (a commit waits for the disk: thousands of examples would take minutes more).
        # The committing variant empties the stores instead: each call outside the
        # machine's transactions is a transaction of its own, as in production.
        self.outer = [] if self.committing else [db.transaction() for db in self.handles.values()]
        for manager in self.outer:
            manager.__enter__().set_rollback()
        if self.committing:
            for db in self.handles.values():
                db.reset_data()
        self.sides = Sides(self.handles)
        self.model = _model.Model()
        self.levels: list[dict[str, tuple[AbstractContextManager[Transaction], Transaction]]] = []
        self.workspaces: list[str] = []
        self.documents: list[str] = []
        self.blocks: list[str] = []
        self.canvases: list[str] = []
        self.nodes: list[str] = []
        self.jobs: list[str] = []
        self.runs: list[str] = []
        self.executions: list[str] = []
        #: per backend, the created_at of each job: time arguments are placed near them
        self.anchors: list[dict[str, datetime]] = []

    # ----------------------------------------------------------------------- helpers
    def call(
        self,
        what: str,
        call: Callable[[Database, Symbols], Any],
        *,
        fresh: Callable[[Any], str | None] | None = None,
    ) -> Answer:
        answer = self.sides.call(what, call, fresh=fresh)
        MachineBase.calls += 1
        MachineBase.outcomes[(what, "ok" if answer.ok else answer.value.error)] += 1
        return answer

    def expect(self, what: str, answer: Answer, predict: Callable[[], Any]) -> Any:
        """Check the backends' common answer against the model's prediction."""
        try:
            expected: Any = predict()
        except _model.Refused as refused:
            expected = refused.kind.__name__
        got = answer.value.error if isinstance(answer.value, Failed) else answer.value
        if _project(got) != _project(expected):
            raise Difference(
                f"the backends agree on {what}, but the model does not:\n"
                f"  backends: {_project(got)!r}\n  model:    {_project(expected)!r}"
            )
        return expected

    def key(self, data: st.DataObject, pool: list[str]) -> str:
        """A key of a row the machine made (maybe gone since), or an id that names nothing."""
        if pool and data.draw(st.integers(0, 5)) > 0:
            return data.draw(st.sampled_from(pool))
        return data.draw(s.missing_id)

    def ctx(self, data: st.DataObject) -> WriteContext:
        ids = st.sampled_from(self.jobs + self.runs) if self.jobs else st.uuids().map(str)
        return data.draw(s.write_context(ids))

    def time(self, data: st.DataObject) -> Time:
        if self.anchors and data.draw(st.booleans()):
            index = data.draw(st.integers(0, len(self.anchors) - 1))
            return ("near", (index, data.draw(s.nudge), data.draw(s.offset)))
        return ("at", data.draw(s.absolute_time))

    def at(self, side: Symbols, when: Time | None) -> datetime | None:
        if when is None:
            return None
        kind, value = when
        if kind == "at":
            assert isinstance(value, datetime)
            return value
        index, nudge, zone = value
        assert isinstance(nudge, timedelta)
        assert isinstance(zone, tzinfo)
        return (self.anchors[index][side.backend] + nudge).astimezone(zone)

    def good(self, data: st.DataObject) -> bool:
        """Whether the next compound input (a block, a graph) is made of valid values only
        (mostly; else any value may be refused): with a value refused one time in ten per
        field, few blocks of four or graphs of eight rows would be valid."""
        return data.draw(st.integers(0, 9)) < 8

    def new_block(self, data: st.DataObject, good: bool) -> NewBlock:
        text, name = (s.valid_text, s.valid_name) if good else (s.text(), s.name)
        return NewBlock(
            kind=data.draw(name),
            raw_content=data.draw(text),
            display_content=data.draw(st.one_of(st.none(), text)),
            derived_content=data.draw(
                st.one_of(st.none(), s.valid_json if good else s.json_object)
            ),
            sequence=data.draw(s.valid_sequence if good else s.sequence),
            id=data.draw(
                st.one_of(
                    s.valid_id if good else s.literal_id, st.sampled_from(self.blocks or ["b"])
                )
            ),
        )

    @initialize(data=st.data())
    def scene(self, data: st.DataObject) -> None:
        """A few rows of each kind to start from (each made by a random call: some fail)."""
        for make, times in (
            (self.create_workspace, 2),
            (self.create_document, 3),
            (self.create_block, 3),
            (self.create_canvas, 1),
            (self.update_canvas_graph, 1),
            (self.create_ai_job, 2),
            (self.create_workflow_run, 1),
            (self.create_node_execution, 1),
        ):
            for _ in range(times):
                make(data)

    # ----------------------------------------------------------------------- transactions
    @precondition(lambda self: len(self.levels) < MAX_DEPTH)
    @rule()
    def begin(self) -> None:
        level = {}
        for name, db in self.handles.items():
            manager = db.transaction()
            level[name] = (manager, manager.__enter__())
        self.levels.append(level)
        self.model.begin()

    @precondition(lambda self: bool(self.levels))
    @rule(how=st.sampled_from(("keep", "set_rollback", "raise")))
    def end(self, how: str) -> None:
        self._end(how)

    def _end(self, how: str) -> None:
        level = self.levels.pop()
        for manager, tx in level.values():
            if how == "raise":
                assert manager.__exit__(Boom, Boom(), None) is False
                continue
            if how == "set_rollback":
                tx.set_rollback()
            manager.__exit__(None, None, None)
        if how == "keep":
            self.model.keep()
        else:
            self.model.roll_back()

    def teardown(self) -> None:
        while self.levels:
            self._end("set_rollback")
        for manager in self.outer:
            manager.__exit__(None, None, None)
