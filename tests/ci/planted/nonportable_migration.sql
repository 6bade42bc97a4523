-- Constructs that only one backend runs (planted by tests/ci).
CREATE TABLE planted_counters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- expect DB005
    payload JSONB NOT NULL, -- expect DB005
    created_at TEXT DEFAULT CURRENT_TIMESTAMP -- expect DB005
);
-- A '::' or NOW() inside a comment or a string is not a construct:
INSERT INTO planted_counters (id, payload, created_at) VALUES (1, '{}', 'NOW()::text');
CREATE TRIGGER planted_touch AFTER INSERT ON planted_counters BEGIN SELECT 1; END; -- expect DB004 DB005
