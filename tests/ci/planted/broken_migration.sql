-- A migration that no SQL parser accepts (planted by tests/ci).
CREATE TABLE planted_ok (id TEXT PRIMARY KEY);
CREATE TABLE planted_broken (id TEXT PRIMARY KEY, name TEXT; -- expect DB004
