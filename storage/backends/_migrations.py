"""Apply and revert the SQL migrations (`Database.run_migrations`, `migrate_down`, status).

Each migration file (`storage.migrations.files`) runs in its own transaction and is recorded
in ``schema_migrations``; a failing statement rolls its file back, so the database stays at
the previous version, and the `MigrationError` names the file and the statement.
"""

from __future__ import annotations

from datetime import datetime

from storage.api import MigrationStatus
from storage.backends import _sql
from storage.backends._core import CoreDatabase
from storage.backends._driver import ScriptFailed
from storage.backends._values import parse_timestamp, timestamp
from storage.errors import MigrationError, ValidationError
from storage.migrations.files import Migration, load_migrations


class MigrationsMixin(CoreDatabase):
    """`run_migrations`, `migrate_down`, `migration_version`, `migration_status`."""

    def _known_migrations(self) -> list[Migration]:
        return load_migrations(self._migrations_dir)

    def _applied(self, *, ledger_exists: bool = False) -> dict[int, datetime]:
        if not ledger_exists and _sql.VERSION_TABLE_NAME not in self._driver.table_names(
            self._conn()
        ):
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
        """Every pending file up to `target`, in one transaction with a savepoint per file.
        A file that fails is rolled back to its savepoint and the files before it are
        committed, as if each had had a transaction of its own (one commit, not one per
        file: a fresh store's setup is mostly this). The migrations lock is held from the
        first read of the ledger, so a concurrent runner applies none of them twice."""
        known = self._known_migrations()
        goal = len(known) if target is None else self._check_target(target, len(known))
        done: list[int] = []
        failure: MigrationError | None = None
        with self._writing():
            self._driver.prepare_schema(self._conn())
            self._affected(_sql.CREATE_VERSION_TABLE)
            self._lock_versions()
            applied = self._applied(ledger_exists=True)
            newest = max(applied, default=0)
            if newest > len(known):
                raise MigrationError(
                    f"the database is at version {newest}, newer than the {len(known)} "
                    "migrations this code knows: upgrade the code, not the database"
                )
            for migration in (m for m in known[:goal] if m.version not in applied):
                try:
                    with self._writing():  # a savepoint: a failing file undoes only itself
                        self._execute(migration, down=False)
                        self._affected(
                            _sql.INSERT_MIGRATION,
                            {
                                "version": migration.version,
                                "name": migration.name,
                                "applied_at": timestamp(self._now(), "now"),
                            },
                        )
                except MigrationError as exc:
                    failure = exc
                    break
                done.append(migration.version)
        if failure is not None:
            raise failure
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
        statements = list(migration.statements(down=down))
        try:
            self._driver.run_script(self._conn(), statements)
        except ScriptFailed as failed:
            where = "failed"
            if failed.index is not None:
                statement = " ".join(statements[failed.index].split())
                where = f"failed at statement {failed.index + 1} ({statement})"
            raise MigrationError(f"migration {path.name} {where}: {failed.cause}") from failed.cause

    @staticmethod
    def _check_target(target: object, highest: int) -> int:
        if isinstance(target, bool) or not isinstance(target, int):
            raise ValidationError("migration target must be an integer version")
        if not 0 <= target <= highest:
            raise ValidationError(f"migration target {target} is not between 0 and {highest}")
        return target
