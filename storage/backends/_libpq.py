"""libpq's own reading of connection strings, for `storage.url`.

`storage.url` parses PostgreSQL URLs with libpq's parser (through psycopg's `conninfo`
module) so that every form libpq accepts works the same here as in ``psql``. The driver may
only be imported by the backends (the DB-access audit enforces it), so this thin adapter
lives here and imports psycopg only when called: `import storage`, and SQLite URLs, still
work without psycopg installed, and `available()` then says so.
"""
# ruff: noqa: PLC0415  (driver imports are deliberately local, see above)

from __future__ import annotations

from collections.abc import Mapping


class ConninfoError(ValueError):
    """libpq refused a connection string (the message is libpq's, not yet scrubbed)."""


def available() -> bool:
    """True where psycopg (and the libpq it loads) can be imported."""
    try:
        import psycopg.conninfo  # noqa: F401
    except ImportError:
        return False
    return True


def parse(text: str) -> dict[str, str]:
    """The keywords libpq reads from `text` (a URL or a keyword/value string)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(text)
    except psycopg.ProgrammingError as exc:
        raise ConninfoError(" ".join(str(exc).split())) from None
    return {key: str(value) for key, value in params.items() if value is not None}


def make(params: Mapping[str, str]) -> str:
    """`params` as a keyword/value conninfo string, quoted as libpq needs."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo("", **params)
