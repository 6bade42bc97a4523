"""The dualstore pytest plugin: runs the same tests against every selected backend.

Opt-in: nothing loads it because it is installed. A project turns it on from its root
conftest.py (`pytest_plugins = ["dualstore.plugin"]`) or with `-p dualstore.plugin`, and
describes itself with the `pytest_dualstore_project` hook (hookspecs.py, project.py).

A run, step by step:
  configure     `RunInfo` (run id, worker id) into `config.stash[RUN_INFO]`; the project's
                `Project` and the options (options.py) read once into `Harness`
                (state.py); the optional `dualstore.repro` plugin registered
  sessionstart  controller only: reap dead runs' temp dirs, provision every selected
                backend (provision/) or stop the run, exit code 4, before any test runs
  workers       receive the run id and the provisioned backends through `workerinput`;
                each creates, on first use, its own store per backend (schema or file
                `dualstore_<run id>_<worker id>`), migrated once, removed at its end
  tests         the `dualstore_*` fixtures (fixtures.py), parametrized over the selected
                backends (ids `[sqlite]`, `[postgres]`); isolation.py cleans up after each
  finish        per-backend tallies; a selected backend on which no test ran fails the run
  unconfigure   controller: drop what is left of the run, stop a throwaway server, release
                the run lock, remove the run's temp dir
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Generator
from functools import partial
from pathlib import Path
from typing import Any, Final

import pytest

from dualstore import hookspecs, options, reporting, shards, workers
from dualstore.isolation import gone_in
from dualstore.project import BACKEND_FIXTURE, COMMITS_MARKER, REQUIRES_MARKER, Project
from dualstore.provision import PROVISIONERS, pgbin
from dualstore.runinfo import (
    RUN_INFO,
    SINGLE_PROCESS_WORKER,
    BackendInfo,
    BackendUnavailable,
    RunInfo,
    new_run_id,
)
from dualstore.state import HARNESS, Harness
from dualstore.tempdirs import RunTempDir, reap_temp_dirs

#: the fixtures live in their own modules, registered with this plugin (compare.py also
#: deselects the tests that compare backends when fewer than two are selected)
pytest_plugins = ["dualstore.compare", "dualstore.fixtures"]

#: exit status when a selected backend is unavailable (the run could not start as asked)
EXIT_BACKEND_UNAVAILABLE: Final = pytest.ExitCode.USAGE_ERROR
#: the optional plugin of the reproduce tooling (registered when it exists)
REPRO_PLUGIN: Final = "dualstore.repro"
#: key of the harness's data in xdist's workerinput / workeroutput
_WIRE: Final = "dualstore"


# --------------------------------------------------------------------------- configure


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser)


def _project(config: pytest.Config) -> Project:
    answer = config.hook.pytest_dualstore_project(config=config)
    if answer is None:
        return Project()
    if not isinstance(answer, Project):
        raise pytest.UsageError(
            f"dualstore: pytest_dualstore_project returned {type(answer).__name__}, not a "
            "dualstore.project.Project: return Project(...) (or None for the defaults)"
        )
    return answer


def _known(project: Project) -> str:
    known = project.known_capabilities
    return f" ({', '.join(sorted(known))})" if known else ""


def _register_markers(config: pytest.Config, project: Project) -> None:
    helps = {
        COMMITS_MARKER: (
            "",
            "the test gets a committing database (writes really commit; "
            "the store is reset after the test) instead of a rolled-back transaction",
        ),
        REQUIRES_MARKER: (
            "(*capabilities)",
            "run only on backends that have every one of "
            f"these capabilities{_known(project)}; on the others the test is deselected at "
            "collection (never skipped)",
        ),
    }
    for marker, (args, text) in helps.items():
        for name in project.marker_names(marker):
            same = "" if name == marker else f" (alias of {marker})"
            config.addinivalue_line("markers", f"{name}{args}: {text}{same}")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    project = _project(config)
    _register_markers(config, project)
    # The role comes from `workerinput`, which xdist gives workers only: a worker's id
    # may be anything (`--tx popen//id=NAME`), so it cannot tell a worker from a controller.
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    wire: dict[str, Any] = (workerinput or {}).get(_WIRE) or {}
    runs_dir = wire.get("runs_dir")
    run = RunInfo(
        run_id=str(wire.get("run_id") or new_run_id()),
        worker_id=str(workerinput["workerid"]) if workerinput else SINGLE_PROCESS_WORKER,
        rootdir=config.rootpath,
        backends=(),
        is_worker=workerinput is not None,
        # Workers get the controller's (resolved) directory, not their own reading of it.
        runs_dir=Path(runs_dir) if runs_dir else options.load_runs_dir(config),
    )
    for data in wire.get("backends", []):
        info = BackendInfo.from_wire(data)
        run.provisioned[info.name] = info
    config.stash[RUN_INFO] = run
    # Before reading the options: a replay (repro plugin) may set the recorded backends.
    if importlib.util.find_spec(REPRO_PLUGIN) is not None:
        config.pluginmanager.import_plugin(REPRO_PLUGIN)
    cfg = options.load(config)
    run.backends = cfg.backends
    _import_drivers(cfg.backends)
    config.stash[HARNESS] = Harness(cfg, run, project)
    shards.configure(config)
    config.pluginmanager.register(Reporter(config), "dualstore-reporter")


def _import_drivers(backends: tuple[str, ...]) -> None:
    """Import the selected backends' drivers now, before any test. pytester puts
    `sys.modules` back after each test that uses it, dropping what the test imported first;
    a driver imported again is a second copy of its Python half, whose `except` clauses
    miss the errors its compiled half still raises as the first copy's classes. Imported
    here, a driver is in every snapshot. (One that is missing is reported when the backend
    is provisioned.)"""
    for name in backends:
        for module in PROVISIONERS[name].driver_modules:
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)


def _skips_provisioning(config: pytest.Config) -> bool:
    """`pytest --fixtures` and friends run a session but no test: no server needed."""
    return bool(
        config.getoption("showfixtures", False) or config.getoption("show_fixtures_per_test", False)
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    harness = session.config.stash[HARNESS]
    if not harness.run.is_controller or _skips_provisioning(session.config):
        return
    try:
        _provision_all(harness)
    except BackendUnavailable as exc:
        _teardown(harness)
        # A usage error, not `pytest.exit`: pytest prints that one twice (on stderr, and
        # again as a "!!! Exit" banner); this message is printed once, as pytest's
        # "ERROR:" line, and the run ends with exit code 4 (EXIT_BACKEND_UNAVAILABLE).
        raise pytest.UsageError(f"dualstore: {exc}") from None


def _provision_all(harness: Harness) -> None:
    cfg, run = harness.cfg, harness.run
    harness.tempdir = RunTempDir(run.run_id)
    stop = partial(pgbin.stop_leftover_server, pg_bindir=cfg.pg_bindir)
    reaped = reap_temp_dirs(cfg.reap_grace, stop)
    if reaped:
        harness.notes.append(f"removed {len(reaped)} temp dir(s) of dead runs")
    for name in cfg.backends:
        provisioned = PROVISIONERS[name].provision(
            cfg, run.run_id, harness.tempdir, harness.project
        )
        harness.provisioned[name] = provisioned
        run.provisioned[name] = provisioned.info
        harness.notes.extend(f"{name}: {note}" for note in provisioned.notes)
        harness.warnings.extend(f"{name}: {warning}" for warning in provisioned.warnings)


def _teardown(harness: Harness) -> None:
    problems: list[str] = []
    for name in reversed(list(harness.provisioned)):
        problems.extend(f"{name}: {p}" for p in harness.provisioned.pop(name).close())
    if harness.tempdir is not None:
        harness.tempdir.remove()
        harness.tempdir = None
    for problem in problems:
        sys.stderr.write(f"dualstore: cleanup problem: {problem}\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    harness = config.stash.get(HARNESS, None)
    if harness is not None and harness.run.is_controller:
        _teardown(harness)


@pytest.hookimpl(optionalhook=True)  # (xdist's hook: a run without xdist has none)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: as many workers as the selected tests' recorded seconds pay for."""
    try:
        backends = options.load(config).backends
    except pytest.UsageError:
        return None  # (pytest_configure reports it)
    return workers.auto_workers(config, backends)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: hand each worker the run id and the provisioned backends."""
    run = node.config.stash[RUN_INFO]
    node.workerinput[_WIRE] = {
        "run_id": run.run_id,
        "runs_dir": str(run.runs_dir) if run.runs_dir is not None else None,
        "backends": [info.to_wire() for info in run.provisioned.values()],
    }


def pytest_report_header(config: pytest.Config) -> list[str]:
    harness = config.stash.get(HARNESS, None)
    if harness is None or not harness.run.provisioned:
        return []
    shard = shards.shard_of(config)
    split = [f"dualstore: shard {shard} of the selected tests (pytest-split)"] if shard else []
    decided = config.stash.get(workers.DECISION, None)
    chosen = [f"dualstore: {decided}"] if decided else []
    return [*reporting.header_lines(harness.run, harness.notes), *split, *chosen]


# --------------------------------------------------------------------------- collection


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if BACKEND_FIXTURE in metafunc.fixturenames:
        names = list(metafunc.config.stash[RUN_INFO].backends)
        metafunc.parametrize(BACKEND_FIXTURE, names, indirect=True, ids=names, scope="function")


def _required(item: pytest.Item, project: Project) -> set[str]:
    known = project.known_capabilities
    required: set[str] = set()
    for name in project.marker_names(REQUIRES_MARKER):
        for marker in item.iter_markers(name):
            for capability in marker.args:
                if known is not None and str(capability) not in known:
                    raise pytest.UsageError(
                        f"{item.nodeid}: @pytest.mark.{name}({capability!r}): unknown "
                        f"capability; known: {', '.join(sorted(known))} (the project's "
                        "Project.known_capabilities)"
                    )
                required.add(str(capability))
    return required


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Attach each test's backend to its reports, and deselect it on backends that lack
    a capability it requires (deselected at collection, counted, never skipped)."""
    run, project = config.stash[RUN_INFO], config.stash[HARNESS].project
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get(BACKEND_FIXTURE) if callspec is not None else None
        if name is None:
            kept.append(item)
            continue
        item.user_properties.append((reporting.BACKEND_PROPERTY, name))
        info = run.provisioned.get(name)
        if info is not None and _required(item, project) - set(info.capabilities):
            dropped.append(item)
            run.tally(name).deselected += 1
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# --------------------------------------------------------------------------- reporting


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    gone = gone_in(call.excinfo.value, item.config.stash[HARNESS].is_gone) if call.excinfo else None
    if gone is not None:
        kind = type(gone)
        report.user_properties.append(
            (reporting.UNAVAILABLE_PROPERTY, f"{kind.__module__}.{kind.__qualname__}")
        )
    return report


class Reporter:
    """Hooks that need the run's state but get no `config` argument."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.harness = config.stash[HARNESS]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.harness.run.is_controller:
            reporting.record(self.harness.run, report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist controller: collect what a finished worker measured."""
        wire = getattr(node, "workeroutput", {}).get(_WIRE) or {}
        run = self.harness.run
        for name, count in wire.get("deselected", {}).items():
            # Every worker collects every test: the counts are the same, not additive.
            run.tally(name).deselected = max(run.tally(name).deselected, int(count))
        for name, seconds in wire.get("setup_seconds", {}).items():
            self.harness.setup_seconds.setdefault(name, []).extend(seconds)
        run.compare_deselected = max(run.compare_deselected, int(wire.get("compared", 0)))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        harness, run = self.harness, self.harness.run
        workeroutput: dict[str, Any] | None = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WIRE] = {
                "deselected": {n: t.deselected for n, t in run.tallies.items()},
                "setup_seconds": harness.setup_seconds,
                "compared": run.compare_deselected,
            }
            return
        if (
            not run.provisioned
            or self.config.getoption("collectonly", False)
            or exitstatus == pytest.ExitCode.INTERRUPTED
            or session.shouldfail
            or session.shouldstop
        ):
            return
        run.problems.extend(
            reporting.check_every_backend_ran(run, explicit=harness.cfg.backends_explicit)
        )
        if run.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        run = self.harness.run
        if not run.provisioned or self.config.getoption("collectonly", False):
            return
        terminalreporter.write_sep("-", "dualstore")
        for warning in self.harness.warnings:
            terminalreporter.write_line(f"dualstore: warning: {warning}", yellow=True)
        for problem in run.problems:
            terminalreporter.write_line(problem, red=True)
        if self.config.getoption("verbose", 0) > 0:
            for line in reporting.setup_time_lines(self.harness.setup_seconds):
                terminalreporter.write_line(line)
        for name in run.backends:
            tally = run.tally(name)
            bad = bool(tally.failed or tally.errors or tally.ran == 0)
            terminalreporter.write_line(tally.line(name), red=bad, green=not bad)
        if run.compare_deselected:
            terminalreporter.write_line(reporting.compare_deselected_line(run))
