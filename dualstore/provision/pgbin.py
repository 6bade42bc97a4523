"""Finding PostgreSQL's server binaries, running them as an unprivileged user, and a port.

PostgreSQL refuses to run as root (`pg_ctl: cannot be run as root`), but CI containers and
dev boxes often run the tests as root. Then every pg_ctl call goes through
`runuser -u postgres --` (or `setpriv` where runuser is missing): the server and its data
directory belong to the `postgres` OS user that the distribution's server package creates,
while the test process stays root. Nothing is needed when not running as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Final

from dualstore.runinfo import BackendUnavailable

#: the OS user a throwaway server runs as when the tests run as root
UNPRIVILEGED_USER: Final = "postgres"
#: where Debian/Ubuntu (/usr/lib/postgresql/<major>/bin) and RHEL-like systems
#: (/usr/pgsql-<major>/bin) put the server binaries; newest major first
_USUAL_BINDIRS: Final = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")


def _major(path: str) -> int:
    digits = "".join(ch if ch.isdigit() else " " for ch in path).split()
    return int(digits[0]) if digits else 0


def candidate_bindirs(bindir: Path | None) -> list[Path]:
    """Directories to search for pg_ctl, in order. An explicit `bindir` is the only one."""
    if bindir is not None:
        return [bindir]
    found: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        found.append(Path(on_path).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(  # noqa: S603 - pg_config found on PATH, fixed args
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            found.append(Path(out))
    for pattern in _USUAL_BINDIRS:
        found.extend(Path(p) for p in sorted(glob.glob(pattern), key=_major, reverse=True))
    return list(dict.fromkeys(found))


def find_pg_ctl(bindir: Path | None) -> Path:
    """The pg_ctl to start a throwaway server with, or `BackendUnavailable` saying where
    it looked and how to fix it."""
    searched = candidate_bindirs(bindir)
    for directory in searched:
        pg_ctl = directory / "pg_ctl"
        if pg_ctl.is_file() and os.access(pg_ctl, os.X_OK):
            return pg_ctl
    where = ", ".join(str(d) for d in searched) or "(nowhere: PATH has no pg_ctl)"
    raise BackendUnavailable(
        "postgres",
        "no --dualstore-postgres-url was given (env DUALSTORE_POSTGRES_URL), so a throwaway server "
        f"was to be started, but no pg_ctl was found (looked in: {where}).",
        "install the PostgreSQL server binaries (e.g. the postgresql package) or point "
        "--dualstore-pg-bindir / DUALSTORE_PG_BINDIR at their bin directory; or pass "
        "--dualstore-postgres-url / set DUALSTORE_POSTGRES_URL to an existing server; or "
        "select only SQLite with --dualstore-backend sqlite.",
    )


def run_as_prefix() -> list[str]:
    """Command prefix that runs a PostgreSQL binary as an unprivileged user: empty when
    not root, else `runuser -u postgres --` (or the `setpriv` equivalent)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise BackendUnavailable(
            "postgres",
            f"the tests run as root, PostgreSQL refuses to run as root, and there is no "
            f"{UNPRIVILEGED_USER!r} OS user to run the throwaway server as.",
            f"create an unprivileged {UNPRIVILEGED_USER!r} user (the PostgreSQL server "
            "package does), run the tests as a non-root user, or pass --dualstore-postgres-url.",
        ) from None
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", UNPRIVILEGED_USER, "--"]
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [
            setpriv,
            f"--reuid={UNPRIVILEGED_USER}",
            f"--regid={UNPRIVILEGED_USER}",
            "--init-groups",
            "--",
        ]
    raise BackendUnavailable(
        "postgres",
        "the tests run as root and neither runuser nor setpriv (util-linux) is available "
        f"to start the throwaway server as {UNPRIVILEGED_USER!r}.",
        "install util-linux, run the tests as a non-root user, or pass --dualstore-postgres-url.",
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def give_to_server_user(path: Path) -> None:
    """Make `path` (a directory the server writes into) belong to the server's user."""
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def stop_leftover_server(data_dir: Path, pg_bindir: Path | None = None) -> None:
    """Stop a throwaway server that a killed run left running (used by the reaper)."""
    try:
        command = [*run_as_prefix(), str(find_pg_ctl(pg_bindir))]
    except BackendUnavailable:
        return
    subprocess.run(  # noqa: S603 - our own pg_ctl lookup, fixed args
        [*command, "stop", "-D", str(data_dir), "-m", "immediate"],
        capture_output=True,
        timeout=60,
        check=False,
        cwd="/",
    )
