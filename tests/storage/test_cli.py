"""The dualstore command line, run as a user runs it: a subprocess per command, against a
real SQLite file in tmp_path and a schema of its own on the real PostgreSQL server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import storage
from dualstore import provision
from dualstore.serverurl import ServerUrl
from storage.cli import COMMANDS

README = Path(__file__).resolve().parents[2] / "README.md"
Store = tuple[str, str | None]


def dualstore(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m storage.cli ARGS`` (what the ``dualstore`` script runs)."""
    environment = {k: v for k, v in os.environ.items() if k != "DUALSTORE_URL"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "storage.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        cwd=cwd,
        env=environment,
    )


def _args(store: Store) -> list[str]:
    url, schema = store
    return ["--url", url, *(["--schema", schema] if schema else [])]


def _exists(store: Store) -> bool:
    """Whether the store's SQLite file or PostgreSQL schema exists."""
    url, schema = store
    if schema is None:
        return Path(storage.parse_url(url).path or "").exists()
    return provision.list_schemas(ServerUrl.parse(url), prefix=schema) == [schema]


def _one_error_line(done: subprocess.CompletedProcess[str], command: str) -> str:
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"dualstore {command}: error: "), done.stderr
    return done.stderr


def _unmigrated(store: Store) -> None:
    """Make the store exist, at schema version 0 (migrated up, then all the way down)."""
    assert dualstore("migrate", "up", *_args(store)).returncode == 0
    assert dualstore("migrate", "down", *_args(store)).returncode == 0


# --------------------------------------------------------------------------- the happy path
def test_migrate_check_fingerprint_and_rebuild(empty_store: Store) -> None:
    args = _args(empty_store)
    up = dualstore("migrate", "up", *args)
    assert (up.returncode, up.stdout) == (0, "applied: 0001, 0002, 0003, 0004; now at version 4\n")
    again = dualstore("migrate", "up", *args)
    assert again.returncode == 0
    assert "nothing to do" in again.stdout

    status = dualstore("migrate", "status", *args)
    assert status.returncode == 0
    assert "0001  core_content" in status.stdout
    assert "pending" not in status.stdout
    assert status.stdout.rstrip().endswith("version 4")

    check = dualstore("check", *args)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: ")
    assert "schema version 4" in check.stdout

    fingerprint = dualstore("fingerprint", *args)
    assert fingerprint.returncode == 0
    url, schema = empty_store
    with storage.connect(url, schema=schema) as db:
        assert json.loads(fingerprint.stdout) == db.schema_fingerprint()
        ws = db.create_workspace("cli", storage.WriteContext.human("me"))
        doc = db.create_document(ws.id, "d", storage.WriteContext.human("me"))
        db.create_block(doc.id, storage.NewBlock("p", "two words"), storage.WriteContext.system())
    rebuilt = dualstore("rebuild-indexes", *args)
    assert (rebuilt.returncode, rebuilt.stdout) == (
        0,
        "rebuilt: 1 blocks indexed, 2 tokens, 1 workspaces counted\n",
    )

    down = dualstore("migrate", "down", "--target", "1", *args)
    assert (down.returncode, down.stdout) == (0, "reverted: 0004, 0003, 0002; now at version 1\n")
    down = dualstore("migrate", "down", *args)
    assert (down.returncode, down.stdout) == (0, "reverted: 0001; now at version 0\n")


def test_url_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"
    done = dualstore("migrate", "up", cwd=tmp_path, env={"DUALSTORE_URL": f"sqlite:///{path}"})
    assert done.returncode == 0, done.stderr
    assert path.is_file()
    assert "now at version 4" in done.stdout


def test_default_is_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    assert dualstore("migrate", "up", cwd=tmp_path).returncode == 0
    assert (tmp_path / "dualstore.db").is_file()
    assert dualstore("check", cwd=tmp_path).returncode == 0


# --------------------------------------------------------------------------- nothing created
@pytest.mark.parametrize(
    "command",
    [["check"], ["fingerprint"], ["rebuild-indexes"], ["migrate", "status"], ["migrate", "down"]],
    ids="-".join,
)
def test_read_only_commands_never_create_a_store(empty_store: Store, command: list[str]) -> None:
    # A mistyped SQLite path or schema name is an error, not a new empty store that looks ok.
    done = dualstore(*command, *_args(empty_store))
    assert done.returncode == 1
    err = _one_error_line(done, command[0])
    assert "does not exist" in err
    assert "dualstore migrate up" in err
    assert "attempt" not in err  # a missing store is not worth a retry
    assert not _exists(empty_store)


def test_migrate_up_creates_the_store(empty_store: Store) -> None:
    assert not _exists(empty_store)
    assert dualstore("migrate", "up", "--target", "0", *_args(empty_store)).returncode == 0
    assert _exists(empty_store)


# --------------------------------------------------------------------------- not migrated
def test_check_fails_with_exit_3_on_an_unmigrated_store(empty_store: Store) -> None:
    args = _args(empty_store)
    _unmigrated(empty_store)
    done = dualstore("check", *args)
    assert done.returncode == 3
    err = _one_error_line(done, "check")
    assert "not migrated (schema version 0): run `dualstore migrate up`" in err

    assert dualstore("migrate", "up", "--target", "1", *args).returncode == 0
    done = dualstore("check", *args)
    assert done.returncode == 3
    assert "schema version 1 of 4 (migrations pending): run `dualstore migrate up`" in (
        _one_error_line(done, "check")
    )

    assert dualstore("migrate", "up", *args).returncode == 0
    assert dualstore("check", *args).returncode == 0


@pytest.mark.parametrize("command", ["rebuild-indexes", "fingerprint"])
def test_commands_that_need_the_schema_refuse_an_unmigrated_store(
    empty_store: Store, command: str
) -> None:
    _unmigrated(empty_store)
    done = dualstore(command, *_args(empty_store))
    assert done.returncode == 3
    err = _one_error_line(done, command)
    assert "not migrated" in err
    assert "run `dualstore migrate up`" in err
    assert "no such table" not in err


# --------------------------------------------------------------------------- no futile retries
def _not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("just text, not a database. " * 40)
    return path


@pytest.mark.parametrize(
    ("make_path", "expected"),
    [
        (lambda tmp: tmp / "missing" / "x.db", "there is no directory"),
        (_not_a_database, "is not a SQLite database"),
        (lambda tmp: tmp, "is a directory, not a database file"),
    ],
    ids=["missing-directory", "not-a-database", "a-directory"],
)
def test_check_does_not_retry_what_cannot_succeed(
    tmp_path: Path, make_path: Callable[[Path], Path], expected: str
) -> None:
    path = make_path(tmp_path)
    # Five attempts 5 s apart would take 35 s: the timeout proves there was only one.
    done = dualstore("check", "--attempts", "5", "--delay", "5", "--url", f"sqlite:///{path}")
    assert done.returncode == 1
    err = _one_error_line(done, "check")
    assert expected in err
    assert "fix the path" in err
    assert "not reachable" not in err
    assert "attempt" not in err


def test_check_reports_a_missing_driver_as_such(tmp_path: Path) -> None:
    # Run the real CLI module with psycopg hidden, as on an install without [postgres].
    script = textwrap.dedent(
        """
        import runpy, sys
        sys.modules["psycopg"] = None
        sys.modules["psycopg_pool"] = None
        sys.argv = ["dualstore", *sys.argv[1:]]
        runpy.run_module("storage.cli", run_name="__main__")
        """
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "check",
            "--attempts",
            "5",
            "--delay",
            "5",
            "--url",
            "postgresql://alice:pa55word@127.0.0.1:1/db",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    err = _one_error_line(done, "check")
    assert "needs the psycopg package: install dualstore[postgres]" in err
    assert "not reachable" not in err
    assert "pa55word" not in err


def test_unreachable_server_fails_after_bounded_retries() -> None:
    url = "postgresql://alice:pa55word@127.0.0.1:1/db"
    done = dualstore("check", "--url", url, "--attempts", "3", "--delay", "0.01")
    assert done.returncode == 1
    err = _one_error_line(done, "check")
    assert err.startswith("dualstore check: error: database not reachable after 3 attempt(s)")
    assert "pa55word" not in err
    assert "alice:***@127.0.0.1:1" in err


def test_errors_never_show_a_traceback(tmp_path: Path) -> None:
    done = dualstore("check", "--url", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert done.returncode == 1
    assert "SQLITE_CANTOPEN" in _one_error_line(done, "check")


# --------------------------------------------------------------------------- exit codes
@pytest.mark.parametrize(
    "argv",
    [
        ["migrate", "sideways"],
        ["check", "--url", "mysql://x/y"],
        ["check", "--url", "no-scheme-at-all"],
        ["check", "--url", "sqlite://host/x.db"],
        ["check", "--attempts", "0"],
        ["check", "--attempts", "many"],
        ["check", "--delay", "-1"],
        ["check", "--connect-timeout", "nan"],
        ["check", "--connect-timeout", "0"],
        ["migrate", "up", "--target", "-1"],
        ["migrate", "up", "--target", "99"],
        ["migrate", "down", "--target", "99"],
        ["check", "--url", "postgresql://u@127.0.0.1:1/db", "--schema", "bad-name"],
        ["check", "--url", "postgresql://u@127.0.0.1:1/db?no_such_option=1"],
    ],
    ids="_".join,
)
def test_usage_errors_exit_2_and_touch_nothing(tmp_path: Path, argv: list[str]) -> None:
    done = dualstore(*argv, cwd=tmp_path, timeout=30)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"dualstore {argv[0]}: error: " in done.stderr
    assert list(tmp_path.iterdir()) == []  # no default dualstore.db, no x.db


def test_a_malformed_url_from_the_environment_is_a_usage_error(tmp_path: Path) -> None:
    done = dualstore("migrate", "up", cwd=tmp_path, env={"DUALSTORE_URL": "mysql://x/y"})
    assert done.returncode == 2
    assert _one_error_line(done, "migrate") == (
        "dualstore migrate: error: unknown database URL scheme 'mysql' "
        "(known: postgres, postgresql, postgresql+psycopg, sqlite)\n"
    )


def test_migrate_never_goes_the_other_way_silently(empty_store: Store) -> None:
    args = _args(empty_store)
    assert dualstore("migrate", "up", *args).returncode == 0
    done = dualstore("migrate", "up", "--target", "1", *args)
    assert done.returncode == 1
    assert "at version 4, past --target 1" in _one_error_line(done, "migrate")
    assert "dualstore migrate down --target 1" in done.stderr
    assert dualstore("migrate", "status", *args).stdout.rstrip().endswith("version 4")

    assert dualstore("migrate", "down", "--target", "1", *args).returncode == 0
    done = dualstore("migrate", "down", "--target", "2", *args)
    assert done.returncode == 1
    assert "at version 1, below --target 2" in _one_error_line(done, "migrate")
    assert "dualstore migrate up --target 2" in done.stderr
    assert dualstore("migrate", "status", *args).stdout.rstrip().endswith("version 1")

    # The current version itself is fine both ways: nothing to do.
    assert "nothing to do" in dualstore("migrate", "up", "--target", "1", *args).stdout
    assert "nothing to do" in dualstore("migrate", "down", "--target", "1", *args).stdout


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["migrate", "--help"]])
def test_help_states_the_exit_codes(argv: list[str]) -> None:
    done = dualstore(*argv)
    assert done.returncode == 0
    listed = re.findall(r"^  (\d+) +(\S.*)$", done.stdout.partition("exit status:")[2], re.M)
    codes = {int(code): meaning for code, meaning in listed}
    assert sorted(codes) == [0, 1, 2, 3, 130]
    assert codes[2].startswith("usage error")
    assert "not migrated" in codes[3]


# --------------------------------------------------------------------------- README
def test_readme_shows_every_command_with_an_example() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.partition("\n## Command line\n")[2].partition("\n## ")[0]
    assert section, "README has no '## Command line' section"
    examples = "\n".join(re.findall(r"```(?:sh)?\n(.*?)```", section, re.S))
    wanted = [f"dualstore {name}" for name in COMMANDS if name != "migrate"]
    wanted += [f"dualstore migrate {action}" for action in ("up", "down", "status")]
    missing = [w for w in wanted if re.search(rf"^{re.escape(w)}\b", examples, re.M) is None]
    assert missing == []
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"^\| `{code}` \|", section, re.M), f"exit code {code} undocumented"
