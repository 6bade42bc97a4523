"""The notes store on every selected backend. `dualstore_db` is a DB-API connection to the
worker's own migrated store, rolled back after each test."""

import pytest
from notes import add_note, add_notebook, count, find_notes, integrity_error, notes_in


def test_notes_come_back_in_order(dualstore_db):
    add_notebook(dualstore_db, 1, "work")
    add_note(dualstore_db, 1, 1, "first")
    add_note(dualstore_db, 2, 1, "second")
    assert notes_in(dualstore_db, "work") == ["first", "second"]


def test_every_test_starts_empty(dualstore_db):
    assert count(dualstore_db, "notebooks") == count(dualstore_db, "notes") == 0
    add_notebook(dualstore_db, 1, "scratch")  # rolled back after the test


def test_a_note_needs_its_notebook(dualstore_db):
    with pytest.raises(integrity_error(dualstore_db), match=r"(?i)foreign key"):
        add_note(dualstore_db, 1, 404, "orphan")


@pytest.mark.dualstore_commits
def test_committed_notes_are_seen_by_another_connection(dualstore_db, dualstore_backend):
    add_notebook(dualstore_db, 1, "shared")
    add_note(dualstore_db, 1, 1, "visible")
    dualstore_db.commit()  # the store is emptied after this test
    other = dualstore_backend.connect()
    assert notes_in(other, "shared") == ["visible"]


def test_search_finds_the_same_notes_on_every_backend(dualstore_compare):
    """One body, both backends, the results compared (`dualstore_compare`)."""

    def search(db):
        add_notebook(db, 1, "work")
        add_note(db, 1, 1, "Work plan")
        add_note(db, 2, 1, "holiday")
        return find_notes(db, "work%")

    assert dualstore_compare(search) == ["Work plan"]
