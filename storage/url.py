"""Database URLs: parse, validate and redact.

Accepted forms::

    sqlite:///relative/file.db      a file relative to the working directory
    sqlite:////absolute/file.db     an absolute path
    sqlite:///:memory:  sqlite://   a private in-memory database
    postgresql://user:pass@host:port/dbname?schema=app&sslmode=disable
    postgres://…  postgresql+psycopg://…   the same as postgresql://

`redact` is the one place that hides a password; every message that names a URL uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from storage.api import Backend
from storage.errors import ValidationError

MEMORY = ":memory:"
REDACTED = "***"

_SCHEMES: dict[str, Backend] = {
    "sqlite": Backend.SQLITE,
    "postgresql": Backend.POSTGRES,
    "postgres": Backend.POSTGRES,
    "postgresql+psycopg": Backend.POSTGRES,
}
# Schema names are plain identifiers: they go into `search_path` and DDL without surprises
# (no case folding, no quoting rules that differ between the connection option and SQL).
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# Query parameters that carry a secret and are hidden like the password.
_SECRET_PARAMS = {"password", "sslpassword"}


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A validated database URL.

    For SQLite, `path` is the file path (or ``":memory:"``). For PostgreSQL, `conninfo` is
    a libpq URL (scheme ``postgresql``, without the `schema` parameter) and `schema` the
    schema named in the URL, if any. `password` never appears in `repr()` or `redacted`.
    """

    backend: Backend
    redacted: str
    path: str | None = None
    conninfo: str | None = field(default=None, repr=False)  # may hold the password
    schema: str | None = None
    password: str | None = field(default=None, repr=False)

    def scrub(self, message: str) -> str:
        """`message` with this URL's password hidden (for errors built from driver text)."""
        if self.password:
            for secret in (self.password, quote(self.password, safe="")):
                message = message.replace(secret, REDACTED)
        return message


def validate_schema_name(schema: str) -> str:
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise ValidationError(
            f"invalid schema name {schema!r}: use letters, digits and '_' "
            "(at most 63, not starting with a digit)"
        )
    return schema


def parse_url(url: str) -> DatabaseUrl:
    """Parse and validate `url`; a malformed URL or unknown scheme is a `ValidationError`."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("database URL is empty")
    if "\x00" in url:
        raise ValidationError("database URL contains a NUL character")
    scheme, sep, _rest = url.partition("://")
    if not sep:
        raise ValidationError(
            f"malformed database URL {redact(url)!r}: expected "
            "'sqlite:///path/to/file.db' or 'postgresql://user@host/dbname'"
        )
    backend = _SCHEMES.get(scheme.lower())
    if backend is None:
        known = ", ".join(sorted(_SCHEMES))
        raise ValidationError(f"unknown database URL scheme {scheme!r} (known: {known})")
    if backend is Backend.SQLITE:
        return _parse_sqlite(url)
    return _parse_postgres(url)


def _parse_sqlite(url: str) -> DatabaseUrl:
    rest = url.partition("://")[2]
    if rest == "":
        return DatabaseUrl(Backend.SQLITE, redacted="sqlite://", path=MEMORY)
    if not rest.startswith("/"):
        raise ValidationError(
            f"malformed SQLite URL {url!r}: a SQLite URL has no host; "
            "write sqlite:///relative.db or sqlite:////absolute/path.db"
        )
    raw_path, _, query = rest[1:].partition("?")
    if query:
        raise ValidationError(f"SQLite URL {url!r} takes no query parameters")
    path = unquote(raw_path)
    if not path:
        raise ValidationError(f"SQLite URL {url!r} names no file (use sqlite:///:memory:)")
    return DatabaseUrl(Backend.SQLITE, redacted=url, path=path)


def _parse_postgres(url: str) -> DatabaseUrl:
    try:
        parts = urlsplit(url)
        port = parts.port  # validates the port number
    except ValueError as exc:
        raise ValidationError(f"malformed PostgreSQL URL {redact(url)!r}: {exc}") from None
    if port == 0:
        raise ValidationError(f"malformed PostgreSQL URL {redact(url)!r}: port 0")
    if parts.fragment:
        raise ValidationError(f"PostgreSQL URL {redact(url)!r} must not have a '#fragment'")
    params = parse_qsl(parts.query, keep_blank_values=True)
    schema: str | None = None
    libpq_params: list[tuple[str, str]] = []
    for key, value in params:
        if key == "schema":
            schema = validate_schema_name(value)
        else:
            libpq_params.append((key, value))
    password = parts.password
    if password is None:
        password = next((v for k, v in libpq_params if k == "password"), None)
    conninfo = urlunsplit(
        ("postgresql", parts.netloc, parts.path, urlencode(libpq_params, quote_via=quote), "")
    )
    return DatabaseUrl(
        Backend.POSTGRES,
        redacted=redact(url),
        conninfo=conninfo,
        schema=schema,
        password=unquote(password) if password else None,
    )


def redact(url: str) -> str:
    """`url` with its password (in the user info or a query parameter) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        # Unparseable: hide everything between "://" and the last "@" to be safe.
        scheme, sep, rest = url.partition("://")
        if sep and "@" in rest:
            return f"{scheme}://{REDACTED}@{rest.rpartition('@')[2]}"
        return url
    netloc = parts.netloc
    changed = False
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        if colon:
            netloc = f"{user}:{REDACTED}@{hostport}"
            changed = True
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key in _SECRET_PARAMS for key, _ in pairs):
            hidden = [(k, REDACTED if k in _SECRET_PARAMS else v) for k, v in pairs]
            query = urlencode(hidden, safe="*", quote_via=quote)
            changed = True
    if not changed:
        return url  # nothing to hide: keep the URL exactly as written
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
