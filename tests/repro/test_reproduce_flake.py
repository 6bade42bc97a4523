"""End to end: an order-dependent flake is hunted down under xdist, and the `reproduce with:`
command it prints makes the flake fail again, the same way.

The temp project (conftest.py) has no database and runs outside nox, so the plugin prints
plain pytest commands, and the test runs exactly what was printed (only `python` becomes
this interpreter). `nox -s repro -- FILE` is `pytest --replay=FILE` in the session's venv.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dualstore.flakehunt import reproduce_block

REGISTRY = "REGISTERED: list[str] = []\n"
# Registers without cleaning up: every case leaks into the module-global registry ...
LEAKER = """
import pytest
import registry

@pytest.mark.parametrize("name", ["csv", "json", "xml", "yaml"])
def test_register_format(name):
    registry.REGISTERED.append(name)
"""
# ... which this test trips on whenever a leaking test ran before it in the same process.
TRIPPER = """
import registry

def test_registry_starts_empty():
    assert registry.REGISTERED == [], f"leaked state: {registry.REGISTERED}"

def test_other_one():
    pass

def test_other_two():
    pass
"""


@pytest.fixture
def flaky_project(repro_project: pytest.Pytester) -> Path:
    repro_project.makepyfile(registry=REGISTRY, test_leaker=LEAKER, test_tripper=TRIPPER)
    return repro_project.path


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def printed_command(block: str, heading: str) -> list[str]:
    """The command printed on the line after `heading`, ready to run here."""
    lines = block.splitlines()
    argv = shlex.split(lines[lines.index(heading) + 1])
    assert argv[:3] == ["python", "-m", "pytest"], argv
    return [sys.executable, *argv[1:]]


def failures(output: str) -> list[tuple[str, str]]:
    """(failed test id, its assertion message) pairs, from the short summary and the
    traceback lines (the summary line itself is cut to the terminal width)."""
    failed = [line.split()[1] for line in output.splitlines() if line.startswith("FAILED ")]
    raised = [
        line.removeprefix("E").strip()
        for line in output.splitlines()
        if line.startswith("E ") and "AssertionError:" in line
    ]
    return list(zip(failed, raised, strict=True))


def recorded_order(order_file: Path) -> list[str]:
    """Node ids in the order a pytest-replay file says they started."""
    order: list[str] = []
    for line in order_file.read_text(encoding="utf-8").splitlines():
        nodeid = json.loads(line)["nodeid"]
        if nodeid not in order:
            order.append(nodeid)
    return order


@pytest.mark.timeout(600)
def test_hunted_flake_fails_the_same_way_when_replayed(flaky_project: Path) -> None:
    # (--no-diagnose: the hunt's handoff to diagnose is tested in test_diagnose.py)
    hunt = run(
        [sys.executable, "-m", "dualstore.flakehunt", "--max-runs", "40", "--workers", "2",
         "--no-diagnose"],
        flaky_project,
    )  # fmt: skip
    assert hunt.returncode == 1, hunt.stdout + hunt.stderr
    # The failing run's own output ends with the block; the hunt repeats it as its last lines.
    block = reproduce_block(hunt.stdout)
    assert hunt.stdout.rstrip().endswith(block)
    assert block.startswith("reproduce with:"), hunt.stdout
    [hunted_failure] = set(failures(hunt.stdout))
    assert hunted_failure[0] == "test_tripper.py::test_registry_starts_empty"
    assert hunted_failure[1].startswith("AssertionError: leaked state: [")

    replay_command = printed_command(block, "reproduce with:")
    order_file = flaky_project / replay_command[-1].removeprefix("--replay=")
    assert order_file.parent.parent == flaky_project / ".dualstore" / "runs"
    assert order_file.name in {"order-gw0.txt", "order-gw1.txt"}
    assert (order_file.parent / "reproduce.txt").read_text(encoding="utf-8").strip() == block

    replay = run(replay_command, flaky_project)
    assert replay.returncode == 1, replay.stdout + replay.stderr
    # Same test, same assertion, same leaked values: the worker's sequence ran again as it was.
    assert failures(replay.stdout) == [hunted_failure]
    # The replay recorded its own order, in one process: exactly the failing worker's.
    replay_again = printed_command(reproduce_block(replay.stdout), "reproduce with:")
    own_order_file = flaky_project / replay_again[-1].removeprefix("--replay=")
    assert own_order_file.name == "order.txt"
    assert recorded_order(own_order_file) == recorded_order(order_file)

    # Alone, the failing test passes: only the recorded sequence reproduces this flake.
    alone = run(printed_command(block, "just the failing test:"), flaky_project)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "1 passed" in alone.stdout


POLLUTED_PAIR = {
    "shared": "STATE = []\n",
    "test_polluter": "import shared\n\ndef test_polluter():\n    shared.STATE.append(1)\n",
    "test_victim": "import shared\n\ndef test_victim():\n    assert shared.STATE == []\n",
}


def test_the_default_hunt_finds_an_order_dependent_pair(repro_project: pytest.Pytester) -> None:
    """Two tests in two modules: on two workers they never meet. The default hunt tries
    one process first, with new seeds, and so finds the pair."""
    repro_project.makepyfile(**POLLUTED_PAIR)
    hunt = run(
        [sys.executable, "-m", "dualstore.flakehunt", "--max-runs", "8", "--first-seed", "1",
         "--no-diagnose"],
        repro_project.path,
    )  # fmt: skip
    assert hunt.returncode == 1, hunt.stdout + hunt.stderr
    progress = [line for line in hunt.stdout.splitlines() if line.startswith("flake-hunt: run ")]
    assert all(" -n 0:" in line for line in progress), progress  # found in the -n 0 block
    assert "test_victim.py::test_victim" in hunt.stdout
