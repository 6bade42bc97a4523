"""The small layer each backend implements; everything above it is shared.

A `Driver` hands out a connection pinned to the calling thread, runs one statement with
named parameters (mapping driver errors to `storage.errors` on the way out), and reads the
raw catalog. Transactions, savepoints, validation and every API method live in the shared
`SqlDatabase`, so the two backends cannot drift apart in behaviour.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from storage.api import Backend, Capability
from storage.backends._sql_per_backend import PER_BACKEND_SQL
from storage.errors import StorageError
from storage.url import DatabaseUrl

Row = dict[str, Any]
Params = Mapping[str, Any]
ConnT = TypeVar("ConnT")


class ScriptFailed(Exception):
    """A statement of a script (`Driver.run_script`) failed: which one, and why."""

    def __init__(self, index: int | None, cause: StorageError) -> None:
        super().__init__(index, cause)
        self.index = index  # 0-based, in the statements as given; None: not known
        self.cause = cause


@dataclass(frozen=True, slots=True)
class Settings:
    """What `connect()` was asked for, validated."""

    schema: str | None = None
    connect_timeout: float = 10.0
    statement_timeout: float | None = 60.0
    busy_timeout: float = 5.0
    create: bool = True  # False: a missing SQLite file or PostgreSQL schema is an error


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    type: str  # as the catalog spells it; normalised by the fingerprint
    not_null: bool
    pk_position: int  # 0 = not part of the primary key, else 1-based position


@dataclass(frozen=True, slots=True)
class ForeignKeyInfo:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # normalised: "cascade", "no action", "restrict", "set null", …


@dataclass(frozen=True, slots=True)
class IndexInfo:
    name: str
    columns: tuple[str, ...]
    unique: bool
    constraint: bool  # True = backs a UNIQUE constraint (its name is the database's choice)


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    columns: tuple[ColumnInfo, ...]
    foreign_keys: tuple[ForeignKeyInfo, ...] = field(default=())
    indexes: tuple[IndexInfo, ...] = field(default=())


class Driver(ABC, Generic[ConnT]):
    """One backend's primitives. Every method raises only `storage.errors` types."""

    backend: ClassVar[Backend]
    capabilities: frozenset[Capability]

    def __init__(self, url: DatabaseUrl, settings: Settings) -> None:
        self.url = url
        self.settings = settings

    def sql(self, purpose: str) -> str:
        """This backend's variant of a per-backend statement (see `PER_BACKEND_SQL`)."""
        return PER_BACKEND_SQL[purpose][self.backend.value]

    @abstractmethod
    def pinned(self) -> AbstractContextManager[ConnT]:
        """A connection the calling thread holds exclusively until the context exits."""

    @abstractmethod
    def run(self, conn: ConnT, sql: str, params: Params | None = None) -> tuple[list[Row], int]:
        """Execute one statement; return its rows (if any) and the affected row count."""

    def run_alone(self, sql: str, params: Params | None = None) -> list[Row]:
        """One read statement outside any transaction, on a connection held only for it
        (one statement is one snapshot); its rows."""
        with self.pinned() as conn:
            return self.run(conn, sql, params)[0]

    @abstractmethod
    def run_many(self, conn: ConnT, sql: str, params: Sequence[Params]) -> None:
        """Execute one statement once per parameter set."""

    def run_script(self, conn: ConnT, statements: Sequence[str]) -> None:
        """Execute parameterless statements (a migration file's) in order, inside the
        caller's transaction; a failure raises `ScriptFailed` naming the statement. One
        statement per call here; a backend that can send them in one round trip does."""
        for index, statement in enumerate(statements):
            try:
                self.run(conn, statement)
            except StorageError as exc:
                raise ScriptFailed(index, exc) from exc

    @abstractmethod
    def discard(self, conn: ConnT) -> None:
        """The connection failed mid-transaction: make sure it is not reused as is."""

    @abstractmethod
    def server_version(self) -> str: ...

    @abstractmethod
    def close(self) -> None: ...

    def prepare_schema(self, conn: ConnT) -> None:
        """Create the namespace the application's tables live in, if the backend has one."""
        schema, statement = self.settings.schema, self.sql("create_schema")
        if not statement or not schema:
            return
        existing, _ = self.run(conn, self.sql("schema_exists"), {"schema": schema})
        if not existing:
            self.run(conn, statement.format(schema=schema))

    def table_names(self, conn: ConnT) -> list[str]:
        """The tables of the application's namespace (SQLite's own tables left out)."""
        rows, _ = self.run(conn, self.sql("catalog_tables"))
        return sorted(str(r["name"]) for r in rows if not str(r["name"]).startswith("sqlite_"))

    def read_catalog(self, conn: ConnT) -> list[TableInfo]:
        """Every table of the application's namespace, as the catalog describes it."""
        return [self._read_table(conn, name) for name in self.table_names(conn)]

    def _read_table(self, conn: ConnT, table: str) -> TableInfo:
        columns, _ = self.run(conn, self.sql("catalog_columns"), {"table": table})
        fk_rows, _ = self.run(conn, self.sql("catalog_foreign_keys"), {"table": table})
        index_rows, _ = self.run(conn, self.sql("catalog_indexes"), {"table": table})
        indexes = []
        for index in index_rows:
            if index["kind"] == "pk":
                continue
            cols, _ = self.run(conn, self.sql("catalog_index_columns"), {"index": index["name"]})
            indexes.append(
                IndexInfo(
                    name=str(index["name"]),
                    columns=tuple(str(c["name"]) for c in cols),
                    unique=bool(index["is_unique"]),
                    constraint=index["kind"] == "u",
                )
            )
        return TableInfo(
            name=table,
            columns=tuple(
                ColumnInfo(
                    str(c["name"]), str(c["type"]), bool(c["not_null"]), int(c["pk_position"])
                )
                for c in columns
            ),
            foreign_keys=tuple(_group_foreign_keys(fk_rows, self.on_delete_name)),
            indexes=tuple(indexes),
        )

    def on_delete_name(self, raw: str) -> str:
        """The catalog's spelling of an ON DELETE action, normalised to lower-case words."""
        return raw.lower()


def _group_foreign_keys(rows: Iterable[Row], on_delete: Any) -> list[ForeignKeyInfo]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["id"], []).append(row)
    return [
        ForeignKeyInfo(
            columns=tuple(str(r["column_name"]) for r in parts),
            ref_table=str(parts[0]["ref_table"]),
            ref_columns=tuple(str(r["ref_column"]) for r in parts),
            on_delete=on_delete(str(parts[0]["on_delete"])),
        )
        for parts in grouped.values()
    ]
