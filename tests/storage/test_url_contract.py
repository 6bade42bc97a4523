"""Database URLs, word for word: the URLs build_url writes and the refusals parse_url gives.

test_url.py checks what libpq reads; this checks the text itself, which people read (in
configuration, in messages): where each part goes, what is percent-encoded, and that a
refusal names the URL (redacted), the cause and the fix.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from storage.errors import ValidationError
from storage.url import build_url, parse_url, redact


@pytest.mark.parametrize(
    ("params", "schema", "url"),
    [
        (
            {"user": "u", "password": "p w", "host": "h", "port": "5433", "dbname": "d b"},
            "s1",
            "postgresql://u:p%20w@h:5433/d%20b?schema=s1",
        ),
        ({"host": "h", "dbname": "db"}, None, "postgresql://h/db"),
        ({"host": "h"}, None, "postgresql://h/"),
        ({"user": "me@corp", "host": "h", "dbname": "db"}, None, "postgresql://me%40corp@h/db"),
        ({"user": "a/b", "host": "h", "dbname": "db"}, None, "postgresql://a%2Fb@h/db"),
        # a password without a user name keeps its place after the ':'
        (
            {"password": "p@ss:/", "host": "h", "dbname": "db"},
            None,
            "postgresql://:p%40ss%3A%2F@h/db",
        ),
        # a socket directory reads best as a query parameter, with its port beside it
        (
            {"host": "/var/run/postgresql", "port": "5433", "dbname": "db"},
            None,
            "postgresql:///db?host=/var/run/postgresql&port=5433",
        ),
        ({"host": "/tmp", "dbname": "db"}, None, "postgresql:///db?host=/tmp"),
        # several hosts: each with its port, or one port for all of them in the query
        ({"host": "h1,h2", "port": "1,2", "dbname": "db"}, None, "postgresql://h1:1,h2:2/db"),
        (
            {"host": "h1,h2", "port": "5432", "dbname": "db"},
            None,
            "postgresql://h1,h2/db?port=5432",
        ),
        ({"port": "5433", "dbname": "db"}, None, "postgresql:///db?port=5433"),
        ({"host": "::1", "port": "5432", "dbname": "db"}, None, "postgresql://[::1]:5432/db"),
        ({"host": "h/x", "dbname": "d/b"}, None, "postgresql://h%2Fx/d%2Fb"),
        (
            {"host": "h", "dbname": "db", "application_name": "a b&c/d:e,f", "sslmode": "disable"},
            "app",
            "postgresql://h/db?application_name=a%20b%26c/d:e,f&sslmode=disable&schema=app",
        ),
    ],
)
def test_build_url_puts_each_part_where_people_expect_it(
    params: dict[str, str], schema: str | None, url: str
) -> None:
    assert build_url(params, schema=schema) == url
    if "dbname" in params:  # (a URL without one is refused, see below)
        assert parse_url(url).schema == schema


def _refused(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}$"):
        parse_url(url)


@pytest.mark.parametrize(("port", "accepted"), [("1", True), ("65535", True), ("65536", False)])
def test_port_range(port: str, accepted: bool) -> None:
    url = f"postgresql://u@h:{port}/db"
    if accepted:
        assert parse_url(url).redacted == url
    else:
        _refused(
            url, f"malformed PostgreSQL URL {url!r}: port {port} is not a port number (1-65535)"
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://u:s3cret@h/db?sslmode=bogus",
            "invalid PostgreSQL URL 'postgresql://u:***@h/db?sslmode=bogus': sslmode='bogus' "
            "is not one of disable, allow, prefer, require, verify-ca, verify-full",
        ),
        (
            "postgresql://u:s3cret@h",
            "PostgreSQL URL 'postgresql://u:***@h' names no database: add one, as in "
            "postgresql://user@host/dbname or dbname=... in the keyword/value form",
        ),
        (
            "postgresql://u:s3cret@h:0/db",
            "malformed PostgreSQL URL 'postgresql://u:***@h:0/db': port 0 is not a port "
            "number (1-65535)",
        ),
        (
            "postgresql://u:s3cret@h/db#x",
            "PostgreSQL URL 'postgresql://u:***@h/db#x' must not have a '#fragment' "
            "(percent-encode '#' in a name as %23)",
        ),
        (
            "postgresql://u:s3cret@h/db?schema=1x",
            "invalid schema name '1x': use letters, digits and '_' (at most 63, not starting "
            "with a digit)",
        ),
        # libpq's own refusal, with the URL redacted ...
        (
            "postgresql://u:s3cret@h/db?foo=bar",
            "invalid PostgreSQL URL 'postgresql://u:***@h/db?foo=bar': invalid URI query "
            'parameter: "foo"',
        ),
        # ... and the password hidden where libpq's text quotes it
        (
            "host=h dbname=d password=s3cret s3cret=1",
            "invalid PostgreSQL URL 'host=h dbname=d password=*** s3cret=1': invalid "
            'connection option "***"',
        ),
    ],
)
def test_a_refused_postgres_url_is_named_redacted_with_the_fix(url: str, message: str) -> None:
    _refused(url, message)


@pytest.mark.parametrize("url", ["service=app", "postgresql:///?service=app"])
def test_a_service_may_name_the_database(url: str) -> None:
    # pg_service.conf supplies the database: naming none is fine then
    assert parse_url(url).redacted == url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # SQLite: an '@' in the path is part of a file name, one before the path is not
        ("sqlite:///dir/x@y/file.db", "sqlite:///dir/x@y/file.db"),
        ("sqlite:///a@b.db", "sqlite:///a@b.db"),
        ("sqlite://u:s3cret@h/file.db", "sqlite://u:***@h/file.db"),
        # a '://' inside a password is not a second scheme
        ("postgresql://h/db?password=a://b", "postgresql://h/db?password=***"),
        ("postgresql://u:a://b@h/db", "postgresql://***@h/***"),
        # what cannot be split shows the scheme and the host at most
        (
            "postgresql://alice:p/a#s@db.example.com:5432/app",
            "postgresql://***@db.example.com:5432/***",
        ),
        ("postgres://alice:p/a#s@h/app", "postgres://***@h/***"),
        # a lone surrogate (a non-UTF-8 byte from the environment) in a password
        ("postgresql://u:a\udc80b@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:c\ud800d@h/db", "postgresql://u:***@h/db"),
        ("host=h dbname=d password=x\udc80y", "host=h dbname=d password=***"),
        # neither a URL nor keyword/value text: unchanged
        ("just-text", "just-text"),
        ("", ""),
    ],
)
def test_redact_word_for_word(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "database URL is empty"),
        ("  ", "database URL is empty"),
        ("sqlite:///a\x00b", "database URL contains a NUL character"),
        (
            "postgresql://u:ab\udc80@h/db",
            "database URL contains a lone surrogate at index 17 (not Unicode text: a byte "
            "that is not UTF-8 in an environment variable or argument); percent-encode that "
            "character in the URL",
        ),
        (
            "mysql://u@h/db",
            "unknown database URL scheme 'mysql' (known: postgres, postgresql, "
            "postgresql+psycopg, sqlite)",
        ),
        (
            "postgresql://alice:p/a#s@h/app",
            "malformed PostgreSQL URL 'postgresql://***@h/***' (the rest is not shown: it may "
            "hold a password): it cannot be split into user, password, host and database; "
            "percent-encode special characters in the user name and password ('/' as %2F, "
            "'@' as %40, '?' as %3F, '#' as %23, ':' as %3A, '%' as %25, space as %20)",
        ),
        (
            "sqlite://u:s3cret@h/file.db",
            "malformed SQLite URL 'sqlite://u:***@h/file.db': a SQLite URL has no host; write "
            "sqlite:///relative.db or sqlite:////absolute/path.db",
        ),
        ("sqlite:///x.db?mode=ro", "SQLite URL 'sqlite:///x.db?mode=ro' takes no query parameters"),
        (
            "zq-not-a-url",
            "malformed database URL (not shown: it may hold a password): expected "
            "'sqlite:///path/to/file.db', 'postgresql://user@host/dbname' or 'host=... dbname=...'",
        ),
        (
            "host=h dbname='unterminated",
            "malformed keyword/value conninfo (not shown: it may hold a password): it cannot be "
            "split into keyword=value pairs; write keyword=value separated by spaces, and quote "
            "a value holding spaces or quotes as keyword='it\\'s'",
        ),
        ("sqlite:///", "SQLite URL 'sqlite:///' names no file (use sqlite:///:memory:)"),
    ],
)
def test_a_refused_url_says_why_word_for_word(url: str, message: str) -> None:
    _refused(url, message)


@pytest.mark.parametrize(
    ("url", "path", "shown"),
    [
        ("sqlite://", ":memory:", "sqlite://"),
        ("sqlite:///dir://x.db", "dir://x.db", "sqlite:///dir://x.db"),
    ],
)
def test_sqlite_paths_and_their_redacted_form(url: str, path: str, shown: str) -> None:
    parsed = parse_url(url)
    assert (parsed.path, parsed.redacted) == (path, shown)


def test_without_psycopg_a_postgres_url_is_kept_as_written_minus_its_schema() -> None:
    # Without psycopg nobody reads the URL for libpq: `conninfo` is the URL itself, minus
    # `schema`, and its secrets are known for scrubbing. (Parsed here too, in this process,
    # for comparison; the subprocess has psycopg blocked.)
    url = "postgresql://u:p%40ss@h/db?schema=app&sslmode=disable"
    with_psycopg = parse_url(url)
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.modules["psycopg"] = None
        sys.modules["psycopg_pool"] = None
        import storage
        parsed = storage.parse_url({url!r})
        print(json.dumps([parsed.backend, parsed.redacted, parsed.conninfo, parsed.schema,
                          parsed.password, list(parsed.secrets)]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        "postgres",
        with_psycopg.redacted,
        "postgresql://u:p%40ss@h/db?sslmode=disable",
        "app",
        "p@ss",
        ["p%40ss", "p@ss"],
    ]
