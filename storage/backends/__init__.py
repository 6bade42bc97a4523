"""Backends: one module per database, each a `Driver` plus a thin `*Database` class over
the one shared `SqlDatabase`.

Adding a backend adds an entry to `BACKENDS` (and a module), not `if` chains. Backend
modules are imported only when a URL asks for them, so `import storage` works without
psycopg installed. Beside the PostgreSQL one: `pgrefusals`, the one reading of libpq's
connection-failure messages (the harness's readiness check reads them through it too).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.errors import DriverMissing
from storage.kinds import Backend

if TYPE_CHECKING:
    from storage.backends._base import SqlDatabase
    from storage.backends._driver import Settings
    from storage.url import DatabaseUrl

#: backend → (module, Database class, the optional packages it needs)
BACKENDS: dict[Backend, tuple[str, str, tuple[str, ...]]] = {
    Backend.SQLITE: ("storage.backends.sqlite", "SqliteDatabase", ()),
    Backend.POSTGRES: (
        "storage.backends.postgres",
        "PostgresDatabase",
        ("psycopg", "psycopg_pool"),
    ),
}


def database_class(backend: Backend) -> Any:
    """The backend's `SqlDatabase` subclass (imports its module, and so its driver)."""
    module_name, class_name, needs = BACKENDS[backend]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name not in needs:
            raise
        raise DriverMissing(
            f"the {backend.value} backend needs the {exc.name} package: install dualstore[postgres]"
        ) from exc
    return getattr(module, class_name)


def open_database(
    url: DatabaseUrl, settings: Settings, *, migrations_dir: Path | None = None
) -> SqlDatabase:
    """The database `url` names, connected (`migrations_dir`: another set, for tests)."""
    database: SqlDatabase = database_class(url.backend)(
        url, settings, migrations_dir=migrations_dir
    )
    return database
