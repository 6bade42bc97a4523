"""A PostgreSQL server of the fault tests' own, which they stop mid-run, start late, log in
to with a wrong password, or leave leftovers on; and a runner for inner pytest runs.

Each test gets a fresh server (initdb takes about a second): the faults change its state,
and no other test may see that. The server needs a password (scram-sha-256 over TCP, the
bootstrap superuser `app` created by initdb from a password file, so no SQL is needed),
runs as the unprivileged `postgres` OS user when we are root (PostgreSQL refuses root),
and is stopped (immediate mode) and deleted after the test, whatever happened.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dualstore import provision
from dualstore.provision import pgbin
from dualstore.serverurl import ServerUrl
from tests.adopting import adopt, inner_environ

USER = "app"
PASSWORD = "faults-Secr3t"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    bindir: Path
    run_as: list[str]
    port: int = field(default_factory=_free_port)
    user: str = USER
    password: str = PASSWORD

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, password: str = PASSWORD) -> str:
        return f"postgresql://{self.user}:{password}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
            cwd="/",  # the server's user may not enter the caller's working directory
        )

    def initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        pgbin.give_to_server_user(pwfile)
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        pwfile.unlink()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -F"
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log_path),
            "-o", options,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", mode, check=False)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def leftover_schemas(self) -> list[str]:
        return provision.list_schemas(ServerUrl.parse(self.url()))


@pytest.fixture
def pg_server() -> Iterator[PgServer]:
    """A fresh, initialised, not yet started server (tests start it when they need it)."""
    bindir = pgbin.find_pg_ctl(None).parent
    root = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    pgbin.give_to_server_user(root)
    server = PgServer(root, bindir, pgbin.run_as_prefix())
    try:
        server.initdb()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class InnerRun:
    """An inner pytest run of a temp project, as a subprocess the test can watch and hurt."""

    project: Path
    process: subprocess.Popen[bytes]
    #: stdout and stderr of the run (a file, not a pipe: nobody reads while it runs)
    output: Path
    started: float = field(default_factory=time.monotonic)

    def wait(self, timeout: float) -> tuple[int, str]:
        """Exit status and output (stdout + stderr); fails the test if the run hangs."""
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
            pytest.fail(f"the inner run did not end within {timeout} s:\n{self.text()}")
        return status, self.text()

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL the inner pytest (its whole process group: xdist workers too)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class InnerRuns:
    """Starts inner runs in a temp project; kills any still alive at the end of the test."""

    project: Path
    runs: list[InnerRun] = field(default_factory=list)

    def start(self, *args: str) -> InnerRun:
        env = inner_environ()
        env["COLUMNS"] = "400"  # summary lines uncut: the error type and message show
        # Run temp dirs go inside the project: a killed run's dir goes with the test's
        # tmp_path instead of waiting in the shared temp root for a later run's reaper.
        tmp = self.project / "tmp"
        tmp.mkdir(exist_ok=True)
        env["TMPDIR"] = str(tmp)
        output = self.project / f"inner-{len(self.runs)}.log"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                cwd=self.project,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the workers
            )
        run = InnerRun(self.project, process, output)
        self.runs.append(run)
        return run

    @staticmethod
    def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll until `predicate()` is true (fail the test after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.05)


@pytest.fixture
def inner(pytester: pytest.Pytester) -> Iterator[InnerRuns]:
    adopt(pytester)
    runs = InnerRuns(pytester.path)
    yield runs
    for run in runs.runs:
        run.kill()
        run.process.wait()
