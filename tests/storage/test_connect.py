"""connect(): failures are typed and explain themselves; drivers load only when needed."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

import storage
from dualstore import provision
from dualstore.isolation import BackendUnderTest
from dualstore.serverurl import ServerUrl
from storage.api import Capability
from storage.cli import main
from storage.errors import (
    LoginRefused,
    NotADatabase,
    NotMigrated,
    StoreNotFound,
    Unavailable,
    ValidationError,
)


@pytest.mark.parametrize("create", [True, False])
def test_sqlite_in_a_missing_directory_is_store_not_found(tmp_path: Path, create: bool) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(StoreNotFound, match="SQLITE_CANTOPEN") as refused:
        storage.connect(f"sqlite:///{missing / 'x.db'}", create=create)
    assert isinstance(refused.value, Unavailable)
    assert not refused.value.retryable
    assert f"there is no directory {missing}" in str(refused.value)
    assert refused.value.__cause__ is not None
    assert not missing.exists()


def test_a_file_that_is_not_a_database_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    content = b"this is not a database file, just text. " * 50
    path.write_bytes(content)
    with pytest.raises(NotADatabase, match="SQLITE_NOTADB") as refused:
        storage.connect(f"sqlite:///{path}")
    assert not refused.value.retryable
    assert "fix the path" in str(refused.value)
    assert path.read_bytes() == content


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(NotADatabase, match="is a directory"):
        storage.connect(f"sqlite:///{tmp_path}", create=False)


def test_create_false_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(StoreNotFound, match="does not exist") as refused:
        storage.connect(f"sqlite:///{path}", create=False)
    assert not refused.value.retryable
    assert "dualstore migrate up" in str(refused.value)
    assert not path.exists()
    # An existing file opens, read-write.
    storage.connect(f"sqlite:///{path}").close()
    with storage.connect(f"sqlite:///{path}", create=False) as db:
        db.run_migrations()
        assert db.migration_version() > 0


def test_create_false_on_a_path_with_uri_characters(tmp_path: Path) -> None:
    # The must-exist open goes through a file: URI; '?', '#' and '%' stay part of the name.
    path = tmp_path / "odd ?name#%41.db"
    url = f"sqlite:///{quote(str(path))}"
    with storage.connect(url) as db:
        db.run_migrations()
    with storage.connect(url, create=False) as db:
        assert db.migration_version() > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.requires(Capability.SERVER)
def test_create_false_refuses_a_missing_postgres_schema(
    backend: BackendUnderTest, empty_store: tuple[str, str | None]
) -> None:
    url, schema = empty_store
    assert schema is not None
    with pytest.raises(StoreNotFound, match=f"schema '{schema}' does not exist") as refused:
        storage.connect(url, schema=schema, create=False)
    assert not refused.value.retryable
    assert provision.list_schemas(ServerUrl.parse(url), prefix=schema) == []
    provision.create_schema(ServerUrl.parse(url), schema)
    storage.connect(url, schema=schema, create=False).close()


@pytest.mark.requires(Capability.SERVER)
def test_a_missing_postgres_database_is_store_not_found(backend: BackendUnderTest) -> None:
    parts = urlsplit(backend.info.server.secret)
    url = urlunsplit(parts._replace(path="/dualstore_no_such_database"))
    with pytest.raises(StoreNotFound, match="dualstore_no_such_database") as refused:
        storage.connect(url)
    assert not refused.value.retryable


def test_an_unmigrated_store_is_not_migrated_not_a_raw_error(
    empty_store: tuple[str, str | None],
) -> None:
    url, schema = empty_store
    with storage.connect(url, schema=schema) as db:
        with pytest.raises(NotMigrated, match="dualstore migrate up"):
            db.rebuild_indexes()
        with pytest.raises(NotMigrated, match="not migrated"):
            db.list_workspaces()
        db.run_migrations(target=1)  # part of the schema: the derived tables are missing
        with pytest.raises(NotMigrated, match="not migrated"):
            db.rebuild_indexes()
        db.ping()  # the connection stays usable


def test_memory_databases_are_private_and_not_persistent() -> None:
    first, second = storage.connect("sqlite://"), storage.connect("sqlite:///:memory:")
    try:
        first.run_migrations()
        assert first.migration_version() > 0
        assert second.migration_version() == 0
        assert storage.Capability.PERSISTENT not in first.capabilities
    finally:
        first.close()
        second.close()


def test_closed_database_is_unavailable() -> None:
    db = storage.connect("sqlite://")
    db.close()
    with pytest.raises(Unavailable, match="closed"):
        db.ping()


def test_refused_connection_is_unavailable_without_the_password() -> None:
    url = "postgresql://alice:pa55word@127.0.0.1:1/nowhere"
    with pytest.raises(Unavailable) as refused:
        storage.connect(url, connect_timeout=2)
    message = str(refused.value)
    assert "pa55word" not in message
    assert "alice:***@127.0.0.1:1" in message
    assert "refused" in message.lower()


def test_unknown_libpq_parameter_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="invalid PostgreSQL URL"):
        storage.connect("postgresql://alice:pa55word@127.0.0.1:1/db?no_such_option=1")


def test_import_and_sqlite_work_without_psycopg(tmp_path: Path) -> None:
    # Hide the PostgreSQL driver as if it were not installed.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["psycopg"] = None
        sys.modules["psycopg_pool"] = None
        import storage
        db = storage.connect("sqlite://")
        db.run_migrations()
        assert db.create_workspace("w", storage.WriteContext.system()).name == "w"
        try:
            storage.connect("postgresql://u@127.0.0.1/db")
        except storage.DriverMissing as exc:
            assert isinstance(exc, storage.Unavailable) and not exc.retryable
            print("refused:", exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "refused: the postgres backend needs the psycopg package" in done.stdout


@pytest.mark.requires(Capability.SERVER)
def test_refused_login_is_typed_and_not_retried(
    backend: BackendUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = urlsplit(backend.info.server.secret)
    url = urlunsplit(parts._replace(netloc=f"no_such_role:pa55word@{parts.hostname}:{parts.port}"))
    with pytest.raises(LoginRefused) as refused:
        storage.connect(url)
    assert isinstance(refused.value, Unavailable)
    assert "pa55word" not in str(refused.value)

    assert not refused.value.retryable

    # A retry loop stops at the first refusal: retrying a wrong login cannot help.
    assert main(["check", "--url", url, "--attempts", "5", "--delay", "5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dualstore check: error: login refused")
    assert "attempt" not in err
    assert "pa55word" not in err


def test_no_password_in_a_long_traceback_of_a_failed_connect(pytester: pytest.Pytester) -> None:
    # pytest prints every frame's arguments in long tracebacks. The caller's own frames
    # show the URL the caller passed; the driver's frames, which hold the conninfo built
    # from it (`password=...`), must not travel with the storage error.
    pytester.makepyfile(
        test_inner="""
        import storage

        def test_connect():
            password = "".join(["Super", "Secret99"])  # not in the source pytest shows
            storage.connect(f"postgresql://u:{password}@127.0.0.1:1/db", connect_timeout=2)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--tb=long")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * storage.errors.Unavailable: *u:***@127.0.0.1:1*"])
    assert "password=" not in result.stdout.str() + result.stderr.str()
    assert "psycopg/connection.py" not in result.stdout.str()


@pytest.mark.parametrize(
    "url",
    ["sqlite:///db-\udcff.db", "postgresql://u:s3cr\udce9t@127.0.0.1:1/db"],
    ids=["sqlite-path", "postgres-password"],
)
def test_a_lone_surrogate_in_the_url_is_a_validation_error(url: str) -> None:
    # What a non-UTF-8 byte in an environment variable or argument decodes to.
    with pytest.raises(ValidationError, match="database URL contains a lone surrogate") as bad:
        storage.connect(url)
    assert "s3cr" not in str(bad.value)


# --------------------------------------------------------------------------- timeouts
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"connect_timeout": 0}, "connect_timeout must be a positive number of seconds, not 0"),
        ({"connect_timeout": None}, "connect_timeout must be a number of seconds"),
        ({"connect_timeout": True}, "connect_timeout must be a number of seconds"),
        (
            {"statement_timeout": float("inf")},
            "statement_timeout must be a positive number of seconds, not inf",
        ),
        ({"statement_timeout": 0}, "statement_timeout must be a positive number of seconds, not 0"),
        ({"busy_timeout": -0.5}, "busy_timeout must be a positive number of seconds, not -0.5"),
        ({"busy_timeout": None}, "busy_timeout must be a number of seconds"),
        ({"busy_timeout": "5"}, "busy_timeout must be a number of seconds"),
    ],
)
def test_a_bad_timeout_names_itself(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}$"):
        storage.connect("sqlite://", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"busy_timeout": 0},  # do not wait for a lock at all
        {"busy_timeout": 0.0},
        {"statement_timeout": None},  # no statement timeout
        {"connect_timeout": 0.5, "statement_timeout": 1, "busy_timeout": 1},
    ],
)
def test_timeout_boundaries_that_are_accepted(kwargs: dict[str, object]) -> None:
    with storage.connect("sqlite://", **kwargs) as db:  # type: ignore[arg-type]
        db.run_migrations()
        db.ping()
        assert db.list_workspaces() == []
