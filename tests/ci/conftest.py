"""Fixtures of the audit tests: a snapshot of the repository and fresh copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from audit_support import REPO_ROOT, Snapshot, not_copied, run_audit
from ci_files import COMPOSE, WORKFLOW, load


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """One copy of the repository, taken once: other work may change the real tree while
    the tests run, and every plant must be compared with the tree it was planted in."""
    root = tmp_path_factory.mktemp("snapshot") / "tree"
    shutil.copytree(REPO_ROOT, root, ignore=not_copied)
    return Snapshot(root, run_audit(root))


@pytest.fixture
def tree(snapshot: Snapshot, tmp_path: Path) -> Path:
    """A fresh copy of the snapshot to plant violations in."""
    copy = tmp_path / "tree"
    shutil.copytree(snapshot.root, copy)
    return copy


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = load(WORKFLOW)
    # YAML 1.1 reads the key `on` as the boolean True
    data["on"] = data.pop(True, data.get("on"))
    return dict(data)


@pytest.fixture(scope="module")
def compose_service() -> dict[str, Any]:
    services = load(COMPOSE)["services"]
    assert list(services) == ["postgres"]
    return dict(services["postgres"])
