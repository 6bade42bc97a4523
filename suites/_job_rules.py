"""The differential suite's state machine, part 3: AI jobs, workflow runs, node
executions, the janitor, and derived data (search, counters, rebuilds, everything at
once)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    rule,
)

from storage.api import (
    Database,
    JobFilter,
    JobState,
    NewAiJob,
    NodeStatus,
    WorkflowStatus,
)
from suites import _strategies as s
from suites._differential import Answer, Symbols
from suites._machine import MachineBase, _id


class JobRules(MachineBase):
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
