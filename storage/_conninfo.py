"""PostgreSQL connection strings split the way libpq splits them, for redaction.

libpq's parser (see `storage.url`) decides what a connection string means; this module
only finds what must never be printed, and it has to work where libpq cannot: on a URL that
libpq refuses (its error messages quote the offending text, password included) and where
psycopg is not installed. So it follows libpq's own rules for where the user info ends (the
first ``@`` unless a ``/`` comes first) and where a keyword/value pair ends, and calls a
string it cannot split with certainty *ambiguous* (`split` returns None). An ambiguous
string is never shown: `hidden_uri` keeps its scheme and host at most.

Ambiguity is decided conservatively: a raw ``@`` after the user info (a raw ``/`` or ``@``
in the password), whitespace, bad percent-encoding, a query item without ``=``, or a ``?``
in the user name are all reasons, because libpq would read part of the password as a host,
a database or an option, and echo it in an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

REDACTED = "***"
#: what `redact` shows of a keyword/value string it cannot split
HIDDEN_CONNINFO = f"keyword/value conninfo ({REDACTED}, not shown: it cannot be parsed)"
#: keywords whose value is a secret
SECRET_KEYS = frozenset({"password", "sslpassword"})
#: without user info, a raw '@' in the query is only believed in these keywords' values
#: (`?user=alice@corp`); anywhere else it more likely ends a password holding a raw '/'
_AT_KEYS = frozenset({*SECRET_KEYS, "user", "dbname", "application_name", "options"})
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})|%00")
_KEYWORD_PAIR = re.compile(
    r"\s*(?P<key>[^\s=]+)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|(?!')(?:[^\s\\]|\\.)*)(?:\s+|\Z)",
    re.DOTALL,
)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_HOST_LIKE = re.compile(r"[A-Za-z0-9_.\-\[\]:,%]+")


@dataclass(frozen=True, slots=True)
class Split:
    """A connection string split like libpq splits it. Values are as written."""

    #: the string with every secret replaced by ***
    redacted: str
    #: what libpq is given: the string without our `schema` parameter, scheme postgresql://
    libpq_text: str
    #: the `schema` parameter (decoded), if any
    schema: str | None
    #: secret keyword -> its value as libpq reads it (the last one given wins, as in libpq)
    secrets: dict[str, str]
    #: every spelling of every secret (as written, decoded, encoded), longest first
    spellings: tuple[str, ...]
    #: a raw '#' outside the user info (URLs only; libpq would read it as part of a name)
    has_fragment: bool = False


def _decode(text: str) -> str | None:
    """`text` percent-decoded as libpq does (UTF-8), or None if libpq would refuse it."""
    if _BAD_PERCENT.search(text):
        return None
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return None


def _spellings(raw_and_decoded: list[tuple[str, str]]) -> tuple[str, ...]:
    found: set[str] = set()
    for raw, value in raw_and_decoded:
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        found.update((raw, value, escaped, *_percent_encoded(value)))
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def _percent_encoded(value: str) -> tuple[str, ...]:
    """`value` percent-encoded (all of it, and URL-style). A lone surrogate (a non-UTF-8
    byte decoded with errors='surrogateescape', as from an environment variable) encodes
    back to that byte; one that cannot has no percent-encoded spelling."""
    try:
        return tuple(quote(value, safe=safe, errors="surrogateescape") for safe in ("", "/"))
    except UnicodeEncodeError:
        return ()


def split_uri(scheme: str, rest: str) -> Split | None:
    """Split ``scheme://rest``; None if the split is ambiguous (see the module doc)."""
    if any(c.isspace() for c in rest):
        return None  # libpq refuses raw spaces, quoting the component (the password)
    at, slash = rest.find("@"), rest.find("/")
    userinfo: str | None = None
    after = rest
    if at >= 0 and (slash < 0 or at < slash):  # libpq's rule for the end of the user info
        userinfo, after = rest[:at], rest[at + 1 :]
    netpath, qmark, query = after.partition("?")
    if "@" in netpath:
        return None  # a raw '@' or '/' in the password
    pairs: list[tuple[str, str, str]] = []  # (raw key, decoded key, raw value)
    for item in query.split("&") if query else []:
        raw_key, eq, raw_value = item.partition("=")
        key = _decode(raw_key)
        if not eq or key is None:
            return None
        if "@" in raw_value and userinfo is None and key not in _AT_KEYS:
            return None
        pairs.append((raw_key, key, raw_value))
    if _decode(netpath) is None:
        return None
    found: list[tuple[str, str, str]] = []  # (keyword, raw, decoded)
    shown_userinfo = ""
    if userinfo is not None:
        user, colon, password = userinfo.partition(":")
        decoded_user, decoded_password = _decode(user), _decode(password)
        if "?" in user or decoded_user is None or decoded_password is None:
            return None
        if colon:
            found.append(("password", password, decoded_password))
        shown_userinfo = f"{user}:{REDACTED}@" if colon else f"{user}@"
    shown, kept, schema = [], [], None
    for raw_key, key, raw_value in pairs:
        value = _decode(raw_value)
        if value is None:
            return None
        if key in SECRET_KEYS:
            found.append((key, raw_value, value))
        shown.append(f"{raw_key}={REDACTED if key in SECRET_KEYS else raw_value}")
        if key == "schema":
            schema = value
        else:
            kept.append(f"{raw_key}={raw_value}")
    redacted = f"{scheme}://{rest}"
    if found:
        redacted = f"{scheme}://{shown_userinfo}{netpath}{qmark}{'&'.join(shown)}"
    credentials = "" if userinfo is None else f"{userinfo}@"
    libpq_text = f"postgresql://{credentials}{netpath}{'?' * bool(kept)}{'&'.join(kept)}"
    return Split(
        redacted=redacted,
        libpq_text=libpq_text,
        schema=schema,
        secrets={key: value for key, _, value in found},
        spellings=_spellings([(raw, value) for _, raw, value in found]),
        has_fragment="#" in netpath,
    )


def split_keywords(text: str) -> Split | None:
    """Split a keyword/value string (``host=h dbname=d``); None if libpq could not."""
    pairs: list[tuple[str, str, str]] = []  # (keyword, raw value, value)
    pos = 0
    while text[pos:].strip():
        match = _KEYWORD_PAIR.match(text, pos)
        if match is None:
            return None
        raw = match["value"]
        inner = raw[1:-1] if raw.startswith("'") else raw
        pairs.append((match["key"], raw, _ESCAPED.sub(r"\1", inner)))
        pos = match.end()
    secrets = [(key, raw, value) for key, raw, value in pairs if key in SECRET_KEYS]
    redacted = text
    if secrets:
        redacted = " ".join(
            f"{key}={REDACTED if key in SECRET_KEYS else raw}" for key, raw, _ in pairs
        )
    schemas = [value for key, _, value in pairs if key == "schema"]
    return Split(
        redacted=redacted,
        libpq_text=" ".join(f"{key}={raw}" for key, raw, _ in pairs if key != "schema"),
        schema=schemas[-1] if schemas else None,
        secrets={key: value for key, _, value in secrets},
        spellings=_spellings([(raw, value) for _, raw, value in secrets]),
    )


def hidden_uri(scheme: str, rest: str) -> str:
    """What may be shown of a URL that cannot be split: its scheme and its host, with
    everything between ``://`` and the last ``@`` (and all after the host) hidden."""
    credentials, at, tail = rest.rpartition("@")
    host = re.split(r"[/?#]", tail, maxsplit=1)[0]
    # After a query (`?key=`), the last '@' may sit inside a password: what follows it
    # is then no host but the password's tail.
    in_query = "=" in credentials.partition("?")[2]
    shown = host if _HOST_LIKE.fullmatch(host) and not in_query else REDACTED
    more = f"/{REDACTED}" if len(host) < len(tail) and shown != REDACTED else ""
    return f"{scheme}://{REDACTED + '@' if at else ''}{shown}{more}"
