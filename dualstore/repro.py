"""Reproducing a failed run: record the order each worker ran, print one replay command.

Recording is pytest-replay's job: pointed at this run's directory, every xdist worker appends
the tests it runs to ``<run dir>/order-<worker>.txt`` (``order.txt`` without xdist), one JSON
line per test start and finish, flushed as it goes, so even a killed run leaves its order.
This plugin adds what pytest-replay does not know: it writes ``run.json`` (seed, backends,
arguments, and the nox session whose installs the run had, which `nox -s repro` installs
again) beside the order files, and at the end of a failing run prints, as the last lines
of output and into ``<run dir>/reproduce.txt``::

    reproduce with:
      nox -s repro -- .dualstore/runs/<run id>/order-gw1.txt
    just the failing test:
      nox -s tests-postgres -- -n0 --randomly-seed=N 'suites/test_x.py::test_y[postgres]'

A replay (``pytest --replay=<order file>``, which is what ``nox -s repro`` runs) reads
``run.json`` beside the order file and applies the recorded seed and backends, turns off
pytest-randomly's reordering (its per-test reseeding stays, with the same seed) and runs in
one process, so the failing worker's sequence runs exactly as recorded.

Run directories beyond the newest `KEEP_RUNS` are removed at the start of a run. This
module also registers `dualstore.outage` (fail fast once a server is gone).

The commands speak the way the run was started: inside a nox session (nox exports
NOX_CURRENT_SESSION) they are `nox -s …` commands, otherwise plain `python -m pytest …` ones
for the same environment (`nox -s repro -- FILE` runs `pytest --replay=FILE`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any, Final

import pytest

from dualstore import environment, github
from dualstore.commands import (
    RECORDED_SESSION_ENV,
    Failure,
    nox_line,
    python_line,
    redacted,
    single_test_session,
    without_seed,
)
from dualstore.options import KNOWN_BACKENDS
from dualstore.outage import OutageBreaker
from dualstore.reporting import backend_of
from dualstore.runinfo import (
    DEFAULT_RUNS_DIR,
    RUN_INFO,
    create_run_dir,
    new_run_id,
    run_started_at,
)
from dualstore.shards import shard_of

RUNS_DIR = DEFAULT_RUNS_DIR
RUN_FILE = "run.json"
REPRODUCE_FILE = "reproduce.txt"
ORDER_BASE = "order"
#: how many run directories to keep (newest first; a failing one is downloaded from CI or
#: replayed soon after, so older ones are only clutter)
KEEP_RUNS = 30
#: set by nox in every session it runs; its value is the session's name
NOX_SESSION_ENV = "NOX_CURRENT_SESSION"
#: how many failing tests get their own command on the terminal (reproduce.txt has all)
SHOWN_FAILURES: Final = 10
#: the harness's `--dualstore-backend` option (dualstore.options.BACKEND)
BACKEND_DEST = "dualstore_backends"
# After these exit statuses there is nothing to reproduce.
_QUIET_EXITS = (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: pytest-replay reads its record dir, pytest-randomly its seed, xdist its
    # distribution mode and the harness its backends in their own pytest_configure; all of
    # them must see the values set here. (The harness imports this plugin at the start of
    # its own tryfirst pytest_configure, which calls this one at once.)
    #
    # Not about reproducing but about what a failing run looks like, in every process
    # that runs tests: when a server goes away, its remaining tests fail at once.
    config.pluginmanager.register(OutageBreaker(config), "dualstore-outage")
    if config.getoption("help", False):
        return  # `pytest --help` runs no test: no run directory, nothing recorded
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        # An xdist worker parses the command line afresh: the record dir comes from the
        # controller through workerinput (see _XdistLink).
        config.option.replay_record_dir = workerinput.get(_WORKERINPUT_KEY)
        config.option.base_name = ORDER_BASE
        return
    replay_files = [Path(p) for p in config.getoption("replay_files", None) or []]
    recorded: dict[str, Any] = {}
    if replay_files:
        recorded = _apply_recording(config, replay_files[0].parent / RUN_FILE)
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            # No paths given: collect only the recorded tests' files, not every testpath
            # (a replay should not fail on some other directory's collection).
            config.args = _recorded_paths(config.rootpath, replay_files)
    explicit_dir = config.getoption("replay_record_dir", None)
    if explicit_dir:
        run_dir = create_run_dir(Path(explicit_dir), moved_by="another --replay-record-dir")
    else:
        # Created now, before pytest-replay's own configure creates it (or fails inside
        # pytest with an INTERNALERROR when it cannot).
        run_dir = run_dir_for(config)
    config.option.replay_record_dir = str(run_dir)
    config.option.base_name = ORDER_BASE
    replaying = replay_files[0] if replay_files else None
    reproducer = Reproducer(config, run_dir, replaying, recorded)
    config.pluginmanager.register(reproducer, "dualstore-repro")
    if config.pluginmanager.has_plugin("xdist"):
        config.pluginmanager.register(_XdistLink(str(run_dir)), "dualstore-repro-xdist")


_WORKERINPUT_KEY = "dualstore_replay_record_dir"


class _XdistLink:
    """Hands the run directory to each xdist worker (a hook that exists only with xdist)."""

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_WORKERINPUT_KEY] = self.run_dir


def _apply_recording(config: pytest.Config, run_file: Path) -> dict[str, Any]:
    """Make a replay run like the recorded run: same seed, same backends, one process.
    Returns the recording."""
    recording: dict[str, Any] = {}
    if run_file.is_file():
        recording = json.loads(run_file.read_text(encoding="utf-8"))
    seed = recording.get("seed")
    if seed is not None and config.getoption("randomly_seed", None) == "default":
        config.option.randomly_seed = int(seed)
    # The order file is the order: pytest-randomly may reseed, never reshuffle.
    config.option.randomly_reorganize = False
    backends: list[str] = recording.get("backends") or []
    # Only a narrowed selection is passed on: naming every backend would make it an
    # explicit selection, and the harness fails an explicit backend on which no test ran.
    narrowed = bool(backends) and set(backends) != set(KNOWN_BACKENDS)
    if narrowed and config.getoption(BACKEND_DEST, None) is None:
        setattr(config.option, BACKEND_DEST, list(backends))
    # One process, or xdist would split the recorded sequence between workers again.
    config.option.numprocesses = 0
    config.option.dist = "no"
    config.option.tx = []
    return recording


def _recorded_paths(rootdir: Path, order_files: list[Path]) -> list[str]:
    paths: dict[str, None] = {}
    for order_file in order_files:
        for line in order_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                paths[str(rootdir / json.loads(line)["nodeid"].split("::")[0])] = None
    return list(paths)


def run_dir_for(config: pytest.Config) -> Path:
    """This run's directory: the harness's when it is loaded, else a fresh one."""
    run = config.stash.get(RUN_INFO, None)
    if run is not None:
        return run.run_dir
    return create_run_dir(
        config.rootpath / RUNS_DIR / new_run_id(), moved_by="--replay-record-dir DIR"
    )


class Reproducer:
    """Controller-side: writes run.json, notes failures, prints the commands at the end."""

    def __init__(
        self,
        config: pytest.Config,
        run_dir: Path,
        replaying: Path | None,
        recorded: dict[str, Any] | None = None,
    ) -> None:
        #: the run.json of the run being replayed ({} when not replaying)
        self.recorded = recorded or {}
        self.started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.config = config
        self.run_dir = run_dir
        self.replaying = replaying
        self.failures: list[Failure] = []
        #: whether any test ran (set up, at least): without one there is nothing to replay
        self.ran_tests = False
        self.session: pytest.Session | None = None
        #: the exit status of a `pytest.exit()` during session start, if there was one
        self.stopped_with: int | None = None
        self._environment: dict[str, Any] | None = None

    def environment(self) -> dict[str, Any]:
        """This run's Python and packages (read once: listing the packages takes time)."""
        if self._environment is None:
            self._environment = environment.snapshot()
        return self._environment

    def pytest_report_header(self) -> list[str]:
        if self.replaying is None:
            return [f"test order recorded in {self._shown(self.run_dir)}"]
        here = {**self.environment(), "servers": self._servers()}
        differs = environment.differences(self.recorded, here)
        warning = ["dualstore: warning: this environment differs from the recorded run's:"]
        return [
            f"replaying {self._shown(self.replaying)} in one process",
            *(warning if differs else []),
            *(f"  {line}" for line in differs),
        ]

    def _servers(self) -> dict[str, str]:
        run = self.config.stash.get(RUN_INFO, None)
        provisioned = run.provisioned if run is not None else {}
        return {name: info.server_version for name, info in provisioned.items()}

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> Generator[None]:
        # A wrapper, so that it runs even when the harness stops the run in its own
        # sessionstart (backend unavailable): pytest then skips pytest_sessionfinish.
        self.session = session
        self._write_recording()
        prune_runs(self.run_dir.parent, keep=KEEP_RUNS, current=self.run_dir)
        try:
            result = yield
        except pytest.exit.Exception as stop:
            self.stopped_with = stop.returncode
            raise
        # the backends are provisioned now: their server versions go into the recording
        self._write_recording(servers=self._servers())
        return result

    def _write_recording(self, servers: dict[str, str] | None = None) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        recording = {
            "run_id": self.run_dir.name,
            "started": self.started,
            "seed": self.seed,
            "backends": backends_of_run(self.config),
            "workers": self.config.getoption("numprocesses", None) or 0,
            "args": redacted(self.config.invocation_params.args),
            "nox_session": os.environ.get(RECORDED_SESSION_ENV) or None,
            "shard": str(shard) if (shard := shard_of(self.config)) else None,
            **self.environment(),
            "servers": servers or {},
        }
        text = json.dumps(recording, indent=2) + "\n"
        (self.run_dir / RUN_FILE).write_text(text, encoding="utf-8")

    @property
    def seed(self) -> int | None:
        seed = self.config.getoption("randomly_seed", None)
        return seed if isinstance(seed, int) else None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.ran_tests = True
        if report.failed:
            # Under xdist the controller's copy of a report names its worker as `node`.
            node = getattr(report, "node", None)
            worker = str(node.gateway.id) if node is not None else None
            path, lineno, _ = report.location
            line = lineno + 1 if lineno is not None else None
            failure = Failure(report.nodeid, worker, backend_of(report), path, line)
            if failure not in self.failures:  # a failed test and its teardown error: once
                self.failures.append(failure)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        # Printed here, after pytest's own closing line, so the commands end the output.
        if self.session is None:
            return  # never got to run (e.g. --help)
        # session.exitstatus is read this late on purpose: other plugins (the harness's "a
        # backend on which no test ran") may turn a passing run into a failing one.
        status = self.session.exitstatus if self.stopped_with is None else self.stopped_with
        # A run on which no test ran (a backend unavailable, a collection error, nothing
        # selected) has no order to replay: its own error message is its last word.
        if status in _QUIET_EXITS or not self.ran_tests:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        everything = "\n".join(self.reproduce_lines()) + "\n"
        (self.run_dir / REPRODUCE_FILE).write_text(everything, encoding="utf-8")
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        shown = self.reproduce_lines(cap=SHOWN_FAILURES)
        if github.on_github():
            run = self.config.stash.get(RUN_INFO, None)
            if run is not None:
                github.write_summary(run, shown)
            nox_session = os.environ.get(NOX_SESSION_ENV)
            seed = self._seed_args()
            singles = [self._single(nox_session, failure, seed) for failure in self.failures]
            shown = [*github.error_annotations(self.failures, singles), *shown]
        for line in shown:
            if reporter is not None:
                reporter.write_line(line)
            else:  # -p no:terminal: still say it
                print(line)  # noqa: T201

    def reproduce_lines(self, *, cap: int | None = None) -> list[str]:
        """The `reproduce with:` block for this run (always its last lines): the replay of
        the first failing worker's order, then one command per failing test, each on its
        backend with the run's seed. With `cap`, at most that many of those, then where the
        rest are (reproduce.txt lists them all)."""
        nox_session = os.environ.get(NOX_SESSION_ENV)
        seed = self._seed_args()
        if not self.failures:
            # Tests ran, none failed, yet the run failed (e.g. a selected backend ran no
            # test): the same invocation with the same seed (or replay) reproduces it.
            return ["reproduce with:", f"  {self._rerun(nox_session, seed)}"]
        first = self.failures[0]
        replay = replay_command(nox_session, self._shown(self.order_file(first.worker)))
        singles = [f"  {self._single(nox_session, failure, seed)}" for failure in self.failures]
        if cap is not None and len(singles) > cap:
            rest = len(singles) - cap
            where = self._shown(self.run_dir / REPRODUCE_FILE)
            singles = [*singles[:cap], f"  ... and {rest} more: every one is in {where}"]
        others = sorted({f.worker for f in self.failures if f.worker and f.worker != first.worker})
        notes = [f"(tests failed on {w} too: {self._shown(self.order_file(w))})" for w in others]
        heading = (
            "just the failing test:"
            if len(self.failures) == 1
            else (f"just the failing tests ({len(self.failures)}), one by one:")
        )
        return [*notes, "reproduce with:", f"  {replay}", heading, *singles]

    def _seed_args(self) -> list[str]:
        return [f"--randomly-seed={self.seed}"] if self.seed is not None else ["-p", "no:randomly"]

    def _single(self, nox_session: str | None, failure: Failure, seed: list[str]) -> str:
        if nox_session:
            return nox_line(*single_test_session(nox_session, failure, seed))
        backend = [f"--dualstore-backend={failure.backend}"] if failure.backend else []
        return python_line(["-p", "no:xdist", *backend, *seed, failure.nodeid])

    def _rerun(self, nox_session: str | None, seed: list[str]) -> str:
        if self.replaying is not None:
            return replay_command(nox_session, self._shown(self.replaying))
        args = [*without_seed(redacted(self.config.invocation_params.args)), *seed]
        # A nox session's own options come again with its extra args; they repeat harmlessly.
        return nox_line(nox_session, args) if nox_session else python_line(args)

    def order_file(self, worker: str | None) -> Path:
        name = f"{ORDER_BASE}-{worker}.txt" if worker else f"{ORDER_BASE}.txt"
        return self.run_dir / name

    def _shown(self, path: Path) -> str:
        """Paths relative to the rootdir, where nox sessions and nodeids start from."""
        try:
            return str(path.resolve().relative_to(self.config.rootpath.resolve()))
        except ValueError:
            return str(path)


def replay_command(nox_session: str | None, order_file: str) -> str:
    """The command that replays `order_file` (in one process, with the recorded seed)."""
    if nox_session:
        return nox_line("repro", [order_file])
    return python_line([f"--replay={order_file}"])


def prune_runs(runs_dir: Path, *, keep: int, current: Path) -> None:
    """Remove all but the `keep` newest run directories (run ids sort by start time).

    Only directories named by a run id are candidates: `--dualstore-run-dir` may point into a
    directory that holds other things too."""
    runs = sorted(
        (
            p
            for p in runs_dir.iterdir()
            if p != current and run_started_at(p.name) is not None and p.is_dir()
        ),
        reverse=True,
    )
    for old in runs[max(0, keep - 1) :]:
        shutil.rmtree(old, ignore_errors=True)


def backends_of_run(config: pytest.Config) -> list[str]:
    """The backends this run selected (empty when the harness is not loaded)."""
    run = config.stash.get(RUN_INFO, None)
    return list(run.backends) if run is not None else []
