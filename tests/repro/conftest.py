"""Fixtures of the reproduce tests: a temp project that uses only the repro plugin.

The temp projects load the repro plugin alone (they do not opt into the harness): they
have no database, and the harness would rightly fail a run in which no backend test ran.
"""

from __future__ import annotations

import pytest

from tests.adopting import isolate

PROJECT_INI = """
[tool.pytest.ini_options]
pythonpath = ["."]
addopts = ["-p", "dualstore.repro"]
"""


@pytest.fixture
def repro_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A temp project whose runs do not inherit this run's identity: not an xdist worker
    (pytest-replay names its files after PYTEST_XDIST_WORKER), not inside a nox session
    (the plugin would print nox commands), no harness settings."""
    isolate(monkeypatch)
    pytester.makepyprojecttoml(PROJECT_INI)
    return pytester
