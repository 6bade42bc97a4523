"""How the harness's own tests make a temp project adopt the harness: the way a user's
project does, from its root conftest.py (here through this repo's adapter, so the temp
project's tests get the same `db`, `backend` and `--backend` as the suites)."""

from __future__ import annotations

import pytest

#: the environment a temp project's run must not inherit from the outer run: the harness's
#: settings, the outer xdist worker's identity, the outer nox session, and the CI runner's
#: (on GitHub Actions an inner run would annotate the outer job and write its summary)
OUTER_ENV_PREFIXES = ("DUALSTORE_", "PYTEST_XDIST_", "NOX_", "GITHUB_")

#: a temp project's root conftest.py
ADOPTING_CONFTEST = 'pytest_plugins = ["suites.plugin"]\n'


def adopt(pytester: pytest.Pytester) -> None:
    """Opt the temp project into the harness (writes its root conftest.py)."""
    pytester.makeconftest(ADOPTING_CONFTEST)


#: what this repo's pytest.ini_options add to every run, for temp projects that stand for
#: this repo (pyproject.toml's addopts: pytest-postgresql's fixture plugin is not used;
#: hypothesis's is left out of every pytester run by tests/conftest.py)
REPO_ADDOPTS = ("-p", "no:pytest_postgresql")

#: pytest arguments that load this repo's adapter in a config parsed in-process
#: (`pytester.parseconfig`), where no conftest.py is read
ADOPTED = ("-p", "suites.plugin")
