"""Whole pytest runs, timed from outside (`python -m pytest` in a subprocess).

per_test_runs   the same small test module (N tests: a workspace, a document, 3 blocks,
                3 reads) under this harness (`db`: the worker's store, rolled back) and
                under pytest-postgresql's per-test `postgresql` fixture (noproc, on the
                same server; a template database migrated with this repo's migrations,
                cloned for every test; the test's `db` is storage.connect() to it).
                The per-test figure is each test's own time from the JUnit XML (setup,
                call and teardown), the first test of a run left out (it pays for the
                session's setup).
worker_runs     a backend's conformance suites with `-n 0` and with the sessions'
                default `-n auto`, whole runs (start-up, collection, workers and all).
"""

# ruff: noqa: S603  (runs this interpreter's pytest on files this module wrote)

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.measure import Sample, interleaved
from dualstore.runinfo import new_run_id

ROOT = Path(__file__).resolve().parents[1]
#: what an inner run must not inherit: options meant for the outer run, another server
_NOT_INHERITED = ("PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS", "PYTEST_PLUGINS")

TEST_MODULE = """
import pytest
from storage.api import NewBlock, WriteContext

ACTOR = WriteContext.human("bench")

@pytest.mark.parametrize("n", range({tests}))
def test_workspace_document_blocks(db, n):
    workspace = db.create_workspace(f"bench {{n}}", ACTOR)
    document = db.create_document(workspace.id, "bench", ACTOR)
    new = [NewBlock("paragraph", f"b{{i}}") for i in range(3)]
    blocks = [db.create_block(document.id, block, ACTOR) for block in new]
    assert db.get_document(document.id) is not None
    assert len(db.list_blocks(document.id)) == 3
    assert db.get_block(blocks[0].id) is not None
"""
OURS_CONFTEST = 'pytest_plugins = ["suites.plugin"]\n'
THEIRS_CONFTEST = """
import pytest
import storage
from pytest_postgresql import factories


def _url(user, password, host, port, dbname):
    secret = f":{{password}}" if password else ""
    return f"postgresql://{{user}}{{secret}}@{{host}}:{{port}}/{{dbname}}"


def migrate(host, port, user, dbname, password, **_):
    db = storage.connect(_url(user, password, host, port, dbname))
    try:
        db.run_migrations()
    finally:
        db.close()


postgresql_noproc = factories.postgresql_noproc(
    host={host!r}, port={port!r}, user={user!r}, password={password!r}, dbname={dbname!r},
    load=[migrate],
)
postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture
def db(postgresql):
    info = postgresql.info
    database = storage.connect(_url(info.user, info.password, info.host, info.port, info.dbname))
    try:
        yield database
    finally:
        database.close()
"""


def inner_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_INHERITED and not k.startswith(("DUALSTORE_", "GITHUB_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def _pytest(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise RuntimeError(f"pytest {' '.join(args)} failed in {cwd}:\n{tail}")


def _test_times(junit: Path) -> list[float]:
    tree = ET.parse(junit)  # noqa: S314 - the file the run we started just wrote
    return [float(case.get("time", "0")) for case in tree.iter("testcase")]


def per_test_runs(url: str, tests: int, rounds: int) -> tuple[Sample, Sample, Sample, Sample]:
    """(ours per test, theirs per test, ours whole run, theirs whole run)."""
    parts = urlsplit(url)
    with tempfile.TemporaryDirectory(prefix="dualstore-bench-runs-") as tmp:
        base = Path(tmp)
        projects = {"ours": base / "ours", "theirs": base / "theirs"}
        dbname = f"bench_theirs_{new_run_id().lower()}"
        conftests = {
            "ours": OURS_CONFTEST,
            "theirs": textwrap.dedent(THEIRS_CONFTEST).format(
                host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                password=parts.password, dbname=dbname,
            ),
        }  # fmt: skip
        for name, project in projects.items():
            project.mkdir()
            (project / "conftest.py").write_text(conftests[name], encoding="utf-8")
            (project / "test_bench.py").write_text(
                textwrap.dedent(TEST_MODULE).format(tests=tests), encoding="utf-8"
            )
        common = ["-q", "-n", "0", "-p", "no:randomly", "-p", "no:cacheprovider"]
        per_test: dict[str, list[float]] = {"ours": [], "theirs": []}

        def run(name: str) -> None:
            junit = projects[name].parent / f"{name}.xml"
            if name == "ours":
                args = [*common, "-p", "no:pytest_postgresql", "--backend", "postgres"]
                env = inner_env(DUALSTORE_POSTGRES_URL=url)
            else:
                args, env = common, inner_env()
            _pytest([*args, f"--junitxml={junit}"], projects[name], env)
            per_test[name].extend(_test_times(junit)[1:])

        whole = interleaved(
            {"ours": lambda: run("ours"), "theirs": lambda: run("theirs")}, rounds, warmup=0
        )
    return (
        Sample(tuple(per_test["ours"])),
        Sample(tuple(per_test["theirs"])),
        whole["ours"],
        whole["theirs"],
    )


def worker_runs(
    backend: str, url: str, rounds: int, paths: tuple[str, ...] = ("suites",)
) -> tuple[Sample, Sample]:
    """(-n 0, -n auto): whole runs of `paths` on one backend, interleaved."""
    env = inner_env(DUALSTORE_POSTGRES_URL=url) if backend == "postgres" else inner_env()
    args = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--backend", backend, *paths]
    samples = interleaved(
        {
            "-n 0": lambda: _pytest(["-n", "0", *args], ROOT, env),
            "-n auto": lambda: _pytest(["-n", "auto", *args], ROOT, env),
        },
        rounds,
        warmup=0,
    )
    return samples["-n 0"], samples["-n auto"]
