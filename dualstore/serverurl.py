"""`ServerUrl`: a PostgreSQL server's URL as the harness holds it, parsed once.

The options parse `--dualstore-postgres-url` (or its ini key or environment variable) into a
`ServerUrl`; from there on provisioning, the run lock, the reaper and the admin SQL take that
value, never a string to parse again. Parsing is `storage.url`'s (libpq's own parser where
psycopg is installed), so a URL the storage layer refuses is refused here with the same words.

The value hides its secrets by default: `str()`, f-strings and `repr()` (which pytest prints
for every frame of a long traceback) show the redacted form. What a driver or a child process
needs is asked for by name: `conninfo` (what libpq gets) or `secret` (the URL as given).
A worker receives the secret text over xdist's channel and parses it once more, in its own
process.

This module imports no database driver (`replaced` needs psycopg, through `storage.url`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.errors import ValidationError
from storage.url import DatabaseUrl, parse_url, redact, with_params

__all__ = ["SecretUrl", "ServerUrl"]


class SecretUrl(str):
    """A URL as text (what an adopter's driver takes) whose `repr` hides the password.
    `str()` and f-strings give the real URL: print the `ServerUrl`, never this."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(redact(str(self)))


@dataclass(frozen=True, slots=True, eq=False)
class ServerUrl:
    """A validated PostgreSQL URL (any form libpq reads: URI, keyword/value, socket
    directory, several hosts). Two are equal when they were given as the same text."""

    _parsed: DatabaseUrl = field(repr=False)
    _text: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> ServerUrl:
        """`text` parsed (without the blanks around it: a value read from a file or an
        environment variable often ends in a newline); a malformed URL, or one of another
        backend, is a `ValidationError` whose message shows no secret."""
        text = text.strip()
        parsed = parse_url(text)
        if parsed.conninfo is None:  # a sqlite:// URL: not something libpq would take
            raise ValidationError(
                f"{parsed.redacted!r} is not a PostgreSQL URL; expected "
                "postgresql://user:password@host:port/dbname or 'host=... dbname=...'"
            )
        return cls(parsed, text)

    @property
    def redacted(self) -> str:
        """The URL with its password (and sslpassword) replaced by ***: safe to print."""
        return self._parsed.redacted

    @property
    def conninfo(self) -> str:
        """What libpq gets: the keyword/value conninfo, without our `schema` parameter.
        It may hold the password: pass it to the driver, never print it."""
        assert self._parsed.conninfo is not None  # (parse() refuses any other URL)
        return self._parsed.conninfo

    @property
    def schema(self) -> str | None:
        """The schema the URL names (`?schema=`), if any."""
        return self._parsed.schema

    @property
    def secret(self) -> SecretUrl:
        """The URL as given, for an environment variable, a child process or a driver that
        takes URLs (its repr still hides the password)."""
        return SecretUrl(self._text)

    def scrub(self, text: str) -> str:
        """`text` (a driver's error message, a tool's output) with this URL's secrets hidden."""
        return self._parsed.scrub(text)

    def scrubbed(self, exc: BaseException) -> str:
        """A driver error's message on one line, without this URL's secrets."""
        return " ".join(self.scrub(str(exc)).split())

    def replaced(self, **params: str) -> ServerUrl:
        """This server with some libpq parameters replaced (e.g. `dbname=`). Built from
        libpq's reading of the URL, so every form names the same server."""
        return ServerUrl.parse(with_params(self._parsed, **params))

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"ServerUrl({self.redacted!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServerUrl) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)
