"""Developer and CI sessions. Sessions only pick options and call tools; logic lives in
`dualstore` (the pytest plugin) and `ci/` (audits). `./nox` runs nox (installed on
first use into .venv, with uv); `nox -l` lists the sessions."""

# Three things hold for every session, each kept in one place here:
# - What a session installs is a row of `INSTALLS`; `repro` reads the recorded session from
#   the run's run.json and installs that same row, so a replay has what the run had.
# - A URL given as an argument (`--postgres-url`, reap's `--url`) moves into the environment
#   before the command runs: nox echoes every command line (and repeats it when the command
#   fails), never the environment, and a URL may carry a password.
# - The per-backend test sessions run on every Python pyproject's classifiers declare
#   (`tests-sqlite-3.12`; `tests-sqlite` is all of them). The other sessions run on the
#   interpreter nox runs on, or on the one asked for with `--force-python X`, which must
#   satisfy pyproject's requires-python. A Python that is asked for and missing fails the
#   session (never a silent skip), and none is ever downloaded.

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import nox
from packaging.specifiers import SpecifierSet

sys.path.insert(0, str(Path(__file__).parent))  # (nox's own environment has only nox and uv)
from ci.noxsupport import Recordings, require_python, urls_to_env

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck", "audit"]
nox.options.reuse_existing_virtualenvs = True
# A session whose Python is not installed fails (nox's default skips it and exits 0, which
# outside CI reads as a pass with no test run).
nox.options.error_on_missing_interpreters = True
# ... and is never fetched from elsewhere: the Pythons a run uses are the machine's own.
nox.options.download_python = "never"

PYPROJECT = nox.project.load_toml("pyproject.toml")
REQUIRES_PYTHON = SpecifierSet(PYPROJECT["project"]["requires-python"])
#: the Pythons the per-backend test sessions run on: those pyproject's classifiers declare
PYTHONS = nox.project.python_versions(PYPROJECT)

#: the environment variable that names the `INSTALLS` row of the environment pytest runs in;
#: the harness records it in run.json (dualstore/commands.py reads the same name)
RECORDED_SESSION_ENV = "DUALSTORE_NOX_SESSION"
#: the arguments that carry a URL, and the environment variable each one moves to
URL_ARGS = {"--postgres-url": "DUALSTORE_POSTGRES_URL"}
REAP_URL_ARGS = {"--url": "DUALSTORE_URL"}


class Install(NamedTuple):
    """What a session installs: the project (with extras, editable) and dependency groups."""

    project: str | None
    groups: tuple[str, ...]


# The test sessions' installs; `repro` installs the row of the session it replays.
INSTALLS = {
    # no psycopg and no server: the embedded default must work without them
    "tests-sqlite": Install(".", ("test",)),
    "tests-postgres": Install(".[postgres]", ("test-postgres",)),
    # the harness's own tests need both backends' tooling, the audit's and the linters'
    "tests": Install(".[postgres]", ("test-postgres", "audit", "lint")),
}
#: the row a run.json that names no session gets (a run outside nox): everything
UNRECORDED = "tests"
#: the recorded test durations that pytest-split divides shards by (`nox -s durations`)
DURATIONS_FILE = ".test_durations"
#: every third-party package any session installs, pinned with its hashes, for every
#: declared Python (`nox -s lock` writes it): each session installs under it, so a replay
#: months later, or CI on another day, gets the packages this commit was tested with
LOCK_FILE = "constraints.txt"
#: the tools sessions (flake-hunt, reap, bench) run the harness's code: pytest, both backends
TOOLS = INSTALLS["tests-postgres"]


def _install(session: nox.Session, install: Install) -> None:
    require_python(session, REQUIRES_PYTHON)
    groups = [req for name in install.groups for req in _group(name)]
    project = ("-e", install.project) if install.project else ()
    session.install("--constraint", LOCK_FILE, *project, *groups)


def _group(name: str) -> tuple[str, ...]:
    return tuple(nox.project.dependency_groups(PYPROJECT, name))


def _recordings(session: nox.Session) -> Recordings:
    """Reads which `INSTALLS` row a recorded run had (run.json names it)."""
    return Recordings(session, INSTALLS, UNRECORDED)


# ----------------------------------------------------------------------------- tests
# One session per backend, each installing only what its backend needs, running the shared
# conformance suites. `tests` is the full suite: both backends, the suites and everything
# under tests/. Extra args after `--` go to pytest; naming a path there replaces the
# default paths. PostgreSQL: DUALSTORE_POSTGRES_URL (or `-- --postgres-url=...`, which is
# moved into that variable) selects a server; unset, the harness starts a throwaway one.


def _pytest(session: nox.Session, recorded: str, *args: str, paths: tuple[str, ...]) -> None:
    posargs = session.posargs
    names_a_path = any(
        Path(arg.split("::")[0]).exists() for arg in posargs if not arg.startswith("-")
    )
    # -n auto first: a later `-n 0` among the extra args wins. worksteal: a worker that runs
    # out of tests takes some of another's (the harness's tests last from 0.1 to 25 s).
    workers = ["-n", "auto", "--dist", "worksteal"]
    _run_pytest(session, recorded, [*workers, *args, *(() if names_a_path else paths), *posargs])


def _run_pytest(session: nox.Session, recorded: str, args: list[str]) -> None:
    """pytest in an environment that has `INSTALLS[recorded]`, which the harness records in
    run.json (a replay installs the same); a `--postgres-url` goes in the environment."""
    args, env = urls_to_env(args, URL_ARGS)
    env[RECORDED_SESSION_ENV] = recorded
    session.run("pytest", *args, env=env)


@nox.session(name="tests-sqlite", python=PYTHONS)
def tests_sqlite(session: nox.Session) -> None:
    """Conformance suites on SQLite (embedded; needs neither psycopg nor a server)."""
    _install(session, INSTALLS["tests-sqlite"])
    _pytest(session, "tests-sqlite", "--backend", "sqlite", paths=("suites",))


@nox.session(name="tests-postgres", python=PYTHONS)
def tests_postgres(session: nox.Session) -> None:
    """Conformance suites on PostgreSQL: DUALSTORE_POSTGRES_URL, else a throwaway server."""
    _install(session, INSTALLS["tests-postgres"])
    _pytest(session, "tests-postgres", "--backend", "postgres", paths=("suites",))


@nox.session
def tests(session: nox.Session) -> None:
    """Full test suite on both backends: the suites plus tests/ (harness, CI, faults)."""
    _install(session, INSTALLS["tests"])
    _pytest(session, "tests", paths=("suites", "tests"))


@nox.session
def durations(session: nox.Session) -> None:
    """Record every test's duration in .test_durations, which shards are split by.

    `nox -s durations` runs the full suite on both backends (as `tests`), one process so
    that no test's time includes another's, and rewrites the file (tests that are gone
    are dropped). Commit the result; a test without a duration counts as the average."""
    _install(session, INSTALLS["tests"])
    args = ["-n", "0", "--store-durations", "--clean-durations", "--durations-path"]
    _run_pytest(session, "tests", [*args, DURATIONS_FILE, "suites", "tests", *session.posargs])


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Re-resolve constraints.txt, the pins every session installs under.

    `nox -s lock` after changing a dependency in pyproject.toml (the pins that still fit
    are kept); `nox -s lock -- --upgrade` moves every package to its newest version, and
    `-- --upgrade-package NAME` one. Commit the result with the change that needed it."""
    found, uv, _ = nox.virtualenv.find_uv()
    if not found:
        session.error("the lock is resolved with uv: install uv (./nox has it)")
    groups = [arg for name in PYPROJECT["dependency-groups"] for arg in ("--group", name)]
    session.run(
        uv, "pip", "compile", "pyproject.toml", "--all-extras", *groups, "--universal",
        "--python-version", PYTHONS[0], "--generate-hashes", "--quiet",
        "--custom-compile-command", "nox -s lock",
        "--output-file", LOCK_FILE, *session.posargs,
    )  # fmt: skip


# ----------------------------------------------------------------------------- fuzz
#: the differential suite, and the hypothesis profile of its large budget (suites/_profiles.py)
FUZZ_TEST = "suites/test_differential.py"
FUZZ_PROFILE = "dualstore-fuzz"


@nox.session
def fuzz(session: nox.Session) -> None:
    """The differential suite with a large budget: 2,000 random call sequences on both.

    `nox -s fuzz -- [pytest args]` runs suites/test_differential.py on SQLite and
    PostgreSQL side by side with the hypothesis profile `dualstore-fuzz` (suites/_profiles.py;
    `nox -s tests` runs it with a small one). Found examples are kept in .hypothesis/, so a
    difference found once is replayed first by the next run. Installs what `tests` does.
    Minutes, not seconds: run it by hand or on a schedule, not in CI."""
    _install(session, INSTALLS["tests"])
    # (-p hypothesispytest: pyproject's addopts leave hypothesis's plugin out, and its
    # --hypothesis-profile option with it)
    args = ["-n", "0", "--timeout", "3600", "-p", "hypothesispytest"]
    args += [f"--hypothesis-profile={FUZZ_PROFILE}", FUZZ_TEST]
    _run_pytest(session, "tests", [*args, *session.posargs])


# ----------------------------------------------------------------------------- reproduce
# (the logic is in dualstore/repro.py, flakehunt.py and diagnose/; these only pass args)
@nox.session
def repro(session: nox.Session) -> None:
    """Replay a recorded test order file: same seed, backends and installs, in one process.

    `nox -s repro -- .dualstore/runs/<run id>/order-gw1.txt`, as printed under `reproduce
    with:` by a failed run (a downloaded CI artifact works too); extra args go to pytest.
    Installs what the recorded session had (run.json beside the file names it)."""
    if not session.posargs:
        session.error("usage: nox -s repro -- <order file> [pytest args]")
    order_file, *pytest_args = session.posargs
    recorded = _recordings(session).of_order_file(Path(order_file))
    _install(session, INSTALLS[recorded])
    # recorded again under the same row: a failing replay's own replay installs the same
    _run_pytest(session, recorded, [f"--replay={order_file}", *pytest_args])


@nox.session(name="flake-hunt")
def flake_hunt(session: nox.Session) -> None:
    """Rerun tests with new seeds and worker counts until one fails; diagnose that run and
    print its reproduce line.

    `nox -s flake-hunt -- [--max-runs N] [--workers 0,2,4,auto] [--no-diagnose] [test ids]`
    (env DUALSTORE_FLAKE_MAX_RUNS); other args go to pytest, e.g. `--backend sqlite`."""
    _install(session, TOOLS)
    args, env = urls_to_env(session.posargs, URL_ARGS)
    session.run("python", "-m", "dualstore.flakehunt", *args, env=env)


@nox.session
def diagnose(session: nox.Session) -> None:
    """Tell why each test of a failed run failed, with the command that shows it.

    `nox -s diagnose -- <run dir | order file | CI artifact .zip> [--runs N] [--max-runs N]
    [--time-budget SECONDS]`: order-dependent (naming the earlier tests that break it),
    timing/random, backend-specific or environment. Installs what the recorded session had
    (run.json names it), like `repro`; PostgreSQL as for the test sessions."""
    if not session.posargs:
        session.error("usage: nox -s diagnose -- <run dir | order file | artifact .zip>")
    args, env = urls_to_env(session.posargs, URL_ARGS)
    target = next((Path(arg) for arg in args if Path(arg).exists()), None)
    recorded = _recordings(session).of_target(target) if target else UNRECORDED
    _install(session, INSTALLS[recorded])
    session.run("python", "-m", "dualstore.diagnose", *args, env=env)


@nox.session
def reap(session: nox.Session) -> None:
    """Drop the schemas that dead test runs left on a PostgreSQL server.

    `DUALSTORE_URL=postgresql://user@host/db nox -s reap -- [--older-than SECONDS]` (or
    `-- --url URL`, moved into DUALSTORE_URL): the `dualstore_<run id>_<worker>` schemas
    of runs that are no longer alive."""
    _install(session, TOOLS)  # the reaper is the test harness's (dualstore's) code
    args, env = urls_to_env(session.posargs, REAP_URL_ARGS)
    session.run("dualstore-reap", *args, env=env)


@nox.session
def bench(session: nox.Session) -> None:
    """Measure the performance goals side by side: one table of PASS/FAIL, JSON and a chart in
    .dualstore/bench/<timestamp>/ (README "Performance").

    `nox -s bench -- [--quick] [--skip GROUP] [--out DIR]`; PostgreSQL is
    DUALSTORE_POSTGRES_URL's server or a throwaway one. For comparing changes, not a gate."""
    _install(session, Install(TOOLS.project, (*TOOLS.groups, "bench")))
    found, uv, _ = nox.virtualenv.find_uv()
    if not found:
        session.error("the start-up benchmark builds its venvs with uv: install uv (./nox has it)")
    args, env = urls_to_env(session.posargs, URL_ARGS)
    session.run("python", "-m", "benchmarks", "--uv", uv, *args, env=env)


# ----------------------------------------------------------------------------- quality
@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check; actionlint, shellcheck and JSON-schema checks of CI files."""
    _install(session, Install(None, ("lint",)))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    workflow, compose = ".github/workflows/ci.yml", "docker-compose.test.yml"
    # shellcheck comes from the lint group (checks `run:` scripts); no Python steps to pyflake
    session.run("actionlint", "-pyflakes=", workflow)
    session.run("shellcheck", "nox", ".ci/run")
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", workflow)
    session.run("check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose)
    dependabot = ".github/dependabot.yml"
    session.run("check-jsonschema", "--builtin-schema", "vendor.dependabot", dependabot)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the storage package, the harness (dualstore), the CI audit and the
    noxfile."""
    _install(session, Install(".[postgres]", ("typecheck",)))
    session.run(
        "mypy",
        "--strict",
        "storage",
        "dualstore",
        "suites/plugin.py",
        "benchmarks",
        "ci",
        "noxfile.py",
    )


# ----------------------------------------------------------------------------- audit
@nox.session
def audit(session: nox.Session) -> None:
    """Storage-access and SQL-portability audit (DB001-DB006) of this tree.

    Its own tests (tests/ci: each rule catches a planted violation, the CI files are
    valid) are part of the full suite, `nox -s tests`. Extra args go to the audit."""
    _install(session, Install(None, ("audit",)))
    session.run("python", "-m", "ci.audit_db_access", *session.posargs)


# ----------------------------------------------------------------------------- mutation
#: added to each mutant's pytest run (see `mutate`): a shorter per-test timeout and one
#: SQLite test that always runs
MUTATE_PYTEST_ADDOPTS = "--timeout=30 suites/test_health.py::test_ping_answers"


@nox.session
def mutate(session: nox.Session) -> None:
    """Mutation testing: mutmut over the storage core and the URL code; score per module.

    `nox -s mutate -- [storage/url.py ...] [--max-children N]` (default 2). Mutants run
    against the SQLite suites and tests/storage (pyproject's [tool.mutmut]); results are
    kept in mutants/, so a second run only tests what changed. Naming modules reruns every
    mutant of those. Slow (tens of minutes): before a release or on a schedule, not in CI."""
    # [postgres] and the group's test-postgres: tests/storage checks the PostgreSQL URL
    # handling too, one test on a throwaway server (the mutants run on SQLite)
    _install(session, Install(".[postgres]", ("mutate",)))
    args = list(session.posargs)
    children = "2"
    if "--max-children" in args:
        at = args.index("--max-children")
        if at + 1 >= len(args):
            session.error("usage: nox -s mutate -- [module paths] [--max-children N]")
        children = args[at + 1]
        del args[at : at + 2]
    globs = [_module_glob(session, path) for path in args]
    # One SQLite test in every mutant's run: mutmut runs only the tests that reach the
    # mutated function, and a run in which the selected backend ran nothing fails (which
    # would count every mutant only backend-free tests reach as killed). A mutant that
    # makes a test hang fails it after 30 s: mutmut's own limit counts CPU time, which a
    # test waiting on a lock does not use. (In the environment, not in [tool.mutmut]:
    # changing mutmut's pytest arguments discards every result it has kept.)
    env = {"PYTEST_ADDOPTS": MUTATE_PYTEST_ADDOPTS}
    session.run("mutmut", "run", "--max-children", children, *globs, env=env)
    session.run("python", "-m", "ci.mutation_report", *args)


def _module_glob(session: nox.Session, path: str) -> str:
    """The mutmut name pattern of every mutant of `path` (storage/url.py -> storage.url.*)."""
    if not path.endswith(".py") or not Path(path).is_file():
        session.error(f"{path}: not a module path; name one as storage/url.py")
    return path.removesuffix(".py").replace("/", ".") + ".*"
