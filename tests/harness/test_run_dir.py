"""The run directory (test order, run.json, reproduce.txt): a place where it cannot be
created is a usage error naming it and the option that moves it, never an INTERNALERROR;
`--dualstore-run-dir` / `dualstore_run_dir` / `DUALSTORE_RUN_DIR` moves it.

(Tests run as root here, so a read-only directory would not stop them: the unusable places
are a file where a directory should be, and a path under a file.)"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dualstore.repro import KEEP_RUNS
from tests.harness.conftest import run_id_of

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

FAILING = "def test_fails(db):\n    assert False\n\ndef test_passes(db):\n    pass\n"
MOVED_BY = "--dualstore-run-dir DIR (ini dualstore_run_dir, env DUALSTORE_RUN_DIR)"


def assert_usage_error(result: pytest.RunResult, blocker: Path, run_dir_glob: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "INTERNALERROR" not in output
    assert " passed" not in output
    result.stderr.fnmatch_lines(
        [
            f"ERROR: dualstore: cannot create the run directory {run_dir_glob}: {blocker} is "
            f"a file, not a directory. * Fix: remove or rename {blocker}, or move the run "
            f"directories with {MOVED_BY}."
        ]
    )


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_file_in_place_of_dot_dualstore_is_a_usage_error(
    inner: Inner, workers: list[str]
) -> None:
    inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
    blocker = inner.pytester.path / ".dualstore"
    blocker.write_text("not a directory")
    result = inner.run("--backend", "sqlite", *workers)
    assert_usage_error(result, blocker, f"{blocker}/runs/*")


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_run_dir_under_a_file_is_a_usage_error(inner: Inner, how: str) -> None:
    inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
    blocker = inner.pytester.path / "notes.txt"
    blocker.write_text("a file")
    target = str(blocker / "runs")
    if how == "flag":
        result = inner.run("--backend", "sqlite", "--dualstore-run-dir", target)
    else:
        result = inner.run("--backend", "sqlite", env={"DUALSTORE_RUN_DIR": target})
    assert_usage_error(result, blocker, f"{target}/*")


def test_help_needs_no_run_dir(inner: Inner) -> None:
    """`pytest --help` is how one finds --dualstore-run-dir: it must work where runs cannot."""
    (inner.pytester.path / ".dualstore").write_text("not a directory")
    result = inner.run("--help")
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["*--dualstore-run-dir=DIR*"])


@pytest.mark.parametrize("how", ["flag", "env", "ini"])
def test_run_dir_option_moves_the_records(inner: Inner, how: str) -> None:
    project = inner.pytester.path
    elsewhere = project / "records"
    # Not only runs live there: pruning old runs touches run directories only.
    keep = elsewhere / "keep-me"
    keep.mkdir(parents=True)
    old = [elsewhere / f"20200101T0000{n:02d}_abcd" for n in range(KEEP_RUNS + 2)]
    for path in old:
        path.mkdir()
    inner.pytester.makepyfile(test_fails=FAILING)
    args: list[str] = ["--backend", "sqlite", "-n", "2"]
    env: dict[str, str] = {}
    if how == "flag":
        args += ["--dualstore-run-dir", "records"]  # relative to the current directory
    elif how == "env":
        env["DUALSTORE_RUN_DIR"] = str(elsewhere)
    else:
        inner.pytester.makeini("[pytest]\ndualstore_run_dir = records\n")  # relative to the rootdir
    result = inner.run(*args, env=env)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str() + result.stderr.str()
    run_dir = elsewhere / run_id_of(result)
    assert json.loads((run_dir / "run.json").read_text())["backends"] == ["sqlite"]
    # The workers' order files are there too, and the printed replay names one of them.
    assert sorted(p.name for p in run_dir.glob("order-gw*.txt"))
    lines = [line for line in result.outlines if line.strip()]
    replay = shlex.split(lines[lines.index("reproduce with:") + 1])
    order_file = project / replay[3].removeprefix("--replay=")
    assert order_file.parent == run_dir
    assert order_file.is_file()
    assert (run_dir / "reproduce.txt").is_file()
    assert not (project / ".dualstore").exists()
    assert keep.is_dir()
    assert sum(path.is_dir() for path in old) == KEEP_RUNS - 1
