"""Database URLs: parsing (every form libpq takes), validation, redaction.

libpq's own reading is the reference: a URL is accepted when libpq reads it, and what the
storage layer hands to libpq (`DatabaseUrl.conninfo`) must mean exactly what the URL meant.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from urllib.parse import quote

import pytest

import storage
from dualstore import provision
from dualstore.isolation import BackendUnderTest
from storage.api import Backend, Capability
from storage.backends import _libpq
from storage.errors import ValidationError
from storage.url import MEMORY, build_url, parse_url, redact

#: a password with every character that breaks a hand-written URL split, and non-ASCII
SECRET = "p/a#s?s@w:o%rd-ü"
ENCODED = quote(SECRET, safe="")


def leaks(text: str, secret: str = SECRET) -> list[str]:
    """Every spelling or 5-character piece of `secret` that `text` shows."""
    forms = {secret, quote(secret, safe=""), quote(secret), json.dumps(secret)[1:-1]}
    forms |= {secret[i : i + 5] for i in range(len(secret) - 4)}
    return sorted(form for form in forms if form in text)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///relative/file.db", "relative/file.db"),
        ("sqlite:////absolute/file.db", "/absolute/file.db"),
        ("sqlite:///:memory:", MEMORY),
        ("sqlite://", MEMORY),
        ("sqlite:///with%20space.db", "with space.db"),
    ],
)
def test_sqlite_urls(url: str, path: str) -> None:
    parsed = parse_url(url)
    assert (parsed.backend, parsed.path, parsed.schema) == (Backend.SQLITE, path, None)


@pytest.mark.parametrize(
    "url", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"]
)
def test_postgres_scheme_aliases(url: str) -> None:
    parsed = parse_url(url)
    assert parsed.backend is Backend.POSTGRES
    assert parsed.conninfo is not None
    assert _libpq.parse(parsed.conninfo) == {"user": "u", "host": "h", "dbname": "db"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h:5433/db?schema=app_1&sslmode=disable",
        "host=h port=5433 user=u dbname=db schema=app_1 sslmode=disable",
    ],
)
def test_schema_is_taken_out_and_other_parameters_stay(url: str) -> None:
    parsed = parse_url(url)
    assert parsed.schema == "app_1"
    assert parsed.conninfo is not None
    assert _libpq.parse(parsed.conninfo) == {
        "user": "u",
        "host": "h",
        "port": "5433",
        "dbname": "db",
        "sslmode": "disable",
    }


LIBPQ_FORMS = [
    # a socket directory given as a query parameter (urlunsplit used to drop the '//')
    ("postgresql:///db?host=/var/run/postgresql", {"dbname": "db", "host": "/var/run/postgresql"}),
    # ... or percent-encoded in the host part
    ("postgresql://%2Fvar%2Frun%2Fpostgresql/db", {"dbname": "db", "host": "/var/run/postgresql"}),
    # several hosts, tried in turn
    (
        "postgresql://h1:5432,h2:5433/db",
        {"dbname": "db", "host": "h1,h2", "port": "5432,5433"},
    ),
    # libpq's keyword/value form, with a quoted value holding a space and a quote
    (
        "host=/var/run/postgresql dbname=app user=me password='a b\\'c'",
        {"host": "/var/run/postgresql", "dbname": "app", "user": "me", "password": "a b'c"},
    ),
    # a user and a database, no host: libpq's default socket
    ("postgresql://postgres@/test", {"user": "postgres", "dbname": "test"}),
    # IPv6
    ("postgresql://u@[::1]:5432/db", {"user": "u", "host": "::1", "port": "5432", "dbname": "db"}),
    # percent-encoding everywhere, a password with every special character
    (
        f"postgresql://u%40corp:{ENCODED}@h/d%C3%BCb?application_name=a%20b",
        {
            "user": "u@corp",
            "password": SECRET,
            "host": "h",
            "dbname": "düb",
            "application_name": "a b",
        },
    ),
    # raw characters libpq reads unambiguously in the password
    (
        "postgresql://u:p?s#w:d@h/db",
        {"user": "u", "password": "p?s#w:d", "host": "h", "dbname": "db"},
    ),
    # a user name with '@' in the query
    ("postgresql://h/db?user=me@corp", {"user": "me@corp", "host": "h", "dbname": "db"}),
]


@pytest.mark.parametrize(("url", "expected"), LIBPQ_FORMS)
def test_every_libpq_form_is_accepted_and_means_what_libpq_reads(
    url: str, expected: dict[str, str]
) -> None:
    parsed = parse_url(url)
    assert parsed.backend is Backend.POSTGRES
    assert parsed.conninfo is not None
    assert _libpq.parse(url) == expected  # the reference: libpq's own reading
    assert _libpq.parse(parsed.conninfo) == expected  # what libpq is handed
    assert parse_url(parsed.conninfo).conninfo == parsed.conninfo  # stable
    assert parsed.password == expected.get("password")
    # build_url writes the same server back as a URL (create_database uses it)
    rebuilt = parse_url(build_url(expected, schema="s1"))
    assert rebuilt.conninfo is not None
    assert (_libpq.parse(rebuilt.conninfo), rebuilt.schema) == (expected, "s1")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("just-a-path.db", "malformed"),
        ("mysql://u@h/db", "unknown database URL scheme 'mysql'"),
        ("sqlite://host/file.db", "no host"),
        ("sqlite:///", "names no file"),
        ("sqlite:///x.db?mode=ro", "no query parameters"),
        ("postgresql://u@h:99999/db", "malformed.*port 99999"),
        ("postgresql://u@h:0/db", "port 0"),
        ("postgresql://u@h:notaport/db", "malformed.*port notaport"),
        ("postgresql://u@h/db?schema=bad-name", "invalid schema name"),
        ("postgresql://u@h/db?schema=1abc", "invalid schema name"),
        ("postgresql://u@h/db#frag", "fragment"),
        ("sqlite:///a\x00b.db", "NUL"),
        # no database: libpq would silently use one named like the user
        ("postgres://", "names no database"),
        ("postgresql://u@h", "names no database"),
        ("postgresql://u@h/", "names no database"),
        ("host=h user=u", "names no database"),
        # refused by libpq only when it connects: refused here at once
        ("postgresql://u@h/db?sslmode=bogus", "sslmode='bogus' is not one of disable"),
        ("postgresql://u@h/db?target_session_attrs=x", "target_session_attrs='x'"),
        ("host=h dbname=d sslmode=bogus", "sslmode='bogus'"),
        # unknown options, in both forms
        ("postgresql://u@h/db?foo=bar", 'invalid URI query parameter: "foo"'),
        ("host=h dbname=d foo=bar", 'invalid connection option "foo"'),
        ("host=h dbname='unterminated", "malformed keyword/value conninfo"),
    ],
)
def test_bad_urls_are_validation_errors(url: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_url(url)
    with pytest.raises(ValidationError):
        storage.connect(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://alice:s3cret@h/db", "postgresql://alice:***@h/db"),
        (
            "postgresql://alice:p%40ss%3Aw@h:1/db?sslmode=disable",
            "postgresql://alice:***@h:1/db?sslmode=disable",
        ),
        ("postgresql://h/db?user=a&password=s3cret", "postgresql://h/db?user=a&password=***"),
        # a password as a query parameter, no user name
        ("postgresql://h/db?password=s3cret", "postgresql://h/db?password=***"),
        ("postgresql://u@h/db?sslpassword=s3cret", "postgresql://u@h/db?sslpassword=***"),
        ("postgresql://u:a@h/db?password=s3cret", "postgresql://u:***@h/db?password=***"),
        ("postgresql://alice@h/db", "postgresql://alice@h/db"),
        ("host=h dbname=d password=s3cret", "host=h dbname=d password=***"),
        ("host=h dbname=d password='s3cret with spaces'", "host=h dbname=d password=***"),
        ("host=h dbname=d sslpassword = s3cret", "host=h dbname=d sslpassword=***"),
        ("sqlite:///file.db", "sqlite:///file.db"),
    ],
)
def test_redact_hides_passwords_only(url: str, shown: str) -> None:
    assert redact(url) == shown
    parsed = parse_url(url)
    assert parsed.redacted == shown
    assert "s3cret" not in repr(parsed)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        # percent-encoded: decoded and encoded spellings are both hidden
        (f"postgresql://u:{ENCODED}@h/db", SECRET),
        (f"postgresql://h/db?user=u&password={ENCODED}", SECRET),
        (f"postgresql://h/db?sslpassword={ENCODED}", SECRET),
        # non-ASCII as is
        ("postgresql://u:pässwörd-ü@h/db", "pässwörd-ü"),
        (f"host=h dbname=d password='{SECRET}'", SECRET),
        (f"host=h dbname=d password={SECRET}", SECRET),
    ],
)
def test_a_url_that_parses_never_shows_its_password(url: str, secret: str) -> None:
    parsed = parse_url(url)
    assert parsed.password == secret or parsed.secrets
    assert not leaks(redact(url) + parsed.redacted + repr(parsed), secret)
    scrubbed = parsed.scrub(f"server said {secret} / {quote(secret, safe='')}")
    assert scrubbed == "server said *** / ***"
    with pytest.raises(storage.StorageError) as refused:  # there is no host "h"
        storage.connect(url, connect_timeout=1)
    assert not leaks(str(refused.value), secret), str(refused.value)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        # raw special characters: libpq would read part of the password as a host, a
        # port, a database or an option, and echo it in an error
        (f"postgresql://u:{SECRET}@h/db", SECRET),
        (f"postgres://u:{SECRET}@h:5432/db?sslmode=disable", SECRET),
        (f"postgresql+psycopg://u:{SECRET}@h/db?schema=app", SECRET),
        ("postgresql://u:zq@xkvjw@h/db", "zq@xkvjw"),
        ("postgresql://u:1234/xkvjw@h/db", "1234/xkvjw"),
        ("postgresql://u:zq%xkvjw@h/db", "zq%xkvjw"),
        ("postgresql://u:zq%FFxkvjw@h/db", "zq%FFxkvjw"),
        ("postgresql://u:zq xkvjw@h/db", "zq xkvjw"),
        ("postgresql://h?password=zq@xkvjw", "zq@xkvjw"),
        (f"postgresql://h/db?password={SECRET}", SECRET),
        (f"postgresql://h/db?password=x@y&{SECRET}", SECRET),
        (f"host=h dbname=d password='{SECRET}", SECRET),  # unterminated quote
    ],
)
def test_a_url_that_cannot_be_split_is_refused_unseen(url: str, secret: str) -> None:
    assert not leaks(redact(url), secret), redact(url)
    with pytest.raises(ValidationError) as refused:
        parse_url(url)
    assert not leaks(str(refused.value), secret), str(refused.value)
    with pytest.raises(ValidationError) as refused:
        storage.connect(url)
    assert not leaks(str(refused.value), secret), str(refused.value)


def test_text_that_is_no_url_is_not_echoed() -> None:
    with pytest.raises(ValidationError, match="malformed database URL") as refused:
        parse_url(f"zq{SECRET}")
    assert not leaks(str(refused.value))


def test_a_url_that_cannot_be_split_shows_scheme_and_host_at_most() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_url(f"postgresql://alice:{SECRET}@db.example.com:5432/app")
    message = str(refused.value)
    assert "'postgresql://***@db.example.com:5432/***'" in message
    assert "alice" not in message
    assert "percent-encode" in message


def test_scrub_hides_the_password_in_driver_text() -> None:
    parsed = parse_url("postgresql://alice:p%40ss@h/db")
    assert parsed.password == "p@ss"
    assert parsed.scrub("auth failed for p@ss (p%40ss)") == "auth failed for *** (***)"


def test_urls_are_accepted_and_redacted_without_psycopg() -> None:
    # A SQLite-only install may hold a PostgreSQL URL in its configuration: it is accepted
    # and redacted; only using it fails, with the missing package named.
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["psycopg"] = None
        sys.modules["psycopg_pool"] = None
        import storage
        parsed = storage.parse_url("postgresql://u:{ENCODED}@h/db?schema=app")
        print(parsed.redacted, parsed.schema, parsed.password == {SECRET!r})
        print(storage.parse_url("host=/tmp dbname=d password='x y'").redacted)
        for raw in ("postgresql://u:{SECRET}@h/db", "host=h password='{SECRET}"):
            try:
                storage.parse_url(raw)
            except storage.ValidationError as exc:
                print("refused:", exc)
        try:
            storage.connect("postgresql:///db?host=/var/run/postgresql")
        except storage.Unavailable as exc:
            print("unavailable:", exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "postgresql://u:***@h/db?schema=app app True"
    assert lines[1] == "host=/tmp dbname=d password=***"
    assert lines[2].startswith("refused: malformed PostgreSQL URL 'postgresql://***@h/***'")
    assert lines[3].startswith("refused: malformed keyword/value conninfo (not shown")
    assert "unavailable: the postgres backend needs the psycopg package" in lines[4]
    assert not leaks(done.stdout + done.stderr)


# --------------------------------------------------------------------------- real connections


@pytest.mark.requires(Capability.SERVER)
def test_keyword_value_form_connects(backend: BackendUnderTest) -> None:
    conninfo = backend.info.server.conninfo
    keywords = " ".join(f"{key}='{value}'" for key, value in _libpq.parse(conninfo).items())
    db = storage.connect(keywords)
    try:
        db.ping()
    finally:
        db.close()


@pytest.fixture(scope="module")
def server() -> Iterator[provision.ThrowawayServer]:
    """A server of this module's own: its socket directory is known (the run's server may
    be a container whose socket is out of reach)."""
    with provision.throwaway_server() as started:
        yield started


@pytest.mark.parametrize(
    "form",
    [
        "postgresql:///postgres?host={socket}&port={port}&user=postgres",
        "postgresql://postgres@{encoded}:{port}/postgres",
        "host={socket} port={port} user=postgres dbname=postgres",
        # several hosts: the first has no server, libpq goes on to the second
        "postgresql://postgres@127.0.0.1:{closed},127.0.0.1:{port}/postgres",
    ],
)
def test_socket_and_multi_host_forms_connect(
    server: provision.ThrowawayServer, form: str, closed_port: int
) -> None:
    socket_dir = str(server.data_dir.parent)  # the throwaway server's socket directory
    url = form.format(
        socket=socket_dir, encoded=quote(socket_dir, safe=""), port=server.port, closed=closed_port
    )
    db = storage.connect(url, connect_timeout=5)
    try:
        db.ping()
    finally:
        db.close()


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"connect_timeout": 0},
        {"connect_timeout": -1},
        {"statement_timeout": float("nan")},
        {"busy_timeout": -0.5},
        {"busy_timeout": "5"},
        {"schema": "no spaces"},
    ],
)
def test_bad_connect_options_are_validation_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        storage.connect("sqlite://", **kwargs)  # type: ignore[arg-type]
