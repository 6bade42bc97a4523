"""Database URLs: parse, validate and redact.

Accepted forms::

    sqlite:///relative/file.db      a file relative to the working directory
    sqlite:////absolute/file.db     an absolute path
    sqlite:///:memory:  sqlite://   a private in-memory database
    postgresql://user:pass@host:port/dbname?schema=app&sslmode=disable
    postgresql:///dbname?host=/var/run/postgresql   a Unix-socket directory
    postgresql://user@host1:5432,host2:5433/dbname   several hosts, tried in turn
    host=/var/run/postgresql dbname=app schema=app   libpq's keyword/value form
    postgres://…  postgresql+psycopg://…   the same as postgresql://

PostgreSQL strings are read by libpq's own parser (psycopg's `conninfo` module, see
`storage.backends._libpq`) wherever psycopg is installed, so every form libpq accepts works
as in ``psql``, and an option libpq refuses is refused here, at once, not at the first
connection. Three things stay ours: the scheme check, the ``schema`` parameter (libpq does
not know it: it is taken out before libpq sees the string) and redaction, which must also
work on strings libpq cannot read (`storage._conninfo`). Where psycopg is not installed, a
PostgreSQL URL is still accepted and redacted (a SQLite-only install may hold one in its
configuration); connecting with it raises `Unavailable` naming the missing package.

`redact` is the one place that hides a password; every message that names a URL uses it.
A string that cannot be split with certainty is never echoed, not even in an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from storage import _conninfo
from storage._conninfo import HIDDEN_CONNINFO, REDACTED, Split
from storage.backends import _libpq
from storage.errors import ValidationError
from storage.kinds import Backend

MEMORY = ":memory:"

_SCHEMES: dict[str, Backend] = {
    "sqlite": Backend.SQLITE,
    "postgresql": Backend.POSTGRES,
    "postgres": Backend.POSTGRES,
    "postgresql+psycopg": Backend.POSTGRES,
}
_SCHEME_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_KEYWORD_FORM = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*=")
# Schema names are plain identifiers: they go into `search_path` and DDL without surprises
# (no case folding, no quoting rules that differ between the connection option and SQL).
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# libpq checks these only when it connects; checked here, a typo fails at once and names
# the URL, instead of looking like a server that does not answer.
_CHOICES: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": (
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby",
    ),
}
_SPLIT_FIX = (
    "percent-encode special characters in the user name and password "
    "('/' as %2F, '@' as %40, '?' as %3F, '#' as %23, ':' as %3A, '%' as %25, space as %20)"
)


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A validated database URL.

    For SQLite, `path` is the file path (or ``":memory:"``). For PostgreSQL, `conninfo` is
    what libpq gets: a keyword/value string without the `schema` parameter (the URL itself,
    minus `schema`, where psycopg is not installed); `schema` is the schema the URL names,
    if any. `password` and the other secrets never appear in `repr()` or `redacted`.
    """

    backend: Backend
    redacted: str
    path: str | None = None
    conninfo: str | None = field(default=None, repr=False)  # may hold the password
    schema: str | None = None
    password: str | None = field(default=None, repr=False)
    #: every spelling of every secret of the URL (as written, decoded, percent-encoded)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def scrub(self, message: str) -> str:
        """`message` with this URL's secrets hidden (for errors built from driver text)."""
        for secret in self.secrets:
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
    if not url.isascii():
        try:
            url.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: a non-UTF-8 byte, decoded
            raise ValidationError(
                f"database URL contains a lone surrogate at index {exc.start} (not Unicode "
                "text: a byte that is not UTF-8 in an environment variable or argument); "
                "percent-encode that character in the URL"
            ) from None
    scheme, sep, rest = url.partition("://")
    if sep and _SCHEME_TOKEN.fullmatch(scheme):
        backend = _SCHEMES.get(scheme.lower())
        if backend is None:
            known = ", ".join(sorted(_SCHEMES))
            raise ValidationError(f"unknown database URL scheme {scheme!r} (known: {known})")
        if backend is Backend.SQLITE:
            return _parse_sqlite(url)
        split = _conninfo.split_uri(scheme, rest)
        if split is None:
            raise ValidationError(
                f"malformed PostgreSQL URL {_conninfo.hidden_uri(scheme, rest)!r} (the rest is "
                "not shown: it may hold a password): it cannot be split into user, password, "
                f"host and database; {_SPLIT_FIX}"
            )
    elif _KEYWORD_FORM.match(url):
        split = _conninfo.split_keywords(url)
        if split is None:
            raise ValidationError(
                "malformed keyword/value conninfo (not shown: it may hold a password): it "
                "cannot be split into keyword=value pairs; write keyword=value separated by "
                "spaces, and quote a value holding spaces or quotes as keyword='it\\'s'"
            )
    else:
        raise ValidationError(
            "malformed database URL (not shown: it may hold a password): expected "
            "'sqlite:///path/to/file.db', 'postgresql://user@host/dbname' or "
            "'host=... dbname=...'"
        )
    return _parse_postgres(split)


def _parse_sqlite(url: str) -> DatabaseUrl:
    rest = url.partition("://")[2]
    if rest == "":
        return DatabaseUrl(Backend.SQLITE, redacted="sqlite://", path=MEMORY)
    shown = redact(url)
    if not rest.startswith("/"):
        raise ValidationError(
            f"malformed SQLite URL {shown!r}: a SQLite URL has no host; "
            "write sqlite:///relative.db or sqlite:////absolute/path.db"
        )
    raw_path, _, query = rest[1:].partition("?")
    if query:
        raise ValidationError(f"SQLite URL {shown!r} takes no query parameters")
    path = unquote(raw_path)
    if not path:
        raise ValidationError(f"SQLite URL {shown!r} names no file (use sqlite:///:memory:)")
    return DatabaseUrl(Backend.SQLITE, redacted=url, path=path)


def _parse_postgres(split: Split) -> DatabaseUrl:
    shown = split.redacted
    if split.has_fragment:
        raise ValidationError(
            f"PostgreSQL URL {shown!r} must not have a '#fragment' "
            "(percent-encode '#' in a name as %23)"
        )
    schema = None if split.schema is None else validate_schema_name(split.schema)
    if not _libpq.available():
        return DatabaseUrl(
            Backend.POSTGRES,
            redacted=shown,
            conninfo=split.libpq_text,
            schema=schema,
            password=split.secrets.get("password"),
            secrets=split.spellings,
        )
    try:
        params = _libpq.parse(split.libpq_text)
    except _libpq.ConninfoError as exc:
        detail = str(exc)
        for secret in split.spellings:
            detail = detail.replace(secret, REDACTED)
        raise ValidationError(f"invalid PostgreSQL URL {shown!r}: {detail}") from None
    for key in _conninfo.SECRET_KEYS:
        if params.get(key, "") not in ("", *split.secrets.values()):
            # libpq read a secret where we saw none: we cannot know what is safe to show
            raise ValidationError(
                f"malformed PostgreSQL URL (not shown: it may hold a password): "
                f"libpq reads it differently from the way it is written; {_SPLIT_FIX}"
            )
    _check(params, shown)
    return DatabaseUrl(
        Backend.POSTGRES,
        redacted=shown,
        conninfo=_libpq.make(params),
        schema=schema,
        password=params.get("password"),
        secrets=split.spellings,
    )


def _check(params: Mapping[str, str], shown: str) -> None:
    """Refuse what libpq would only refuse at connect time, or not at all."""
    for port in params.get("port", "").split(","):
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise ValidationError(
                f"malformed PostgreSQL URL {shown!r}: port {port} is not a port number (1-65535)"
            )
    for key, choices in _CHOICES.items():
        if key in params and params[key] not in choices:
            raise ValidationError(
                f"invalid PostgreSQL URL {shown!r}: {key}={params[key]!r} is not one of "
                f"{', '.join(choices)}"
            )
    # libpq would fall back to a database named like the user: rarely what was meant,
    # and a test run must never land in some other database by accident.
    if not params.get("dbname") and "service" not in params:
        raise ValidationError(
            f"PostgreSQL URL {shown!r} names no database: add one, as in "
            "postgresql://user@host/dbname or dbname=... in the keyword/value form"
        )


def redact(url: str) -> str:
    """`url` with its secrets (password, sslpassword) replaced by ***.

    A string that cannot be split with certainty shows its scheme and host at most; text
    that is neither a URL nor a keyword/value string comes back unchanged.
    """
    scheme, sep, rest = url.partition("://")
    if sep and _SCHEME_TOKEN.fullmatch(scheme):
        if scheme.lower() == "sqlite" and "@" not in rest.partition("/")[0]:
            return url
        split = _conninfo.split_uri(scheme, rest)
        return _conninfo.hidden_uri(scheme, rest) if split is None else split.redacted
    if _KEYWORD_FORM.match(url):
        split = _conninfo.split_keywords(url)
        return HIDDEN_CONNINFO if split is None else split.redacted
    return url


def build_url(params: Mapping[str, str], *, schema: str | None = None) -> str:
    """A ``postgresql://`` URL that libpq reads as `params` (its keyword → value pairs),
    plus our ``schema`` parameter. User, password, hosts, ports and database go where
    people expect them (``postgresql://user:pw@host:port/db``), everything else into the
    query; every part is percent-encoded."""
    rest = dict(params)
    user, password = rest.pop("user", None), rest.pop("password", None)
    hosts, ports = rest.pop("host", ""), rest.pop("port", "")
    dbname = rest.pop("dbname", "")
    credentials = ""
    if user is not None or password is not None:
        secret = "" if password is None else f":{quote(password, safe='')}"
        credentials = f"{quote(user or '', safe='')}{secret}@"
    host_list, port_list = hosts.split(","), ports.split(",")
    if any(host.startswith("/") for host in host_list):
        # A socket directory reads best as ?host=/var/run/postgresql (as libpq documents)
        rest = {"host": hosts, **({"port": ports} if ports else {}), **rest}
        host_list, port_list = [""], [""]
    elif ports and (not hosts or len(port_list) != len(host_list)):
        rest["port"] = ports  # one port for every host: only the query can say so
        port_list = [""] * len(host_list)
    netloc = ",".join(
        _host(host) + (f":{port}" if port else "")
        for host, port in zip(host_list, port_list, strict=True)
    )
    if schema is not None:
        rest["schema"] = schema
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='/:,')}" for k, v in rest.items())
    return f"postgresql://{credentials}{netloc}/{quote(dbname, safe='')}{'?' * bool(query)}{query}"


def with_params(url: DatabaseUrl, **params: str) -> str:
    """PostgreSQL `url` with some libpq parameters replaced (``dbname=``, ``user=``...), as
    a ``postgresql://`` URL. Built from libpq's reading of the URL, so every form (socket
    directory, several hosts, keyword/value) names the same server. Needs psycopg."""
    if url.conninfo is None:
        raise ValidationError(f"{url.redacted!r} is not a PostgreSQL URL")
    return build_url({**_libpq.parse(url.conninfo), **params}, schema=url.schema)


def _host(host: str) -> str:
    if ":" in host:
        return f"[{quote(host, safe=':')}]"  # an IPv6 address
    return quote(host, safe="")
