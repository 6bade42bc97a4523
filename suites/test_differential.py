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

import pytest
from hypothesis import settings
from hypothesis.stateful import (
    run_state_machine_as_test,
)

from storage.api import (
    Database,
    WriteContext,
)
from suites import _profiles
from suites._content_rules import ContentRules
from suites._differential import Difference, Failed, Sides, Symbols
from suites._job_rules import JobRules
from suites._machine import MachineBase

_profiles.register()  # the example budget: dualstore-ci unless the run chose a profile


class DifferentialMachine(ContentRules, JobRules):
    """Every rule of the API, on rolled-back examples."""


class CommittingMachine(DifferentialMachine):
    """The same calls, committed: outside the machine's transactions each call is a
    transaction of its own, and the machine's transactions are real ones (savepoints
    inside them), as in production."""

    committing = True


#: the committing variant's share of the profile's examples (its commits wait for the disk)
COMMITTING_SHARE = 20


# PostgreSQL's connection pool opens connections in a thread of its own and draws the
# jitter of their lifetime from the `random` module; hypothesis notices the global random
# state change during one of its draws, takes it for a strategy that uses `random`, and
# its warning (an error here) failed about one run in eight. The draws never use it.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:"
    "hypothesis.errors.HypothesisDeprecationWarning"
)
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
    MachineBase.handles = dualstore_handles
    MachineBase.examples = MachineBase.calls = 0
    MachineBase.outcomes.clear()
    try:
        run_state_machine_as_test(machine, settings=budget)
    finally:
        MachineBase.handles = {}
        _report(pytestconfig, capsys)


def _report(config: pytest.Config, capsys: pytest.CaptureFixture[str]) -> None:
    """How much ran (`nox -s fuzz` shows it; -vv: per call and outcome)."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:  # pragma: no cover - e.g. an xdist worker
        return
    machine = MachineBase
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
