"""Schema introspection (`schema_fingerprint`) and `reset_data`, shared by every backend."""

from __future__ import annotations

import re
from typing import Any

from storage.api import JsonObject
from storage.backends import _sql
from storage.backends._core import CoreDatabase
from storage.backends._driver import TableInfo

# One vocabulary for column types, whatever each catalog calls them.
_TYPE_VOCABULARY = {
    "text": "text",
    "varchar": "text",
    "character varying": "text",
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "bigint": "bigint",
    "int8": "bigint",
}


def normalise_type(raw: str) -> str:
    base = re.sub(r"\s*\(.*\)\s*$", "", raw.strip().lower())
    return _TYPE_VOCABULARY.get(base, base)


def fingerprint(tables: list[TableInfo]) -> JsonObject:
    """The catalog's description, normalised so equal schemas compare equal across backends.

    Only portable facts are kept: names the migrations chose, normalised types, nullability,
    keys and indexes. Names the database invents (for inline constraints) are left out.
    """
    return {"tables": [_table(t) for t in sorted(tables, key=lambda t: t.name)]}


def _table(table: TableInfo) -> dict[str, Any]:
    key_columns = sorted((c for c in table.columns if c.pk_position), key=lambda c: c.pk_position)
    return {
        "name": table.name,
        "columns": [
            {
                "name": c.name,
                "type": normalise_type(c.type),
                "not_null": c.not_null,
                "primary_key": c.pk_position > 0,
            }
            for c in table.columns
        ],
        "primary_key": [c.name for c in key_columns],
        "unique": sorted(list(i.columns) for i in table.indexes if i.constraint),
        "foreign_keys": sorted(
            (
                {
                    "columns": list(fk.columns),
                    "references": fk.ref_table,
                    "referenced_columns": list(fk.ref_columns),
                    "on_delete": fk.on_delete,
                }
                for fk in table.foreign_keys
            ),
            key=lambda fk: (fk["columns"], fk["references"]),
        ),
        "indexes": sorted(
            (
                {"name": i.name, "columns": list(i.columns), "unique": i.unique}
                for i in table.indexes
                if not i.constraint
            ),
            key=lambda i: str(i["name"]),
        ),
    }


class SchemaMixin(CoreDatabase):
    def schema_fingerprint(self) -> JsonObject:
        with self._snapshot():  # every table's columns, keys and indexes
            return fingerprint(self._driver.read_catalog(self._conn()))

    def reset_data(self) -> None:
        """Delete every row of every application table; schema and version stay."""
        with self._writing():
            for statement in _sql.RESET_DATA:
                self._affected(statement)
