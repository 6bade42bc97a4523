"""Find, order, apply and revert the SQL migrations.

Each migration is a pair ``NNNN_name.sql`` / ``NNNN_name.down.sql`` holding one SQL text
for every backend. Each file runs in its own transaction and is recorded in
``schema_migrations``; a failing statement rolls its file back, so the database stays at
the previous version, and the `MigrationError` names the file and the statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.api import MigrationStatus
from storage.backends import _sql
from storage.backends._core import CoreDatabase
from storage.backends._values import parse_timestamp, timestamp
from storage.errors import MigrationError, StorageError, ValidationError

_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    up_path: Path
    down_path: Path

    def statements(self, *, down: bool = False) -> list[str]:
        path = self.down_path if down else self.up_path
        return split_statements(path.read_text(encoding="utf-8"))


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


class MigrationsMixin(CoreDatabase):
    """`run_migrations`, `migrate_down`, `migration_version`, `migration_status`."""

    def _known_migrations(self) -> list[Migration]:
        return load_migrations(self._migrations_dir)

    def _applied(self) -> dict[int, datetime]:
        if _sql.VERSION_TABLE_NAME not in self._driver.table_names(self._conn()):
            return {}
        rows = self._rows(_sql.SELECT_APPLIED_MIGRATIONS)
        return {int(r["version"]): parse_timestamp(r["applied_at"]) for r in rows}

    def migration_version(self) -> int:
        with self._snapshot():  # the catalog, then the ledger
            return max(self._applied(), default=0)

    def migration_status(self) -> list[MigrationStatus]:
        known = self._known_migrations()
        with self._snapshot():  # the catalog, then the ledger
            applied = self._applied()
        return [MigrationStatus(m.version, m.name, applied.get(m.version)) for m in known]

    def run_migrations(self, target: int | None = None) -> list[int]:
        known = self._known_migrations()
        goal = len(known) if target is None else self._check_target(target, len(known))
        with self._writing():
            self._driver.prepare_schema(self._conn())
            self._affected(_sql.CREATE_VERSION_TABLE)
            newest = max(self._applied(), default=0)
        if newest > len(known):
            raise MigrationError(
                f"the database is at version {newest}, newer than the {len(known)} "
                "migrations this code knows: upgrade the code, not the database"
            )
        done: list[int] = []
        for migration in known[:goal]:
            with self._writing():
                self._lock_versions()
                if migration.version in self._applied():
                    continue  # applied meanwhile by a concurrent runner
                self._execute(migration, down=False)
                self._affected(
                    _sql.INSERT_MIGRATION,
                    {
                        "version": migration.version,
                        "name": migration.name,
                        "applied_at": timestamp(self._now(), "now"),
                    },
                )
            done.append(migration.version)
        return done

    def migrate_down(self, target: int = 0) -> list[int]:
        known = {m.version: m for m in self._known_migrations()}
        goal = self._check_target(target, len(known))
        with self._snapshot():  # the catalog, then the ledger
            applied = sorted(self._applied(), reverse=True)
        reverted: list[int] = []
        for version in (v for v in applied if v > goal):
            migration = known.get(version)
            if migration is None:
                raise MigrationError(f"no migration file for applied version {version:04d}")
            with self._writing():
                self._lock_versions()
                if version not in self._applied():
                    continue
                self._execute(migration, down=True)
                self._affected(_sql.DELETE_MIGRATION, {"version": version})
            reverted.append(version)
        return reverted

    def _lock_versions(self) -> None:
        statement = self._driver.sql("lock_migrations")
        if statement:
            self._affected(statement)

    def _execute(self, migration: Migration, *, down: bool) -> None:
        path = migration.down_path if down else migration.up_path
        for number, statement in enumerate(migration.statements(down=down), start=1):
            try:
                self._affected(statement)
            except StorageError as exc:
                raise MigrationError(
                    f"migration {path.name} failed at statement {number} "
                    f"({' '.join(statement.split())}): {exc}"
                ) from exc

    @staticmethod
    def _check_target(target: object, highest: int) -> int:
        if isinstance(target, bool) or not isinstance(target, int):
            raise ValidationError("migration target must be an integer version")
        if not 0 <= target <= highest:
            raise ValidationError(f"migration target {target} is not between 0 and {highest}")
        return target
