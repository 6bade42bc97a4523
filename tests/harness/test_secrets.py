"""A password in the PostgreSQL URL is never printed and never written: not through the
flag, the environment variable or `dualstore check`, not in run.json, reproduce.txt, the
order files or a JUnit report, not in `--tb=long --showlocals` tracebacks of a failing
test or of a failed provisioning, whether the URL parses or not.

The runs that succeed use a throwaway server of this module's own: it trusts every login,
so a URL carrying the secret password really connects and a whole run goes through.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from dualstore import provision

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

#: every character that breaks a hand-written URL split, and a non-ASCII one
SECRET = "p/a#s?s@w:o%rd-ü"
ENCODED = quote(SECRET, safe="")

#: inner tests: one passes, one fails inside the storage layer with its frames' locals
SUITE = """
from storage.api import WriteContext

def test_passes(db, backend):
    db.ping()

def test_fails(db, backend):
    target = backend.info.target
    db.create_workspace("nul\\x00name", WriteContext.system())
"""


def leaks(text: str) -> list[str]:
    """Every spelling or 5-character piece of the secret that `text` shows."""
    forms = {SECRET, quote(SECRET, safe=""), quote(SECRET), json.dumps(SECRET)[1:-1]}
    forms |= {SECRET[i : i + 5] for i in range(len(SECRET) - 4)}
    return sorted(form for form in forms if form in text)


def written_leaks(root: Path) -> dict[str, list[str]]:
    """Files under `root` that show the secret, with what they show."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            shown = leaks(path.read_bytes().decode("utf-8", errors="replace"))
            if shown:
                found[str(path.relative_to(root))] = shown
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[provision.ThrowawayServer]:
    with provision.throwaway_server() as started:
        yield started


@pytest.fixture(scope="module")
def urls(server: provision.ThrowawayServer) -> dict[str, str]:
    """The same login to the module's server, with the secret, in every form."""
    return {
        "encoded": f"postgresql://postgres:{ENCODED}@127.0.0.1:{server.port}/postgres",
        "keywords": (
            f"host=127.0.0.1 port={server.port} user=postgres password='{SECRET}' dbname=postgres"
        ),
        "raw": f"postgresql://postgres:{SECRET}@127.0.0.1:{server.port}/postgres",
        "raw_query": f"postgresql://127.0.0.1:{server.port}/postgres?password={SECRET}",
    }


def assert_no_leak(inner: Inner, result: pytest.RunResult) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert not leaks(output), output
    assert not written_leaks(inner.pytester.path)


def run_files(inner: Inner) -> list[str]:
    runs = inner.pytester.path / ".dualstore" / "runs"
    return sorted(p.name for run in runs.iterdir() for p in run.iterdir())


@pytest.mark.parametrize("form", ["encoded", "keywords"])
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_whole_run_with_a_secret_url_shows_it_nowhere(
    inner: Inner, urls: dict[str, str], form: str, how: str
) -> None:
    inner.pytester.makepyfile(test_suite=SUITE)
    url = urls[form]
    args = ["--backend", "postgres", "--tb=long", "--showlocals", "--junitxml=junit.xml"]
    if how == "flag":
        result = inner.run(*args, "-n", "2", f"--postgres-url={url}")
    else:
        result = inner.run(*args, env={"DUALSTORE_POSTGRES_URL": url})
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*target = *", "*reproduce with:*"])  # locals were shown
    files = run_files(inner)
    assert {"run.json", "reproduce.txt"} <= set(files)
    assert any(name.startswith("order") for name in files)
    assert (inner.pytester.path / "junit.xml").is_file()
    assert_no_leak(inner, result)


@pytest.mark.parametrize("form", ["raw", "raw_query"])
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_url_that_cannot_be_parsed_stops_the_run_unseen(
    inner: Inner, urls: dict[str, str], form: str, how: str
) -> None:
    inner.pytester.makepyfile(test_suite=SUITE)
    url = urls[form]
    args = ["--backend", "postgres", "--tb=long", "--showlocals", "--junitxml=junit.xml"]
    if how == "flag":
        result = inner.run(*args, "--postgres-url", url)
    else:
        result = inner.run(*args, env={"DUALSTORE_POSTGRES_URL": url})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*malformed PostgreSQL URL 'postgresql://*"])
    assert_no_leak(inner, result)


@pytest.mark.parametrize("failure", ["closed port", "no such database"])
def test_a_failed_provisioning_shows_no_secret(
    inner: Inner, server: provision.ThrowawayServer, closed_port: int, failure: str
) -> None:
    inner.pytester.makepyfile(test_suite=SUITE)
    port, dbname = (closed_port, "postgres") if failure == "closed port" else (server.port, "x")
    url = f"postgresql://postgres:{ENCODED}@127.0.0.1:{port}/{dbname}"
    result = inner.run(
        "--backend",
        "postgres",
        "--dualstore-db-ready-timeout",
        "1",
        "--tb=long",
        "--showlocals",
        "--junitxml=junit.xml",
        env={"DUALSTORE_POSTGRES_URL": url},
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*backend 'postgres' is unavailable: *postgresql://*:***@*"])
    assert_no_leak(inner, result)


def dualstore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storage.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("form", ["encoded", "keywords", "raw", "raw_query"])
def test_dualstore_check_shows_no_secret(urls: dict[str, str], form: str) -> None:
    done = dualstore("check", "--attempts", "1", "--url", urls[form])
    output = done.stdout + done.stderr
    assert not leaks(output), output
    if form.startswith("raw"):
        assert done.returncode != 0
        assert "malformed PostgreSQL URL 'postgresql://" in done.stderr
    else:
        # reached the server and logged in: the empty database is reported unmigrated
        assert done.returncode == 3, output
        assert "answers but is not migrated" in done.stderr


def test_dualstore_check_of_an_unreachable_server_shows_no_secret(closed_port: int) -> None:
    url = f"postgresql://postgres:{ENCODED}@127.0.0.1:{closed_port}/x"
    done = dualstore("check", "--attempts", "2", "--delay", "0", "--url", url)
    assert done.returncode == 1
    assert "database not reachable" in done.stderr
    assert not leaks(done.stdout + done.stderr)
