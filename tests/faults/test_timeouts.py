"""Nothing hangs CI: every test has a time limit, and connecting to a server that never
answers gives up after the connect timeout with the typed error."""

from __future__ import annotations

import socket
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from storage.errors import Unavailable
from tests.adopting import isolate

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

HANGING = """
import time

def test_hangs():
    time.sleep(600)

def test_quick():
    pass
"""


def test_every_test_has_a_default_time_limit() -> None:
    ini = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert 0 < float(ini["timeout"]) <= 600


def test_a_hanging_test_fails_on_its_time_limit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch)
    pytester.makepyfile(test_hang=HANGING)
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        "-p", "dualstore.repro", "-p", "no:randomly",
        "--timeout=2", "-n", "2",
    )  # fmt: skip
    assert time.monotonic() - started < 60
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout (>2.0s) from pytest-timeout*"])
    # A timed-out test is a failure like any other: the run says how to reproduce it.
    assert result.outlines[-2] == "just the failing test:"
    assert result.outlines[-1].endswith("test_hang.py::test_hangs")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and then never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def test_a_silent_server_is_unavailable_after_the_connect_timeout(silent_port: int) -> None:
    url = f"postgresql://someone:Hush-42@127.0.0.1:{silent_port}/db"
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        storage.connect(url, connect_timeout=1)
    took = time.monotonic() - started
    assert 0.5 < took < 10, took  # it waited for the timeout, and not much longer
    assert "Hush-42" not in str(caught.value)
