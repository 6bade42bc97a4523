"""`ServerUrl`, the one value a PostgreSQL URL is in the harness: parsed once, printed
redacted, its secret handed out only when asked for by name."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from dualstore.runinfo import BackendInfo
from dualstore.serverurl import ServerUrl
from storage.errors import ValidationError

SECRET = "s3cr3t-pw"
URL = f"postgresql://app:{SECRET}@db.example:6543/app?schema=tenant&sslmode=disable"


def test_every_way_of_printing_it_hides_the_password() -> None:
    url = ServerUrl.parse(URL)
    for shown in (str(url), f"{url}", repr(url), "%s" % url, repr([url]), repr(url.secret)):  # noqa: UP031
        assert SECRET not in shown, shown
        assert "db.example" in shown
    assert url.redacted == "postgresql://app:***@db.example:6543/app?schema=tenant&sslmode=disable"


def test_the_secret_is_there_when_asked_for_by_name() -> None:
    url = ServerUrl.parse(URL)
    assert url.secret == URL
    assert f"password={SECRET}" in url.conninfo
    assert "schema" not in url.conninfo  # ours, not libpq's
    assert url.schema == "tenant"
    assert url.scrub(f"FATAL: password {SECRET} refused") == "FATAL: password *** refused"


@pytest.mark.parametrize("around", [" ", "\n", "\t \n"])
def test_the_blanks_around_a_url_are_not_part_of_it(around: str) -> None:
    """As the options always read it: a URL from a file or an environment variable often
    ends in a newline."""
    for form in (URL, "host=db.example dbname=app user=app"):
        url = ServerUrl.parse(f"{around}{form}{around}")
        assert url.secret == form
        assert url == ServerUrl.parse(form)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqlite:///x.db", "is not a PostgreSQL URL"),
        ("mysql://u@h/db", "unknown database URL scheme 'mysql'"),
        (f"postgresql://app:{SECRET}@h", "names no database"),
    ],
)
def test_what_is_not_a_postgres_url_is_refused_without_its_secret(text: str, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected) as refused:
        ServerUrl.parse(text)
    assert SECRET not in str(refused.value)


def test_replaced_names_the_same_server_in_every_form() -> None:
    for form in (URL, f"host=db.example port=6543 user=app password={SECRET} dbname=app"):
        other = ServerUrl.parse(form).replaced(dbname="other")
        assert other.redacted.startswith("postgresql://app:***@db.example:6543/other")
        assert f"password={SECRET}" in other.conninfo


def test_a_backend_info_crosses_the_wire_with_its_url_and_back(tmp_path: Path) -> None:
    """Workers get the controller's BackendInfo as plain data (execnet sends builtins only)
    and parse the URL in their own process."""
    info = BackendInfo("postgres", ServerUrl.parse(URL), "URL", "PostgreSQL 15", (), 0.1)
    wire = info.to_wire()
    assert {type(value) for value in wire.values()} <= {str, list, float}
    pickle.dumps(wire)
    assert BackendInfo.from_wire(wire) == info
    assert BackendInfo.from_wire(wire).server.conninfo == info.server.conninfo
    files = BackendInfo("sqlite", tmp_path, "files", "SQLite 3", (), 0.1)
    assert BackendInfo.from_wire(files.to_wire()).directory == tmp_path
    with pytest.raises(TypeError, match="no server"):
        _ = files.server
