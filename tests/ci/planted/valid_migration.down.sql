-- Undoes valid_migration.sql (planted by tests/ci).
DROP TABLE planted_things;
