"""The hook an adopting project implements to describe itself to the harness."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dualstore.project import Project


@pytest.hookspec(firstresult=True)
def pytest_dualstore_project(config: pytest.Config) -> Project | None:
    """Return the project's `dualstore.project.Project` (its migrations, the handle its
    tests receive, its reset, its capabilities, its aliases). Implement it once, in the
    root conftest.py or a plugin it lists; the first non-None answer wins. Without an
    implementation the harness uses `Project()`: raw DB-API connections, no migrations."""
