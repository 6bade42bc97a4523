"""How the harness's own tests make a temp project adopt the harness: the way a user's
project does, from its root conftest.py (here through this repo's adapter, so the temp
project's tests get the same `db`, `backend` and `--backend` as the suites)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

#: the environment a temp project's run must not inherit from the outer run: the harness's
#: settings, the outer xdist worker's identity, the outer nox session, and the CI runner's
#: (on GitHub Actions an inner run would annotate the outer job and write its summary)
OUTER_ENV_PREFIXES = ("DUALSTORE_", "PYTEST_XDIST_", "NOX_", "GITHUB_")
#: the installed pytest plugins that no temp project uses, left out of every inner run:
#: they are most of a bare run's start-up (hypothesis's imports all of hypothesis for its
#: terminal summary, about 0.9 s a process here; pytest-postgresql's its driver and process
#: tools, about 0.4 s; a one-test run takes 2.2 s with them, 0.9 s without)
UNUSED_PLUGINS = ("hypothesispytest", "pytest_postgresql")
#: an inner run's PYTEST_ADDOPTS: none of the outer run's, and the unused plugins left out
#: (it reaches every process of the inner run: its xdist workers, and the replays and
#: reruns that the harness's tools start)
INNER_ADDOPTS = " ".join(f"-p no:{name}" for name in UNUSED_PLUGINS)


def inner_environ(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of an inner run started with it: `environ` without the outer run's."""
    env = {k: v for k, v in environ.items() if not k.startswith(OUTER_ENV_PREFIXES)}
    env["PYTEST_ADDOPTS"] = INNER_ADDOPTS
    return env


def isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give this test's environment to inner runs (inner_environ), for the test's duration.
    (After the `pytester` fixture is set up: it clears PYTEST_ADDOPTS.)"""
    kept = inner_environ()
    for name in list(os.environ):
        if name not in kept:
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTEST_ADDOPTS", kept["PYTEST_ADDOPTS"])


#: a temp project's root conftest.py
ADOPTING_CONFTEST = 'pytest_plugins = ["suites.plugin"]\n'


def adopt(pytester: pytest.Pytester) -> None:
    """Opt the temp project into the harness (writes its root conftest.py)."""
    pytester.makeconftest(ADOPTING_CONFTEST)


#: pytest arguments that load this repo's adapter in a config parsed in-process
#: (`pytester.parseconfig`), where no conftest.py is read
ADOPTED = ("-p", "suites.plugin")
