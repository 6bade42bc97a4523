"""The backends' names. A leaf: the URL parser (`storage.url`) and the backend registry
(`storage.backends`) need them, and the test harness reads URLs through them, without
loading the domain API (`storage.api`, `storage.records`). `storage.api` re-exports it."""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):
    """A database the storage layer runs on; each has a module in storage/backends/."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"
