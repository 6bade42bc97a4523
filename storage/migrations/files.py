"""The migration files: find and order the ``NNNN_name.sql`` / ``NNNN_name.down.sql``
pairs, and split each one into its statements (one SQL text serves every backend).
Applying and reverting them is the storage API's (`storage.backends._migrations`)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from storage.errors import MigrationError

_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    up_path: Path
    down_path: Path

    def statements(self, *, down: bool = False) -> list[str]:
        path = self.down_path if down else self.up_path
        return list(_split_once(path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=64)
def _split_once(script: str) -> tuple[str, ...]:
    """`split_statements`, once per text: every store a test run creates is migrated with
    the same files, and splitting them took about a tenth of a PostgreSQL store's setup."""
    return tuple(split_statements(script))


def load_migrations(directory: Path) -> list[Migration]:
    """The migrations in `directory`, in order; gaps or a missing down file are errors."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        if path.name.endswith(".down.sql"):
            continue
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            raise MigrationError(f"migration file name {path.name!r} is not NNNN_name.sql")
        down = path.with_name(f"{path.name[:-4]}.down.sql")
        if not down.is_file():
            raise MigrationError(f"migration {path.name} has no {down.name}")
        found.append(Migration(int(match["version"]), match["name"], path, down))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migrations must be numbered 0001, 0002, … without gaps; "
                f"expected {expected:04d}, found {migration.up_path.name}"
            )
    return found


def split_statements(script: str) -> list[str]:
    """Split a SQL script on ``;``, ignoring ones inside quotes and comments.

    Comment-only pieces are dropped. Dollar quoting and procedural bodies are not supported
    (the portable migrations never need them).
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(script)
    while i < n:
        char = script[i]
        if char in "'\"":
            end = i + 1
            while end < n:
                if script[end] == char:
                    if end + 1 < n and script[end + 1] == char:  # doubled quote = escaped
                        end += 2
                        continue
                    break
                end += 1
            current.append(script[i : end + 1])
            i = end + 1
        elif script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
            current.append("\n")
        elif script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = n if end < 0 else end + 2
            current.append(" ")
        elif char == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(char)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]
