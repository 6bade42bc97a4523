-- A portable migration (planted by tests/ci).
CREATE TABLE planted_things (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE INDEX planted_things_name ON planted_things (name);
