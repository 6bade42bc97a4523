"""What an adopting project tells the harness, declared once: a `Project`, returned by its
`pytest_dualstore_project` hook (see `dualstore.hookspecs`). Every field has a default
that works for any project, so the smallest adopter names only its migrations:

    # conftest.py at the project's root
    from pathlib import Path
    from dualstore import Project

    pytest_plugins = ["dualstore.plugin"]

    def pytest_dualstore_project(config):
        return Project(migrations=Path(__file__).parent / "migrations")

Its tests then get `dualstore_db`: a DB-API connection (sqlite3 or psycopg) to the worker's
own migrated store, rolled back after each test. The project's callables receive a
`Store`: which backend, where the store is, and `connect()` for a raw connection to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from dualstore.serverurl import ServerUrl

#: the harness's own markers (a project may give them shorter names: `marker_aliases`)
COMMITS_MARKER: Final = "dualstore_commits"
REQUIRES_MARKER: Final = "dualstore_requires"
MARKERS: Final = (COMMITS_MARKER, REQUIRES_MARKER)
#: the parametrized fixture: tests that use it (directly or through another fixture) run
#: once per selected backend
BACKEND_FIXTURE: Final = "dualstore_backend"
#: the table in which the harness's SQL migrations record what they applied (kept by the
#: default reset)
LEDGER_TABLE: Final = "dualstore_migrations"

#: what a test receives: the project's own handle (a `storage.Database`, a repository
#: object, ...) or, by default, a DB-API connection
Handle = Any


@dataclass(frozen=True, slots=True)
class Store:
    """One worker's own store on one backend, as the project's callables receive it."""

    #: backend name: "sqlite" or "postgres"
    backend: str
    #: a URL of the store: `sqlite:///<path>`, or the PostgreSQL server's URL (it may hold a
    #: password: print `location`, never `url`); the schema is `schema`, not in the URL
    url: str
    #: PostgreSQL: the worker's schema (every connection's search_path); SQLite: None
    schema: str | None
    #: SQLite: the worker's database file; PostgreSQL: None
    path: Path | None
    _connect: Callable[[], Any] = field(repr=False, compare=False)
    #: PostgreSQL: the server's URL as a value that prints redacted (`url` is its text);
    #: SQLite: None
    server: ServerUrl | None = None

    @property
    def location(self) -> str:
        """The schema (PostgreSQL) or the file (SQLite): safe to print."""
        return self.schema if self.schema is not None else str(self.path)

    def scrubbed(self, exc: BaseException) -> str:
        """A driver error's message on one line, without the server URL's secrets."""
        if self.server is not None:
            return self.server.scrubbed(exc)
        return " ".join(str(exc).split())

    def connect(self) -> Any:
        """A new raw DB-API connection to this store (sqlite3, or psycopg with the
        schema as its search_path), not in autocommit mode; the caller closes it."""
        return self._connect()


@contextmanager
def rollback_connection(handle: Any) -> Iterator[Any]:
    """The default isolation of a DB-API connection: the test's writes are undone by one
    `rollback()` (sqlite3 and psycopg both open a transaction at the first statement)."""
    try:
        yield handle
    finally:
        handle.rollback()


def close_handle(handle: Any) -> None:
    handle.close()


@dataclass(frozen=True, slots=True)
class Project:
    """An adopting project's side of the harness. Every field is optional."""

    #: how a fresh store gets the project's schema: a directory of `*.sql` files (applied
    #: in name order, once each, recorded in `dualstore_migrations`; `*.down.sql` files are
    #: ignored), or a callable that migrates the store it is given; None: no schema
    migrations: Path | Callable[[Store], object] | None = None
    #: what a test receives, opened once per worker and store; None: `store.connect()`
    handle: Callable[[Store], Handle] | None = None
    #: closes a handle (at the end of the worker, and the extra ones of `connect()`)
    close: Callable[[Handle], object] = close_handle
    #: the rolled-back isolation of one test: a context manager that yields what the test
    #: receives and undoes its writes on exit
    rollback: Callable[[Handle], AbstractContextManager[Handle]] = rollback_connection
    #: empties the store after a committing test; None: every table of the store, found
    #: from the catalog, emptied in foreign-key-safe order, except `keep_tables` and the
    #: migrations ledger
    reset: Callable[[Store, Handle], object] | None = None
    #: tables the default reset keeps (e.g. a ledger of the project's own migrations)
    keep_tables: tuple[str, ...] = ()
    #: what each backend can do, for `@pytest.mark.dualstore_requires(...)`: a mapping by
    #: backend name, or a callable asked once per run with a fresh, unmigrated store
    capabilities: Mapping[str, Iterable[str]] | Callable[[Store], Iterable[str]] = field(
        default_factory=dict
    )
    #: every capability name the project knows: a `dualstore_requires` argument outside it
    #: is an error (a typo would otherwise deselect the test everywhere); None: unchecked
    known_capabilities: frozenset[str] | None = None
    #: the project's exceptions that mean "the backend went away" (the summary reports
    #: them apart); the drivers' connection errors always count
    unavailable: tuple[type[BaseException], ...] = ()
    #: alias -> harness marker, e.g. {"commits": "dualstore_commits"}: the project's tests
    #: may write `@pytest.mark.commits`; both names mean the same
    marker_aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.marker_aliases.values()) - set(MARKERS))
        if unknown:
            raise ValueError(
                f"Project.marker_aliases: {', '.join(map(repr, unknown))} is not a dualstore "
                f"marker; the markers are {', '.join(MARKERS)}"
            )
        if isinstance(self.migrations, str):
            object.__setattr__(self, "migrations", Path(self.migrations))
        if isinstance(self.migrations, Path) and not self.migrations.is_dir():
            raise ValueError(
                f"Project.migrations: {self.migrations} is not a directory (give the "
                "directory of the project's *.sql migrations, or a callable)"
            )

    def marker_names(self, marker: str) -> tuple[str, ...]:
        """The harness marker `marker` and every alias the project gave it."""
        return (marker, *(a for a, m in self.marker_aliases.items() if m == marker))

    def open_handle(self, store: Store) -> Handle:
        return self.handle(store) if self.handle is not None else store.connect()

    @property
    def kept_tables(self) -> frozenset[str]:
        return frozenset({LEDGER_TABLE, *self.keep_tables})
