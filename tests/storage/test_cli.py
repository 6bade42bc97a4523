"""The dualstore command line, against a fresh store on every backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import storage
from storage.cli import main


def _args(store: tuple[str, str | None]) -> list[str]:
    url, schema = store
    return ["--url", url, *(["--schema", schema] if schema else [])]


def test_migrate_check_fingerprint_and_rebuild(
    empty_store: tuple[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(empty_store)
    assert main(["migrate", "status", *args]) == 0
    status = capsys.readouterr().out
    assert "0001  core_content" in status
    assert "pending" in status
    assert status.rstrip().endswith("version 0")

    assert main(["migrate", "up", *args]) == 0
    assert capsys.readouterr().out == "applied: 0001, 0002, 0003, 0004; now at version 4\n"
    assert main(["migrate", "up", *args]) == 0
    assert "nothing to do" in capsys.readouterr().out

    assert main(["check", *args]) == 0
    assert "schema version 4" in capsys.readouterr().out

    assert main(["fingerprint", *args]) == 0
    printed = json.loads(capsys.readouterr().out)
    url, schema = empty_store
    db = storage.connect(url, schema=schema)
    try:
        assert printed == db.schema_fingerprint()
        ws = db.create_workspace("cli", storage.WriteContext.human("me"))
        doc = db.create_document(ws.id, "d", storage.WriteContext.human("me"))
        db.create_block(doc.id, storage.NewBlock("p", "two words"), storage.WriteContext.system())
    finally:
        db.close()
    assert main(["rebuild-indexes", *args]) == 0
    assert capsys.readouterr().out == (
        "rebuilt: 1 blocks indexed, 2 tokens, 1 workspaces counted\n"
    )

    assert main(["migrate", "down", "--target", "1", *args]) == 0
    assert capsys.readouterr().out == "reverted: 0004, 0003, 0002; now at version 1\n"
    assert main(["migrate", "down", *args]) == 0
    assert capsys.readouterr().out == "reverted: 0001; now at version 0\n"


def test_unreachable_server_fails_after_bounded_retries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://alice:pa55word@127.0.0.1:1/db"
    code = main(["check", "--url", url, "--attempts", "3", "--delay", "0.01"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("dualstore check: error: database not reachable after 3 attempt(s)")
    assert "pa55word" not in err
    assert "alice:***@127.0.0.1:1" in err


def test_bad_url_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "up", "--url", "mysql://x/y"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "dualstore migrate: error: unknown database URL scheme 'mysql' "
        "(known: postgres, postgresql, postgresql+psycopg, sqlite)\n"
    )


def test_bad_target_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["migrate", "up", "--target", "99", "--url", url]) == 1
    assert "migration target 99 is not between 0 and 4" in capsys.readouterr().err


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as usage:
        main(["migrate", "sideways"])
    assert usage.value.code == 2


def test_url_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("DUALSTORE_URL", f"sqlite:///{path}")
    assert main(["migrate", "up"]) == 0
    assert path.is_file()
    assert "now at version 4" in capsys.readouterr().out


def test_default_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUALSTORE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "up"]) == 0
    assert (tmp_path / "dualstore.db").is_file()


def test_errors_never_show_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "storage.cli",
            "check",
            "--attempts",
            "1",
            "--url",
            f"sqlite:///{tmp_path / 'missing' / 'x.db'}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("dualstore check: error: database not reachable after 1 ")
    assert "SQLITE_CANTOPEN" in done.stderr
