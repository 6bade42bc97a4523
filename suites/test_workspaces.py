"""Workspaces: create, list (oldest first), get, delete, uniqueness."""

from __future__ import annotations

import pytest

from storage.api import Database, new_id
from storage.errors import Conflict, NotFound, ValidationError
from suites._factories import HUMAN, make_workspace, unique


def test_create_and_get_round_trip(db: Database) -> None:
    name = unique("team")
    created = db.create_workspace(name, HUMAN)
    assert created.name == name
    assert created.created_at.tzinfo is not None
    assert created.updated_at >= created.created_at
    assert db.get_workspace(created.id) == created


def test_create_with_caller_id(db: Database) -> None:
    wanted = new_id()
    assert db.create_workspace(unique("ws"), HUMAN, id=wanted).id == wanted
    assert db.get_workspace(wanted) is not None


def test_get_missing_returns_none(db: Database) -> None:
    assert db.get_workspace(new_id()) is None


def test_duplicate_name_is_conflict(db: Database) -> None:
    name = unique("dup")
    first = db.create_workspace(name, HUMAN)
    with pytest.raises(Conflict):
        db.create_workspace(name, HUMAN)
    assert db.list_workspaces() == [first]


def test_duplicate_id_is_conflict(db: Database) -> None:
    first = make_workspace(db)
    with pytest.raises(Conflict):
        db.create_workspace(unique("other"), HUMAN, id=first.id)
    assert db.list_workspaces() == [first]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_blank_name_is_rejected(db: Database, name: str) -> None:
    with pytest.raises(ValidationError):
        db.create_workspace(name, HUMAN)
    assert db.list_workspaces() == []


def test_list_is_oldest_first(db: Database) -> None:
    # Names chosen so that name order and creation order disagree.
    created = [db.create_workspace(name, HUMAN) for name in ("zulu", "alpha", "mike")]
    listed = db.list_workspaces()
    assert [w.id for w in listed] == [w.id for w in created]
    assert [w.created_at for w in listed] == sorted(w.created_at for w in listed)


def test_delete_removes_it(db: Database) -> None:
    keep, gone = make_workspace(db), make_workspace(db)
    db.delete_workspace(gone.id, HUMAN)
    assert db.get_workspace(gone.id) is None
    assert db.list_workspaces() == [keep]


def test_delete_missing_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.delete_workspace(new_id(), HUMAN)


def test_name_free_again_after_delete(db: Database) -> None:
    name = unique("reuse")
    db.delete_workspace(db.create_workspace(name, HUMAN).id, HUMAN)
    assert db.create_workspace(name, HUMAN).name == name
