"""Options: each read once from flag, env var or ini key, in that order of precedence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from dualstore.options import KNOWN_BACKENDS, RUN_DIR, load, load_runs_dir
from dualstore.provision import PROVISIONERS
from dualstore.provision.pgerrors import classify
from dualstore.runinfo import RUN_DIR_MOVED_BY
from dualstore.serverurl import ServerUrl
from dualstore.settings import HarnessConfig
from tests.adopting import ADOPTED, adopt

Reader = Callable[..., HarnessConfig]


@pytest.fixture
def read(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Reader:
    for name in (
        "DUALSTORE_BACKENDS",
        "DUALSTORE_POSTGRES_URL",
        "DUALSTORE_DB_READY_TIMEOUT",
        "DUALSTORE_PG_BINDIR",
        "DUALSTORE_REAP_GRACE",
        "DUALSTORE_RUN_DIR",
    ):
        monkeypatch.delenv(name, raising=False)

    def read(*args: str, env: dict[str, str] | None = None, ini: str = "") -> HarnessConfig:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        pytester.makeini(f"[pytest]\n{ini}\n")
        return load(pytester.parseconfig(*ADOPTED, *args))

    return read


def test_defaults(read: Reader) -> None:
    cfg = read()
    assert cfg == HarnessConfig(
        backends=KNOWN_BACKENDS,
        backends_explicit=False,
        postgres_url=None,
        db_ready_timeout=30.0,
        pg_bindir=None,
    )


def test_flag_beats_env_beats_ini(read: Reader) -> None:
    ini = (
        "dualstore_backends = sqlite\ndualstore_postgres_url = postgresql://ini@h/db\n"
        "dualstore_db_ready_timeout = 5"
    )
    env = {
        "DUALSTORE_BACKENDS": "postgres",
        "DUALSTORE_POSTGRES_URL": "postgresql://env@h/db",
        "DUALSTORE_DB_READY_TIMEOUT": "7",
    }
    assert read(ini=ini) == HarnessConfig(
        ("sqlite",), True, ServerUrl.parse("postgresql://ini@h/db"), 5.0, None
    )
    assert read(ini=ini, env=env) == HarnessConfig(
        ("postgres",), True, ServerUrl.parse("postgresql://env@h/db"), 7.0, None
    )
    flags = (
        "--backend",
        "sqlite",
        "--postgres-url",
        "postgresql://flag@h/db",
        "--dualstore-db-ready-timeout",
        "9",
    )
    assert read(*flags, ini=ini, env=env) == HarnessConfig(
        ("sqlite",), True, ServerUrl.parse("postgresql://flag@h/db"), 9.0, None
    )


def test_reap_grace_may_be_zero_but_not_negative(read: Reader) -> None:
    assert read().reap_grace == timedelta(minutes=2)
    assert read("--dualstore-reap-grace", "0").reap_grace == timedelta(0)
    assert read(env={"DUALSTORE_REAP_GRACE": "90"}).reap_grace == timedelta(seconds=90)
    with pytest.raises(pytest.UsageError, match="--dualstore-reap-grace: expected a non-negative"):
        read("--dualstore-reap-grace", "-5")


def test_run_dir_flag_beats_env_beats_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DUALSTORE_RUN_DIR", raising=False)
    pytester.makeini("[pytest]\ndualstore_run_dir = from-ini\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    root = pytester.path
    # A relative ini value is relative to the rootdir, a relative flag or env value to
    # the current directory (as a shell user means it).
    assert load_runs_dir(pytester.parseconfig(*ADOPTED, root)) == root / "from-ini"
    monkeypatch.setenv("DUALSTORE_RUN_DIR", "from-env")
    assert load_runs_dir(pytester.parseconfig(*ADOPTED, root)) == elsewhere / "from-env"
    flag = pytester.parseconfig(*ADOPTED, root, "--dualstore-run-dir", "~/from-flag")
    assert load_runs_dir(flag) == Path.home() / "from-flag"
    pytester.makeini("[pytest]\n")
    monkeypatch.delenv("DUALSTORE_RUN_DIR")
    assert load_runs_dir(pytester.parseconfig(*ADOPTED, root)) == root / ".dualstore" / "runs"
    with pytest.raises(pytest.UsageError, match="--dualstore-run-dir: expected a directory"):
        load_runs_dir(pytester.parseconfig(*ADOPTED, root, "--dualstore-run-dir", " "))
    # The usage error for an unusable run directory names this very option.
    assert (RUN_DIR.flag, RUN_DIR.ini, RUN_DIR.env) == (
        "--dualstore-run-dir",
        "dualstore_run_dir",
        "DUALSTORE_RUN_DIR",
    )
    assert all(name in RUN_DIR_MOVED_BY for name in (RUN_DIR.flag, RUN_DIR.ini, RUN_DIR.env))


def test_repeated_and_comma_separated_backends_keep_run_order(read: Reader) -> None:
    assert read("--backend", "postgres", "--backend", "sqlite").backends == KNOWN_BACKENDS
    assert read(env={"DUALSTORE_BACKENDS": " Postgres , sqlite,"}).backends == KNOWN_BACKENDS


def test_empty_env_counts_as_unset(read: Reader, tmp_path: Path) -> None:
    cfg = read(env={"DUALSTORE_POSTGRES_URL": "", "DUALSTORE_BACKENDS": " "})
    assert cfg.postgres_url is None
    assert cfg.backends_explicit is False
    assert read(env={"DUALSTORE_PG_BINDIR": str(tmp_path)}).pg_bindir == tmp_path


def test_backend_choices_are_the_provisioner_registry() -> None:
    assert KNOWN_BACKENDS == tuple(PROVISIONERS) == ("sqlite", "postgres")


@pytest.mark.parametrize(
    ("message", "permanent"),
    [
        ('FATAL:  password authentication failed for user "app"', "refused the login"),
        ('FATAL:  role "nobody" does not exist', "refused the login (unknown role)"),
        ('FATAL:  database "nope" does not exist', "has no such database"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "app"', "refused the login"),
        ("FATAL:  the database system is starting up", None),
        ('FATAL:  too many connections for role "app"', None),
        ("Connection refused Is the server running on that host", None),
        ('could not translate host name "db" to address', None),
        ('invalid sslmode value: "sometimes"', "is invalid"),
        ('invalid connection option "colour"', "is invalid"),
        ('invalid integer value "five" for connection option "port"', "is invalid"),
    ],
)
def test_connection_errors_retry_only_when_waiting_can_help(
    message: str, permanent: str | None
) -> None:
    failure = classify(message)
    assert (failure.what if failure else None) == permanent


def test_a_url_with_a_byte_that_is_not_utf8_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-UTF-8 byte in the environment reaches Python as a lone surrogate; libpq's parser
    cannot encode it, and the run crashed with an INTERNALERROR (exit 3)."""
    monkeypatch.setenv("DUALSTORE_POSTGRES_URL", "postgresql://u:s\udcffcret@127.0.0.1:1/db")
    pytester.makepyfile("def test_x(db):\n    pass\n")
    adopt(pytester)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "env DUALSTORE_POSTGRES_URL: database URL contains a lone surrogate" in output
    assert "cret" not in output
    assert "INTERNALERROR" not in output
