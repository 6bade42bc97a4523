CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    notebook_id INTEGER NOT NULL REFERENCES notebooks (id),
    body TEXT NOT NULL
);
CREATE INDEX notes_by_notebook ON notes (notebook_id);
