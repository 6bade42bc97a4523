"""The differential suite: random sequences of API calls, run on SQLite and PostgreSQL side
by side, must give the same records in the same order, or the same typed error.

A hypothesis `RuleBasedStateMachine` drives the whole `Database` API: workspaces,
documents, blocks (`replace_blocks` too), canvases and their graphs, AI jobs and their
states, workflow runs, node executions, search, counters, `prune_ai_jobs`,
`rebuild_indexes`, and transactions with nested savepoints kept or rolled back. Every step
runs on every selected backend (suites/_differential.py compares the answers); workspace,
document and block calls are checked against an in-memory model too (suites/_model.py).

Each example runs in one transaction per backend, rolled back at its end, so every
example starts from the empty stores; the machine's own transactions are savepoints in it.
The test needs two backends: with one, the harness deselects it (`dualstore_handles`).
The example budget is a hypothesis profile (suites/_profiles.py): small in ordinary
runs, large in `nox -s fuzz`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, tzinfo
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

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
    Transaction,
    WorkflowStatus,
    WriteContext,
)
from suites import _model, _profiles
from suites import _strategies as s
from suites._differential import Answer, Difference, Failed, Rec, Sides, Symbols

_profiles.register()  # the example budget: dualstore-ci unless the run chose a profile
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


class DifferentialMachine(RuleBasedStateMachine):
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
        DifferentialMachine.examples += 1
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
        DifferentialMachine.calls += 1
        DifferentialMachine.outcomes[(what, "ok" if answer.ok else answer.value.error)] += 1
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

    # ----------------------------------------------------------------------- workspaces
    @rule(data=st.data())
    def create_workspace(self, data: st.DataObject) -> None:
        name = data.draw(s.name)
        ctx = self.ctx(data)
        given = data.draw(
            st.one_of(st.none(), s.literal_id, st.sampled_from(self.workspaces or ["w"]))
        )
        answer = self.call(
            "create_workspace",
            lambda db, side: db.create_workspace(name, _ctx(side, ctx), id=_id(side, given)),
            fresh=lambda w: w.id if given is None else None,
        )
        predicted = self.expect(
            "create_workspace", answer, lambda: self._model_workspace(name, ctx, given, answer)
        )
        if answer.ok:
            self.model.add_workspace(predicted)
            self.workspaces.append(answer.value["id"])

    def _model_workspace(
        self, name: str, ctx: WriteContext, given: str | None, answer: Answer
    ) -> _model.Workspace:
        workspace = self.model.create_workspace(name, ctx, given)
        if given is None and answer.ok:
            workspace.id = answer.value["id"]
        return workspace

    @rule()
    def list_workspaces(self) -> None:
        answer = self.call("list_workspaces", lambda db, side: db.list_workspaces())
        self.expect("list_workspaces", answer, self.model.list_workspaces)

    @rule(data=st.data())
    def get_workspace(self, data: st.DataObject) -> None:
        key = self.key(data, self.workspaces)
        answer = self.call("get_workspace", lambda db, side: db.get_workspace(side.resolve(key)))
        self.expect("get_workspace", answer, lambda: self.model.get_workspace(key))

    @rule(data=st.data())
    def delete_workspace(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.workspaces), self.ctx(data)
        answer = self.call(
            "delete_workspace",
            lambda db, side: db.delete_workspace(side.resolve(key), _ctx(side, ctx)),
        )
        self.expect("delete_workspace", answer, lambda: self.model.delete_workspace(key, ctx))

    # ----------------------------------------------------------------------- documents
    @rule(data=st.data())
    def create_document(self, data: st.DataObject) -> None:
        ws, title, ctx = self.key(data, self.workspaces), data.draw(s.name), self.ctx(data)
        given = data.draw(st.one_of(s.literal_id, st.sampled_from(self.documents or ["d"])))
        answer = self.call(
            "create_document",
            lambda db, side: db.create_document(
                side.resolve(ws), title, _ctx(side, ctx), id=side.resolve(given)
            ),
        )
        self.expect(
            "create_document", answer, lambda: self.model.create_document(ws, title, ctx, given)
        )
        if answer.ok:
            self.documents.append(given)

    @rule(data=st.data())
    def create_document_without_id(self, data: st.DataObject) -> None:
        """The store names the document (a title of its own: ties are ordered by id)."""
        ws, ctx = self.key(data, self.workspaces), self.ctx(data)
        title = f"untitled {len(self.documents)}"
        answer = self.call(
            "create_document",
            lambda db, side: db.create_document(side.resolve(ws), title, _ctx(side, ctx)),
            fresh=lambda d: d.id,
        )
        if answer.ok:
            self.expect(
                "create_document",
                answer,
                lambda: self.model.create_document(ws, title, ctx, answer.value["id"]),
            )
            self.documents.append(answer.value["id"])
        else:
            self.expect(
                "create_document", answer, lambda: self.model.create_document(ws, title, ctx, "x")
            )

    @rule(data=st.data())
    def list_documents(self, data: st.DataObject) -> None:
        ws = self.key(data, self.workspaces)
        answer = self.call("list_documents", lambda db, side: db.list_documents(side.resolve(ws)))
        self.expect("list_documents", answer, lambda: self.model.list_documents(ws))

    @rule(data=st.data())
    def get_document(self, data: st.DataObject) -> None:
        key = self.key(data, self.documents)
        answer = self.call("get_document", lambda db, side: db.get_document(side.resolve(key)))
        self.expect("get_document", answer, lambda: self.model.get_document(key))

    @rule(data=st.data())
    def delete_document(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.documents), self.ctx(data)
        answer = self.call(
            "delete_document",
            lambda db, side: db.delete_document(side.resolve(key), _ctx(side, ctx)),
        )
        self.expect("delete_document", answer, lambda: self.model.delete_document(key, ctx))

    # ----------------------------------------------------------------------- blocks
    @rule(data=st.data())
    def create_block(self, data: st.DataObject) -> None:
        doc, ctx = self.key(data, self.documents), self.ctx(data)
        block = self.new_block(data, self.good(data))
        answer = self.call(
            "create_block",
            lambda db, side: db.create_block(side.resolve(doc), block, _ctx(side, ctx)),
        )
        self.expect("create_block", answer, lambda: self.model.create_block(doc, block, ctx))
        if answer.ok:
            self.blocks.append(block.id)

    @rule(data=st.data())
    def update_block(self, data: st.DataObject) -> None:
        key, ctx, good = self.key(data, self.blocks), self.ctx(data), self.good(data)
        text, name = (s.valid_text, s.valid_name) if good else (s.text(), s.name)
        maybe = st.none()
        update = BlockUpdate(
            kind=data.draw(st.one_of(maybe, name)),
            raw_content=data.draw(st.one_of(maybe, text)),
            display_content=data.draw(st.one_of(maybe, text)),
            derived_content=data.draw(st.one_of(maybe, s.valid_json if good else s.json_object)),
            sequence=data.draw(st.one_of(maybe, s.valid_sequence if good else s.sequence)),
        )
        answer = self.call(
            "update_block",
            lambda db, side: db.update_block(side.resolve(key), update, _ctx(side, ctx)),
        )
        self.expect("update_block", answer, lambda: self.model.update_block(key, update, ctx))

    @rule(data=st.data())
    def delete_block(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.blocks), self.ctx(data)
        answer = self.call(
            "delete_block", lambda db, side: db.delete_block(side.resolve(key), _ctx(side, ctx))
        )
        self.expect("delete_block", answer, lambda: self.model.delete_block(key, ctx))

    @rule(data=st.data())
    def replace_blocks(self, data: st.DataObject) -> None:
        doc, ctx = self.key(data, self.documents), self.ctx(data)
        good = self.good(data)
        blocks = [self.new_block(data, good) for _ in range(data.draw(st.integers(0, 4)))]
        answer = self.call(
            "replace_blocks",
            lambda db, side: db.replace_blocks(side.resolve(doc), blocks, _ctx(side, ctx)),
        )
        self.expect("replace_blocks", answer, lambda: self.model.replace_blocks(doc, blocks, ctx))
        if answer.ok:
            self.blocks.extend(b.id for b in blocks)

    @rule(data=st.data())
    def list_blocks(self, data: st.DataObject) -> None:
        doc = self.key(data, self.documents)
        answer = self.call("list_blocks", lambda db, side: db.list_blocks(side.resolve(doc)))
        self.expect("list_blocks", answer, lambda: self.model.list_blocks(doc))

    @rule(data=st.data())
    def get_block(self, data: st.DataObject) -> None:
        key = self.key(data, self.blocks)
        answer = self.call("get_block", lambda db, side: db.get_block(side.resolve(key)))
        self.expect("get_block", answer, lambda: self.model.get_block(key))

    # ----------------------------------------------------------------------- canvases
    @rule(data=st.data())
    def create_canvas(self, data: st.DataObject) -> None:
        ws, title, ctx = self.key(data, self.workspaces), data.draw(s.name), self.ctx(data)
        given = data.draw(
            st.one_of(st.none(), s.literal_id, st.sampled_from(self.canvases or ["c"]))
        )
        answer = self.call(
            "create_canvas",
            lambda db, side: db.create_canvas(
                side.resolve(ws), title, _ctx(side, ctx), id=_id(side, given)
            ),
            fresh=lambda c: c.id if given is None else None,
        )
        if answer.ok:
            self.canvases.append(answer.value["id"])

    @rule(data=st.data())
    def list_canvases(self, data: st.DataObject) -> None:
        ws = self.key(data, self.workspaces)
        self.call("list_canvases", lambda db, side: db.list_canvases(side.resolve(ws)))

    @rule(data=st.data())
    def get_canvas(self, data: st.DataObject) -> None:
        key = self.key(data, self.canvases)
        self.call("get_canvas", lambda db, side: db.get_canvas(side.resolve(key)))

    @rule(data=st.data())
    def update_canvas_graph(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.canvases), self.ctx(data)
        good = self.good(data)
        node_id = st.one_of(
            s.valid_id if good else s.literal_id, st.sampled_from(self.nodes or ["n"])
        )
        nodes = data.draw(
            st.lists(
                st.builds(
                    NewCanvasNode,
                    kind=s.valid_name if good else s.name,
                    x=s.valid_integer if good else s.integer,
                    y=s.valid_integer if good else s.integer,
                    data=st.one_of(st.just({}), s.valid_json if good else s.json_object),
                    id=node_id,
                ),
                max_size=4,
            )
        )
        ends = st.sampled_from([n.id for n in nodes] or ["n"])
        if not good:
            ends = st.one_of(ends, s.missing_id)
        edges = data.draw(
            st.lists(
                st.builds(
                    NewCanvasEdge,
                    source_node_id=ends,
                    target_node_id=ends,
                    label=st.one_of(st.none(), s.valid_text if good else s.text()),
                    id=st.one_of(s.valid_id if good else s.literal_id, st.sampled_from(ID_EDGES)),
                ),
                max_size=4,
            )
        )
        answer = self.call(
            "update_canvas_graph",
            lambda db, side: db.update_canvas_graph(
                side.resolve(key), nodes, edges, _ctx(side, ctx)
            ),
        )
        if answer.ok:
            self.nodes.extend(n.id for n in nodes)

    @rule(data=st.data())
    def delete_canvas(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.canvases), self.ctx(data)
        self.call(
            "delete_canvas", lambda db, side: db.delete_canvas(side.resolve(key), _ctx(side, ctx))
        )

    # ----------------------------------------------------------------------- AI jobs
    @rule(data=st.data())
    def create_ai_job(self, data: st.DataObject) -> None:
        ws = data.draw(st.one_of(st.none(), st.just(self.key(data, self.workspaces))))
        job = NewAiJob(
            kind=data.draw(st.one_of(st.sampled_from(("summarize", "Summarize")), s.name)),
            inputs=data.draw(s.json_object),
            pinned=data.draw(st.booleans()),
            id=data.draw(st.one_of(s.literal_id, st.sampled_from(self.jobs or ["j"]))),
        )
        answer = self.call(
            "create_ai_job",
            lambda db, side: db.create_ai_job(
                dataclasses.replace(job, workspace_id=None if ws is None else side.resolve(ws))
            ),
        )
        if answer.ok:
            self.jobs.append(job.id)
            self.anchors.append({n: v.created_at for n, v in answer.raw.items()})

    @rule(data=st.data())
    def get_ai_job(self, data: st.DataObject) -> None:
        key = self.key(data, self.jobs)
        self.call("get_ai_job", lambda db, side: db.get_ai_job(side.resolve(key)))

    @rule(data=st.data())
    def list_ai_jobs(self, data: st.DataObject) -> None:
        state = data.draw(st.one_of(st.none(), st.sampled_from(JobState)))
        kind = data.draw(st.one_of(st.none(), st.sampled_from(("summarize", "Summarize")), s.name))
        ws = data.draw(st.one_of(st.none(), st.just(self.key(data, self.workspaces))))
        start = data.draw(st.one_of(st.none(), st.just(self.time(data))))
        end = data.draw(st.one_of(st.none(), st.just(self.time(data))))
        limit = data.draw(st.sampled_from((1, 2, 3, 100, 1000, 0, 1001, -1, 2**63)))
        self.call(
            "list_ai_jobs",
            lambda db, side: db.list_ai_jobs(
                JobFilter(
                    state=state,
                    kind=kind,
                    workspace_id=None if ws is None else side.resolve(ws),
                    created_from=self.at(side, start),
                    created_to=self.at(side, end),
                    limit=limit,
                )
            ),
        )

    @rule(data=st.data())
    def update_ai_job_state(self, data: st.DataObject) -> None:
        key, state = self.key(data, self.jobs), data.draw(st.sampled_from(JobState))
        error = data.draw(st.one_of(st.none(), s.text()))
        self.call(
            "update_ai_job_state",
            lambda db, side: db.update_ai_job_state(side.resolve(key), state, error=error),
        )

    @rule(data=st.data())
    def set_ai_job_outputs(self, data: st.DataObject) -> None:
        key, outputs = self.key(data, self.jobs), data.draw(s.json_object)
        self.call(
            "set_ai_job_outputs",
            lambda db, side: db.set_ai_job_outputs(side.resolve(key), outputs),
        )

    @rule(data=st.data())
    def set_ai_job_pinned(self, data: st.DataObject) -> None:
        key, pinned = self.key(data, self.jobs), data.draw(st.booleans())
        self.call(
            "set_ai_job_pinned", lambda db, side: db.set_ai_job_pinned(side.resolve(key), pinned)
        )

    @rule(data=st.data())
    def prune_ai_jobs(self, data: st.DataObject) -> None:
        cutoff = self.time(data)
        keep = data.draw(st.sampled_from((0, 1, 2, 3, -1, 2**63 - 1, 2**63)))
        dry_run = data.draw(st.booleans())
        self.call(
            "prune_ai_jobs",
            lambda db, side: db.prune_ai_jobs(
                self.at(side, cutoff), min_versions=keep, dry_run=dry_run
            ),
        )

    # ----------------------------------------------------------------------- workflows
    @rule(data=st.data())
    def create_workflow_run(self, data: st.DataObject) -> None:
        job = self.key(data, self.jobs)
        given = data.draw(st.one_of(st.none(), s.literal_id, st.sampled_from(self.runs or ["r"])))
        answer = self.call(
            "create_workflow_run",
            lambda db, side: db.create_workflow_run(side.resolve(job), id=_id(side, given)),
            fresh=lambda r: r.id if given is None else None,
        )
        if answer.ok:
            self.runs.append(answer.value["id"])

    @rule(data=st.data())
    def get_workflow_run(self, data: st.DataObject) -> None:
        key = self.key(data, self.runs)
        self.call("get_workflow_run", lambda db, side: db.get_workflow_run(side.resolve(key)))

    @rule(data=st.data())
    def heartbeat_workflow_run(self, data: st.DataObject) -> None:
        key = self.key(data, self.runs)
        self.call(
            "heartbeat_workflow_run", lambda db, side: db.heartbeat_workflow_run(side.resolve(key))
        )

    @rule(data=st.data())
    def update_workflow_status(self, data: st.DataObject) -> None:
        key, status = self.key(data, self.runs), data.draw(st.sampled_from(WorkflowStatus))
        error = data.draw(st.one_of(st.none(), s.text()))
        self.call(
            "update_workflow_status",
            lambda db, side: db.update_workflow_status(side.resolve(key), status, error=error),
        )

    @rule(threshold=s.threshold)
    def find_stalled_workflows(self, threshold: timedelta) -> None:
        self.call("find_stalled_workflows", lambda db, side: db.find_stalled_workflows(threshold))

    @rule(data=st.data())
    def create_node_execution(self, data: st.DataObject) -> None:
        run, node = self.key(data, self.runs), data.draw(s.name)
        inputs = data.draw(st.one_of(st.none(), s.json_object))
        answer = self.call(
            "create_node_execution",
            lambda db, side: db.create_node_execution(side.resolve(run), node, inputs=inputs),
        )
        if answer.ok:
            self.executions.append(answer.value["id"])

    @rule(data=st.data())
    def update_node_execution_status(self, data: st.DataObject) -> None:
        key, status = self.key(data, self.executions), data.draw(st.sampled_from(NodeStatus))
        outputs = data.draw(st.one_of(st.none(), s.json_object))
        error = data.draw(st.one_of(st.none(), s.text()))
        self.call(
            "update_node_execution_status",
            lambda db, side: db.update_node_execution_status(
                side.resolve(key), status, outputs=outputs, error=error
            ),
        )

    @rule(data=st.data())
    def list_node_executions(self, data: st.DataObject) -> None:
        run = self.key(data, self.runs)
        self.call(
            "list_node_executions", lambda db, side: db.list_node_executions(side.resolve(run))
        )

    # ----------------------------------------------------------------------- derived data
    @rule(data=st.data())
    def search(self, data: st.DataObject) -> None:
        contents = [b.raw_content[:40] for b in self.model.blocks.values()]
        query = data.draw(
            st.one_of(st.sampled_from(contents or ["x"]), st.sampled_from(s.TRICKY_WORDS), s.text())
        )
        ws = data.draw(st.one_of(st.none(), st.just(self.key(data, self.workspaces))))
        limit = data.draw(st.sampled_from((50, 1, 2, 1000, 0, 1001)))
        answer = self.call(
            "search",
            lambda db, side: db.search(
                query, workspace_id=None if ws is None else side.resolve(ws), limit=limit
            ),
        )
        hits = [h["block_id"] for h in answer.value] if answer.ok else answer.value
        self.expect("search", Answer(hits, answer.raw), lambda: self.model.search(query, ws, limit))

    @rule(data=st.data())
    def get_counters(self, data: st.DataObject) -> None:
        ws = self.key(data, self.workspaces)
        answer = self.call("get_counters", lambda db, side: db.get_counters(side.resolve(ws)))
        counts = (
            (answer.value["document_count"], answer.value["block_count"])
            if answer.ok
            else answer.value
        )
        self.expect("get_counters", Answer(counts, answer.raw), lambda: self.model.counts(ws))

    @rule()
    def rebuild_indexes(self) -> None:
        self.call("rebuild_indexes", lambda db, side: db.rebuild_indexes())

    @rule()
    def everything(self) -> None:
        """Everything the API can read back, compared at once."""
        answer = self.call("everything readable", self._everything)
        workspaces = answer.value[0]
        self.expect("list_workspaces", Answer(workspaces, {}), self.model.list_workspaces)

    def _everything(self, db: Database, side: Symbols) -> Any:
        workspaces = db.list_workspaces()
        per_workspace = []
        for w in workspaces:
            documents = db.list_documents(w.id)
            per_workspace.append(
                (
                    db.get_counters(w.id),
                    [(d, db.list_blocks(d.id)) for d in documents],
                    [db.get_canvas(c.id) for c in db.list_canvases(w.id)],
                )
            )
        runs = [side.resolve(r) for r in self.runs]
        return (
            workspaces,
            per_workspace,
            db.list_ai_jobs(JobFilter(limit=1000)),
            [(db.get_workflow_run(r), db.list_node_executions(r)) for r in runs],
        )


#: edge ids used again and again (edge ids are unique across canvases)
ID_EDGES = ("e", "E", "é")


class CommittingMachine(DifferentialMachine):
    """The same calls, committed: outside the machine's transactions each call is a
    transaction of its own, and the machine's transactions are real ones (savepoints
    inside them), as in production."""

    committing = True


#: the committing variant's share of the profile's examples (its commits wait for the disk)
COMMITTING_SHARE = 20


@pytest.mark.parametrize(
    "machine", [DifferentialMachine, CommittingMachine], ids=["rolled-back", "committing"]
)
def test_random_calls_agree_on_every_backend(
    machine: type[DifferentialMachine],
    dualstore_handles: dict[str, Database],
    pytestconfig: pytest.Config,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same random calls on each backend (and the model) give the same answers."""
    budget = settings()
    if machine.committing:
        budget = settings(budget, max_examples=max(3, budget.max_examples // COMMITTING_SHARE))
    DifferentialMachine.handles = dualstore_handles
    DifferentialMachine.examples = DifferentialMachine.calls = 0
    DifferentialMachine.outcomes.clear()
    try:
        run_state_machine_as_test(machine, settings=budget)
    finally:
        DifferentialMachine.handles = {}
        _report(pytestconfig, capsys)


def _report(config: pytest.Config, capsys: pytest.CaptureFixture[str]) -> None:
    """How much ran (`nox -s fuzz` shows it; -vv: per call and outcome)."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:  # pragma: no cover - e.g. an xdist worker
        return
    machine = DifferentialMachine
    answered = sum(n for (_, outcome), n in machine.outcomes.items() if outcome == "ok")
    with capsys.disabled():
        terminal.write_line(
            f"differential: {machine.examples} examples (call sequences), {machine.calls} calls "
            f"on each backend ({answered} answered with records, the others with the same "
            "typed error)"
        )
        if config.getoption("verbose") > 1:
            for (what, outcome), n in sorted(machine.outcomes.items()):
                terminal.write_line(f"  {what}: {outcome} {n}")


def test_the_comparison_catches_a_difference(dualstore_handles: dict[str, Database]) -> None:
    """What the machine relies on: generated values (ids, timestamps, edit events) are
    compared through a consistent renaming, and anything else that differs, a value or the
    type of an error, fails with every backend's answer."""
    sides = Sides(dualstore_handles)
    me = WriteContext.human("alice")
    made = sides.call(
        "create_workspace", lambda db, side: db.create_workspace("w", me), fresh=lambda w: w.id
    )
    assert made.value["id"] == "gen:1"
    assert made.value["created_at"] == made.value["updated_at"] == "T1"
    listed = sides.call("list_workspaces", lambda db, side: db.list_workspaces())
    assert listed.value == [made.value]
    missing = sides.call("get_counters", lambda db, side: db.get_counters("nope"))
    assert missing.value == Failed("NotFound", "HSK-404-NOT-FOUND")
    with pytest.raises(Difference, match="the backends disagree on planted value"):
        sides.call("planted value", lambda db, side: side.backend)

    def planted_error(db: Database, side: Symbols) -> None:
        db.get_counters("nope" if side.backend == "sqlite" else "")

    with pytest.raises(Difference, match=r"(?s)raises NotFound.*raises ValidationError"):
        sides.call("planted error", planted_error)
