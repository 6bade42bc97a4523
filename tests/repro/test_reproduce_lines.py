"""What the repro plugin records and prints, on passing and failing runs (pytester projects
without a database; see conftest.py)."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import shlex
import sys
from pathlib import Path

import pytest

from dualstore.repro import KEEP_RUNS

# Two modules so that xdist has something to split; `test_fails` always fails.
PASSING = """
def test_one():
    pass

def test_two():
    pass
"""
FAILING = """
def test_fails():
    assert 1 + 1 == 3, "arithmetic is broken"

def test_passes():
    pass
"""
# Fails with a message that shows the random value it drew: a replay with the recorded seed
# draws the same value.
RANDOM_DRAW = """
import random

def test_draw():
    assert False, f"drew {random.random()!r}"
"""


def run_dirs(project: Path) -> list[Path]:
    return sorted((project / ".dualstore" / "runs").iterdir())


def block_of(lines: list[str]) -> list[str]:
    """The output from the last `reproduce with:` line on (the notes before it included)."""
    start = max(i for i, line in enumerate(lines) if line == "reproduce with:")
    return [line for line in lines[start:] if line.strip()]


def started(order_file: Path) -> list[str]:
    return list(
        dict.fromkeys(json.loads(line)["nodeid"] for line in order_file.read_text().splitlines())
    )


def test_passing_run_records_order_and_prints_nothing(repro_project: pytest.Pytester) -> None:
    repro_project.makepyfile(test_a=PASSING, test_b=FAILING.replace("1 + 1 == 3", "True"))
    result = repro_project.runpytest_subprocess("-n", "2", "-p", "randomly", "--randomly-seed=41")
    result.assert_outcomes(passed=4)
    assert "reproduce with:" not in result.stdout.str()
    [run_dir] = run_dirs(repro_project.path)
    assert not (run_dir / "reproduce.txt").exists()
    recording = json.loads((run_dir / "run.json").read_text())
    assert recording["seed"] == 41
    assert recording["workers"] == 2
    assert recording["args"][-1] == "--randomly-seed=41"
    # Every test is in exactly one worker's order file.
    orders = [started(path) for path in sorted(run_dir.glob("order-gw*.txt"))]
    assert sorted(nodeid for order in orders for nodeid in order) == [
        "test_a.py::test_one",
        "test_a.py::test_two",
        "test_b.py::test_fails",
        "test_b.py::test_passes",
    ]


def test_failing_run_ends_with_the_commands(repro_project: pytest.Pytester) -> None:
    repro_project.makepyfile(test_a=PASSING, test_b=FAILING)
    result = repro_project.runpytest_subprocess("-n", "2", "-p", "randomly", "--randomly-seed=7")
    result.assert_outcomes(passed=3, failed=1)
    lines = [line for line in result.outlines if line.strip()]
    [run_dir] = run_dirs(repro_project.path)
    replay_line, single_line = lines[-3], lines[-1]
    assert lines[-4:] == ["reproduce with:", replay_line, "just the failing test:", single_line]
    # The same lines are kept for CI to upload.
    assert (run_dir / "reproduce.txt").read_text().splitlines() == lines[-4:]

    replay = shlex.split(replay_line)
    assert replay[:3] == ["python", "-m", "pytest"]
    order_file = repro_project.path / replay[3].removeprefix("--replay=")
    assert order_file.parent == run_dir
    # The order file named is the one of the worker that ran (and failed) the test.
    outcomes = [json.loads(line) for line in order_file.read_text().splitlines()]
    assert {"nodeid": "test_b.py::test_fails", "outcome": "failed"}.items() <= next(
        o for o in outcomes if o["nodeid"] == "test_b.py::test_fails" and "outcome" in o
    ).items()
    assert shlex.split(single_line) == [
        "python", "-m", "pytest", "-p", "no:xdist", "--randomly-seed=7", "test_b.py::test_fails",
    ]  # fmt: skip


def test_under_nox_the_commands_are_nox_sessions(
    repro_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOX_CURRENT_SESSION", "tests-sqlite")
    repro_project.makepyfile(test_b=FAILING)
    result = repro_project.runpytest_subprocess("-p", "randomly", "--randomly-seed=5")
    result.assert_outcomes(passed=1, failed=1)
    [run_dir] = run_dirs(repro_project.path)
    shown = run_dir.relative_to(repro_project.path)
    assert block_of(result.outlines) == [
        "reproduce with:",
        f"  nox -s repro -- {shown}/order.txt",
        "just the failing test:",
        # not backend-parametrized: the session the run came from
        f"  nox -s tests-sqlite-{sys.version_info.major}.{sys.version_info.minor} -- -n0 "
        "--randomly-seed=5 test_b.py::test_fails",
    ]


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ([], pytest.ExitCode.INTERRUPTED),  # a collection error stops the run
        (["--continue-on-collection-errors", "-k", "nomatch"], pytest.ExitCode.TESTS_FAILED),
        (["-k", "nomatch", "--ignore=test_broken.py"], pytest.ExitCode.NO_TESTS_COLLECTED),
    ],
    ids=["collection-error", "collection-error-nothing-selected", "nothing-selected"],
)
def test_a_run_on_which_no_test_ran_prints_no_commands(
    repro_project: pytest.Pytester, args: list[str], status: pytest.ExitCode
) -> None:
    """Nothing ran, so there is no order to replay: the run's own error ends the output."""
    repro_project.makepyfile(test_a=PASSING, test_broken="raise RuntimeError('import-time')")
    result = repro_project.runpytest_subprocess("-p", "randomly", "--randomly-seed=9", *args)
    assert result.ret == status, result.stdout.str()
    assert "reproduce with:" not in result.stdout.str() + result.stderr.str()
    [run_dir] = run_dirs(repro_project.path)
    assert (run_dir / "run.json").is_file()
    assert not (run_dir / "reproduce.txt").exists()


def test_tests_passed_but_the_run_failed_reproduces_the_invocation(
    repro_project: pytest.Pytester,
) -> None:
    """Tests ran and none failed, yet the run failed: the invocation is the reproduction."""
    repro_project.makepyfile(test_a=PASSING, test_broken="raise RuntimeError('import-time')")
    result = repro_project.runpytest_subprocess(
        "-p", "randomly", "--randomly-seed", "9", "-q", "--continue-on-collection-errors"
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    [heading, command] = block_of(result.outlines)
    assert heading == "reproduce with:"
    # (pytester adds its plugins' -p options and --basetemp; the seed option moves to the
    # end, in one piece)
    shown = shlex.split(command)[3:]
    assert shown[: 2 * len(repro_project.plugins)] == [
        arg for plugin in reversed(repro_project.plugins) for arg in ("-p", plugin)
    ]
    assert shown[2 * len(repro_project.plugins)].startswith("--basetemp=")
    assert shown[2 * len(repro_project.plugins) + 1 :] == [
        "-p", "randomly", "-q", "--continue-on-collection-errors", "--randomly-seed=9",
    ]  # fmt: skip


def test_replay_uses_the_recorded_seed_in_one_process(repro_project: pytest.Pytester) -> None:
    repro_project.makepyfile(test_a=PASSING, test_draw=RANDOM_DRAW)
    first = repro_project.runpytest_subprocess("-n", "2", "-p", "randomly", "--randomly-seed=77")
    first.assert_outcomes(passed=2, failed=1)
    [drawn] = [line for line in first.outlines if line.startswith("E ") and "drew" in line]
    replay_args = shlex.split(block_of(first.outlines)[1])[3:]

    # No seed and a worker count given: the seed comes from run.json, xdist is turned off.
    again = repro_project.runpytest_subprocess(*replay_args, "-n", "2")
    assert again.parseoutcomes()["failed"] == 1
    assert [line for line in again.outlines if line.startswith("E ") and "drew" in line] == [drawn]
    again.stdout.fnmatch_lines(["replaying .dualstore/runs/*/order-gw*.txt in one process"])
    assert "workers" not in again.stdout.str()


def test_only_the_newest_run_directories_are_kept(repro_project: pytest.Pytester) -> None:
    runs = repro_project.path / ".dualstore" / "runs"
    old = [runs / f"20200101T0000{n:02d}_abcd" for n in range(40)]
    for path in old:
        path.mkdir(parents=True)
        (path / "run.json").write_text("{}")
    repro_project.makepyfile(test_a=PASSING)
    repro_project.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=2)
    kept = run_dirs(repro_project.path)
    assert len(kept) == KEEP_RUNS
    # The new run (its id starts with today's date) and the newest of the old ones.
    assert kept[:-1] == old[-(KEEP_RUNS - 1) :]
    assert (kept[-1] / "run.json").read_text() != "{}"


def test_every_failing_test_gets_its_own_command(repro_project: pytest.Pytester) -> None:
    """Two failures in one process: two single-test commands, each with the run's seed."""
    repro_project.makepyfile(
        test_two="def test_first():\n    assert False\n\ndef test_second():\n    assert False\n"
    )
    result = repro_project.runpytest_subprocess("-p", "randomly", "--randomly-seed=7")
    result.assert_outcomes(failed=2)
    block = block_of(result.outlines)
    assert block[2] == "just the failing tests (2), one by one:"
    singles = sorted(shlex.split(line) for line in block[3:])
    assert singles == [
        ["python", "-m", "pytest", "-p", "no:xdist", "--randomly-seed=7", f"test_two.py::{name}"]
        for name in ("test_first", "test_second")
    ]


def test_many_failures_are_capped_on_the_terminal_and_all_in_the_file(
    repro_project: pytest.Pytester,
) -> None:
    repro_project.makepyfile(
        test_many="import pytest\n\n@pytest.mark.parametrize('n', range(12))\n"
        "def test_fails(n):\n    assert False\n"
    )
    result = repro_project.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=12)
    block = block_of(result.outlines)
    [run_dir] = run_dirs(repro_project.path)
    assert block[2] == "just the failing tests (12), one by one:"
    assert len(block[3:]) == 11  # ten commands, then where the rest are
    assert block[-1] == (
        f"  ... and 2 more: every one is in .dualstore/runs/{run_dir.name}/reproduce.txt"
    )
    listed = (run_dir / "reproduce.txt").read_text().splitlines()
    assert sum("test_many.py::test_fails[" in line for line in listed) == 12


def test_run_json_records_what_a_replay_needs_and_the_replay_warns_of_differences(
    repro_project: pytest.Pytester,
) -> None:
    repro_project.makepyfile(test_b=FAILING)
    first = repro_project.runpytest_subprocess("-p", "randomly", "--randomly-seed=5")
    first.assert_outcomes(passed=1, failed=1)
    [run_dir] = run_dirs(repro_project.path)
    recording = json.loads((run_dir / "run.json").read_text())
    assert recording["python"] == platform.python_version()
    assert recording["packages"]["pytest"] == importlib.metadata.version("pytest")
    # the same environment replays without a warning
    replay_args = shlex.split(block_of(first.outlines)[1])[3:]
    same = repro_project.runpytest_subprocess(*replay_args)
    assert "differs from the recorded run" not in same.stdout.str()
    # a recording made with another pytest and Python: the replay says so, and still runs
    recording["packages"]["pytest"] = "0.0.1"
    recording["python"] = "3.0.0"
    (run_dir / "run.json").write_text(json.dumps(recording))
    other = repro_project.runpytest_subprocess(*replay_args)
    assert other.parseoutcomes()["failed"] == 1
    other.stdout.fnmatch_lines(
        [
            "dualstore: warning: this environment differs from the recorded run's:",
            f"  Python {platform.python_version()} here, 3.0.0 in the run",
            f"  pytest {importlib.metadata.version('pytest')} here, 0.0.1 in the run",
        ]
    )
