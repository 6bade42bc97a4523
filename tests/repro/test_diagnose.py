"""End to end: `python -m dualstore.diagnose` on failed runs of temp projects, each with a
planted cause, recorded on both backends under xdist (the harness projects) or in one
process (the repro-only ones, see conftest.py). Each test runs the printed command that
shows the verdict, or checks the verdict's evidence, never only its wording.

The diagnoses' own last line says how many replays and seconds they took."""

from __future__ import annotations

import importlib.metadata
import json
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dualstore.flakehunt import reproduce_block
from tests.adopting import adopt, isolate

# The polluter leaves its backend's entry behind; the victim, 21 unrelated tests later in
# the same module (so on the same worker, with --dist loadfile), trips on it.
LEAK = "LEFT: dict[str, list[str]] = {}\n"
UNRELATED = 21
POLLUTED = "\n".join(
    [
        "import leak",
        "",
        "def test_polluter(db, backend):",
        "    leak.LEFT.setdefault(backend.name, []).append('left behind')",
        "",
        *(f"def test_unrelated_{n:02d}():\n    assert True\n" for n in range(UNRELATED)),
        "def test_victim(db, backend):",
        "    assert leak.LEFT.get(backend.name, []) == [], 'state left behind'",
        "",
    ]
)
# for the other worker
ELSEWHERE = "def test_elsewhere_one(db):\n    pass\n\ndef test_elsewhere_two(db):\n    pass\n"
# Fails on exactly every third call on its backend (a counter file per backend), so that it
# cannot flake by itself: the diagnosis's runs alone are its calls 4, 5 and 6.
EVERY_THIRD = """
from pathlib import Path

def test_every_third_call(db, backend):
    counter = Path(__file__).parent / f"calls-{backend.name}.txt"
    calls = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(calls))
    assert calls % 3, f"call {calls}: every third call fails"
"""
POSTGRES_ONLY = """
def test_assumes_sqlite(db, backend):
    assert "SQLite" in backend.server_version, "planted: holds on SQLite only"
"""
# Recorded under xdist with a seed; each module stays on one worker, in its written order
# (so the planted gap between polluter and victim holds whatever the seed).
RECORD = (
    "-n", "2", "--dist", "loadfile", "-p", "randomly", "--randomly-seed=5",
    "--randomly-dont-reorganize",
)  # fmt: skip


@pytest.fixture
def harness_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> pytest.Pytester:
    """A temp project that adopts the harness, on both backends (PostgreSQL: the outer run's
    server), with none of the outer run's identity."""
    isolate(monkeypatch)
    monkeypatch.setenv("DUALSTORE_POSTGRES_URL", pg_url)
    pytester.makepyfile(test_elsewhere=ELSEWHERE)
    adopt(pytester)
    return pytester


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def diagnose(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "dualstore.diagnose", *args], project)


def record(project: pytest.Pytester, *args: str) -> Path:
    """Run the project's tests (expecting failures); its run directory."""
    result = project.runpytest_subprocess(*args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    [run_dir] = (project.path / ".dualstore" / "runs").iterdir()
    return run_dir


def verdict(stdout: str, test: str) -> list[str]:
    """The verdict block of `test`: its `kind: test` line and the indented lines after."""
    lines = stdout.splitlines()
    [start] = [i for i, line in enumerate(lines) if line.endswith(f": {test}")]
    end = next(i for i, line in enumerate(lines[start + 1 :]) if not line.startswith("  "))
    return lines[start : start + 1 + end]


def printed_command(block: list[str]) -> list[str]:
    [line] = [line for line in block if line.startswith("  reproduce with: ")]
    argv = shlex.split(line.removeprefix("  reproduce with: "))
    assert argv[:3] == ["python", "-m", "pytest"], argv
    return [sys.executable, *argv[1:]]


def started(order_file: Path) -> list[str]:
    lines = order_file.read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys(json.loads(line)["nodeid"] for line in lines))


def test_a_polluter_twenty_tests_before_its_victim_is_named(
    harness_project: pytest.Pytester,
) -> None:
    harness_project.makepyfile(leak=LEAK, test_polluted=POLLUTED)
    run_dir = record(harness_project, *RECORD)
    victims = {b: f"test_polluted.py::test_victim[{b}]" for b in ("sqlite", "postgres")}
    polluters = {b: f"test_polluted.py::test_polluter[{b}]" for b in ("sqlite", "postgres")}
    [order_file] = [p for p in run_dir.glob("order-gw*.txt") if victims["sqlite"] in p.read_text()]
    order = started(order_file)
    for backend, victim in victims.items():
        assert order.index(victim) - order.index(polluters[backend]) > UNRELATED
    # Two failures: two single-test lines, each on its backend.
    listed = (run_dir / "reproduce.txt").read_text(encoding="utf-8").splitlines()
    assert listed[2] == "just the failing tests (2), one by one:"
    assert sorted(shlex.split(line)[-1] for line in listed[3:]) == sorted(victims.values())

    result = diagnose(harness_project.path, str(run_dir), "--runs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("diagnose: every failing test got a verdict")
    # The replays recorded elsewhere: the project's runs are as they were (none pruned).
    assert list(run_dir.parent.iterdir()) == [run_dir]
    assert not (harness_project.path / ".pytest_cache").exists()
    for backend, victim in victims.items():
        block = verdict(result.stdout, victim)
        assert block[0] == f"order-dependent: {victim}"
        assert block[1] == f"  `{polluters[backend]}` leaves state that breaks `{victim}`"
        command = printed_command(block)
        assert command[-2:] == [polluters[backend], victim]
        # The two tests, in this order, fail the victim the recorded way; alone it passes.
        pair = run(command, harness_project.path)
        assert pair.returncode == 1, pair.stdout
        assert f"FAILED {victim}" in pair.stdout
        assert "E       AssertionError: state left behind" in pair.stdout
        assert "1 failed, 1 passed" in pair.stdout
    assert "diagnose: [2/2] " in result.stderr  # progress goes to stderr


def test_a_test_that_fails_one_time_in_three_is_timing(harness_project: pytest.Pytester) -> None:
    harness_project.makepyfile(test_flaky=EVERY_THIRD)
    (harness_project.path / "calls-sqlite.txt").write_text("2")  # the recorded run: call 3
    run_dir = record(harness_project, *RECORD)
    # Diagnosed from the CI artifact as downloaded: a .zip of the run directories.
    artifact = harness_project.path / "dualstore-runs-harness.zip"
    with zipfile.ZipFile(artifact, "w") as archive:
        for path in run_dir.iterdir():
            archive.write(path, f"{run_dir.name}/{path.name}")
    flaky = "test_flaky.py::test_every_third_call[sqlite]"

    result = diagnose(harness_project.path, str(artifact), "--runs", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    block = verdict(result.stdout, flaky)
    assert block[0] == f"timing/random: {flaky}"
    assert block[1].startswith("  it fails 1 of 3 times alone on sqlite (3 runs made")
    assert (harness_project.path / "calls-sqlite.txt").read_text() == "6"
    # the header names the artifact and where its run goes once unpacked
    assert f"diagnose: .dualstore/runs/{run_dir.name} (from {artifact})" in result.stdout


def test_a_test_that_fails_only_on_postgres_is_backend_specific(
    harness_project: pytest.Pytester,
) -> None:
    harness_project.makepyfile(test_portable=POSTGRES_ONLY)
    run_dir = record(harness_project, *RECORD)
    failing = "test_portable.py::test_assumes_sqlite[postgres]"
    [order_file] = [p for p in run_dir.glob("order-gw*.txt") if failing in p.read_text()]

    result = diagnose(harness_project.path, str(order_file), "--runs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    block = verdict(result.stdout, failing)
    assert block[0] == f"backend-specific: {failing}"
    assert block[1] == (
        "  it fails on postgres and passes on sqlite: postgres 2 runs alone, all failed; "
        "sqlite 2 runs alone, all passed (same seed)"
    )
    single = run(printed_command(block), harness_project.path)
    assert single.returncode == 1
    assert f"FAILED {failing}" in single.stdout


def test_a_replay_that_cannot_reach_its_server_is_no_verdict_and_hides_the_password(
    harness_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    harness_project.makepyfile(test_portable=POSTGRES_ONLY)
    run_dir = record(harness_project, *RECORD)
    monkeypatch.setenv(
        "DUALSTORE_POSTGRES_URL", f"postgresql://me:hunter2@127.0.0.1:{closed_port}/x"
    )
    monkeypatch.setenv("DUALSTORE_DB_READY_TIMEOUT", "0.5")
    failing = "test_portable.py::test_assumes_sqlite[postgres]"

    result = diagnose(harness_project.path, str(run_dir), "--runs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    block = verdict(result.stdout, failing)
    assert block[0] == f"no verdict: {failing}"
    assert block[1].startswith(
        "  a replay could not run it: dualstore: backend 'postgres' is unavailable"
    )
    assert printed_command(block)[-1].startswith("--replay=.dualstore/runs/")
    assert result.stdout.splitlines()[-1].startswith(
        "diagnose: 1 of 1 failing tests could not be replayed ("
    )
    assert "hunter2" not in result.stdout + result.stderr


# Repro-only projects (no harness, no database): quick runs for what is not about backends.
POLLUTED_PAIR = {
    "shared": "STATE = []\n",
    "test_polluter": "import shared\n\ndef test_polluter():\n    shared.STATE.append(1)\n",
    "test_victim": "import shared\n\ndef test_victim():\n    assert shared.STATE == []\n",
}
PAIR = ("test_polluter.py::test_polluter", "test_victim.py::test_victim")


def test_a_hunted_failure_is_diagnosed_and_the_hunt_still_ends_with_its_commands(
    repro_project: pytest.Pytester,
) -> None:
    repro_project.makepyfile(**POLLUTED_PAIR)
    hunt = run(
        [sys.executable, "-m", "dualstore.flakehunt", "--max-runs", "8", "--first-seed", "1",
         "--diagnose-runs", "2"],
        repro_project.path,
    )  # fmt: skip
    assert hunt.returncode == 1, hunt.stdout + hunt.stderr
    block = verdict(hunt.stdout, PAIR[1])
    assert block[:2] == [
        f"order-dependent: {PAIR[1]}",
        f"  `{PAIR[0]}` leaves state that breaks `{PAIR[1]}`",
    ]
    assert printed_command(block)[-2:] == list(PAIR)
    # ... and the hunt's last lines are still the failing run's reproduce block
    assert hunt.stdout.rstrip().endswith(reproduce_block(hunt.stdout))
    assert reproduce_block(hunt.stdout).startswith("reproduce with:\n  python -m pytest --replay=")


@pytest.mark.parametrize(
    ("budget", "so_far"),
    [
        (["--runs", "1", "--max-runs", "1"], ["alone (unshuffled): failed 0 of 1 run"]),
        (["--runs", "3", "--max-runs", "2"], ["alone: failed 0 of 2 runs so far"]),
        (
            ["--runs", "1", "--max-runs", "2"],
            [
                "alone (unshuffled): failed 0 of 1 run",
                "fails after the 2 tests its process ran before it",
                "the search was down to the first 2 of 2 earlier tests",
            ],
        ),
    ],
    ids=["after-the-runs-alone", "during-the-runs-alone", "during-the-search"],
)
def test_a_spent_budget_is_no_verdict_with_what_was_found(
    repro_project: pytest.Pytester, budget: list[str], so_far: list[str]
) -> None:
    repro_project.makepyfile(**POLLUTED_PAIR, test_unrelated="def test_unrelated():\n    pass\n")
    run_dir = record(repro_project, "-p", "no:randomly")
    result = diagnose(repro_project.path, str(run_dir), *budget)
    assert result.returncode == 1, result.stdout + result.stderr
    replays = budget[-1]
    assert verdict(result.stdout, PAIR[1]) == [
        f"no verdict within budget: {PAIR[1]}",
        *(f"  {line}" for line in so_far),
        f"  stopped: the run budget ({replays} replay{'s' if replays != '1' else ''}) is spent",
    ]
    assert result.stdout.splitlines()[-1].startswith(
        "diagnose: no verdict within budget for 1 of 1 failing tests ("
    )


ENVIRONMENT_ONLY = """
import os

def test_needs_the_ci_runner():
    assert not os.environ.get("PLANTED_ON_CI"), "fails where PLANTED_ON_CI is set"
"""


def test_a_failure_that_does_not_happen_here_shows_what_differs(
    repro_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    repro_project.makepyfile(test_env=ENVIRONMENT_ONLY, test_first="def test_first():\n    pass\n")
    monkeypatch.setenv("PLANTED_ON_CI", "1")
    run_dir = record(repro_project, "-p", "randomly", "--randomly-seed=3")
    monkeypatch.delenv("PLANTED_ON_CI")
    recording = json.loads((run_dir / "run.json").read_text())
    recording["packages"]["pytest"] = "0.0.1"
    recording["args"] = ["--dualstore-postgres-url=postgresql://u:hunter2@db/x"]  # an old run
    (run_dir / "run.json").write_text(json.dumps(recording))
    failing = "test_env.py::test_needs_the_ci_runner"

    result = diagnose(repro_project.path, str(run_dir / "order.txt"), "--runs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    block = verdict(result.stdout, failing)
    assert block[0] == f"environment: {failing}"
    assert block[1].startswith("  it passes every way here: alone (2 runs) ")
    here = importlib.metadata.version("pytest")
    assert f"    pytest {here} here, 0.0.1 in the run" in block
    # ... and the header warned of it before any replay
    lines = result.stdout.splitlines()
    assert lines[1:3] == [
        "  warning: this environment differs from the recorded run's:",
        f"    pytest {here} here, 0.0.1 in the run",
    ]
    shown = run_dir.relative_to(repro_project.path)
    assert block[-1] == f"  reproduce with: python -m pytest --replay={shown}/order.txt"
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize("target", ["missing", "passing-run"])
def test_a_target_with_nothing_to_diagnose_is_a_usage_error(
    repro_project: pytest.Pytester, target: str
) -> None:
    path = repro_project.path / target
    if target == "passing-run":
        repro_project.makepyfile(test_first="def test_first():\n    pass\n")
        repro_project.runpytest_subprocess().assert_outcomes(passed=1)
        [path] = (repro_project.path / ".dualstore" / "runs").iterdir()
    result = diagnose(repro_project.path, str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("diagnose: error: ")


def test_a_test_whose_worker_died_is_named_instead(repro_project: pytest.Pytester) -> None:
    """A worker that dies mid-test leaves a start line and no outcome: nothing failed that a
    replay can classify, and the message says which test never finished."""
    repro_project.makepyfile(
        test_dies="import os\n\ndef test_kills_its_worker():\n    os._exit(3)\n",
        test_first="def test_first():\n    pass\n",
    )
    run_dir = record(repro_project, "-n", "2", "--max-worker-restart=0", "-p", "no:randomly")
    result = diagnose(repro_project.path, str(run_dir))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "test_dies.py::test_kills_its_worker started in " in result.stderr
    assert "never finished: the worker died or the run was stopped" in result.stderr
