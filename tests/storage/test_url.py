"""Database URLs: parsing, validation, redaction (no database needed)."""

from __future__ import annotations

import pytest

import storage
from storage.api import Backend
from storage.errors import ValidationError
from storage.url import MEMORY, parse_url, redact


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
    assert parsed.conninfo == "postgresql://u@h/db"


def test_schema_is_taken_out_and_other_parameters_stay() -> None:
    parsed = parse_url("postgresql://u@h:5433/db?schema=app_1&sslmode=disable")
    assert parsed.schema == "app_1"
    assert parsed.conninfo == "postgresql://u@h:5433/db?sslmode=disable"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("just-a-path.db", "malformed"),
        ("mysql://u@h/db", "unknown database URL scheme 'mysql'"),
        ("sqlite://host/file.db", "no host"),
        ("sqlite:///", "names no file"),
        ("sqlite:///x.db?mode=ro", "no query parameters"),
        ("postgresql://u@h:99999/db", "malformed"),
        ("postgresql://u@h:0/db", "port 0"),
        ("postgresql://u@h/db?schema=bad-name", "invalid schema name"),
        ("postgresql://u@h/db?schema=1abc", "invalid schema name"),
        ("postgresql://u@h/db#frag", "fragment"),
        ("sqlite:///a\x00b.db", "NUL"),
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
        ("postgresql://alice:p%40ss%3Aw@h:1/db?x=1", "postgresql://alice:***@h:1/db?x=1"),
        ("postgresql://h/db?user=a&password=s3cret", "postgresql://h/db?user=a&password=***"),
        ("postgresql://alice@h/db", "postgresql://alice@h/db"),
        ("sqlite:///file.db", "sqlite:///file.db"),
    ],
)
def test_redact_hides_passwords_only(url: str, shown: str) -> None:
    assert redact(url) == shown
    parsed = parse_url(url)
    assert parsed.redacted == shown
    assert "s3cret" not in repr(parsed)


def test_scrub_hides_the_password_in_driver_text() -> None:
    parsed = parse_url("postgresql://alice:p%40ss@h/db")
    assert parsed.password == "p@ss"
    assert parsed.scrub("auth failed for p@ss (p%40ss)") == "auth failed for *** (***)"


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
