"""Typed errors of the storage layer.

Every failure a caller can see is a :class:`StorageError`. Backends map driver errors
(SQLSTATE codes on PostgreSQL, SQLite error names on SQLite) to these classes in one place
each and raise them ``from`` the driver error, so the driver error stays available as
``__cause__`` but no driver type ever crosses the API. Messages never contain passwords.
"""

from __future__ import annotations

from typing import ClassVar


class StorageError(Exception):
    """Root of every error the storage layer raises."""

    code: str = "HSK-500-STORAGE"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotFound(StorageError):
    """The addressed row does not exist."""

    code = "HSK-404-NOT-FOUND"


class Conflict(StorageError):
    """A uniqueness or foreign-key rule refused the write."""

    code = "HSK-409-CONFLICT"


class ValidationError(StorageError):
    """The input is not acceptable (bad value, empty update, NUL in text, out of range)."""

    code = "HSK-400-VALIDATION"


class GuardError(StorageError):
    """The write guard refused a content write (an AI write without a job or workflow)."""

    code = "HSK-403-SILENT-EDIT"


class MigrationError(StorageError):
    """A migration failed; the database stays at the previous version."""

    code = "HSK-500-MIGRATION"


class Unavailable(StorageError):
    """The database cannot be reached, refused the login, or went away.

    `retryable` says whether trying again may help: a server that is starting or went away
    may answer later; a refused login, a missing file or a missing driver will not. Retry
    loops (``dualstore check``, the test harness) stop at once when it is False."""

    code = "HSK-503-UNAVAILABLE"
    retryable: ClassVar[bool] = True


class LoginRefused(Unavailable):
    """The server refused the login (bad user or password, no pg_hba.conf entry)."""

    code = "HSK-401-LOGIN-REFUSED"
    retryable = False


class StoreNotFound(Unavailable):
    """The store does not exist: a SQLite file or its directory, a PostgreSQL database, or
    (with ``connect(..., create=False)``) the PostgreSQL schema."""

    code = "HSK-404-STORE-NOT-FOUND"
    retryable = False


class NotADatabase(Unavailable):
    """The SQLite path names something that is not a SQLite database (a text file, a
    directory)."""

    code = "HSK-415-NOT-A-DATABASE"
    retryable = False


class DriverMissing(Unavailable):
    """The backend's driver package is not installed (psycopg for PostgreSQL)."""

    code = "HSK-501-DRIVER-MISSING"
    retryable = False


class NotMigrated(StorageError):
    """The store exists but its schema is not the one this code needs (never migrated,
    migrations pending, or a table of the application missing): run the migrations."""

    code = "HSK-412-NOT-MIGRATED"


class SerializationError(StorageError):
    """A concurrent transaction won (serialization failure, deadlock, database busy)."""

    code = "HSK-409-SERIALIZATION"


class StatementTimeout(StorageError):
    """A statement ran past its time limit and was cancelled."""

    code = "HSK-504-TIMEOUT"


__all__ = [
    "Conflict",
    "DriverMissing",
    "GuardError",
    "LoginRefused",
    "MigrationError",
    "NotADatabase",
    "NotFound",
    "NotMigrated",
    "SerializationError",
    "StatementTimeout",
    "StorageError",
    "StoreNotFound",
    "Unavailable",
    "ValidationError",
]
