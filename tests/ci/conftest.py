"""Fixtures of the audit tests: a snapshot of the repository and fresh copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audit_support import REPO_ROOT, Snapshot, not_copied, run_audit


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
