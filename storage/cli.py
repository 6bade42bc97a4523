"""The ``dualstore`` command line: migrations, health check, index rebuild, fingerprint.

    dualstore migrate up|down|status [--target N]
    dualstore check [--attempts N] [--delay S]
    dualstore rebuild-indexes
    dualstore fingerprint
    dualstore reap [--older-than SECONDS]

Every command takes ``--url`` (default: ``$DUALSTORE_URL``, else ``sqlite:///dualstore.db``
in the working directory) and ``--schema``. A failure prints one line naming the cause
(never a password, never a traceback) and exits non-zero: 1 for a storage error, 2 for a
usage error.

Commands are entries in `COMMANDS`; a new one is a function plus one `register(...)` call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta

import storage
from storage.api import Database
from storage.errors import LoginRefused, SerializationError, StorageError, Unavailable
from storage.url import parse_url, redact

DEFAULT_URL = "sqlite:///dualstore.db"
URL_ENV = "DUALSTORE_URL"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    COMMANDS[command.name] = command
    return command


def _out(line: str = "") -> None:
    sys.stdout.write(f"{line}\n")


def _open(args: argparse.Namespace) -> Database:
    return storage.connect(args.url, schema=args.schema, connect_timeout=args.connect_timeout)


# --------------------------------------------------------------------------- migrate
def _configure_migrate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["up", "down", "status"],
        help="apply (up), revert (down) or list (status) migrations",
    )
    parser.add_argument(
        "--target",
        type=int,
        default=None,
        help="version to migrate to (up: default latest; down: default 0)",
    )


def _migrate(args: argparse.Namespace) -> int:
    with closing(_open(args)) as db:
        if args.action == "status":
            for status in db.migration_status():
                when = (
                    "pending"
                    if status.applied_at is None
                    else (f"applied {status.applied_at.isoformat()}")
                )
                _out(f"{status.version:04d}  {status.name:<24} {when}")
            _out(f"version {db.migration_version()}")
            return EXIT_OK
        if args.action == "up":
            done = db.run_migrations(args.target)
            verb = "applied"
        else:
            done = db.migrate_down(0 if args.target is None else args.target)
            verb = "reverted"
        listed = ", ".join(f"{v:04d}" for v in done) or "nothing to do"
        _out(f"{verb}: {listed}; now at version {db.migration_version()}")
    return EXIT_OK


# --------------------------------------------------------------------------- check
def _configure_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--attempts", type=int, default=5, help="how many times to try before giving up (default 5)"
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.5,
        help="seconds before the first retry; doubles each time, at most 10 s (default 0.5)",
    )


def _check(args: argparse.Namespace) -> int:
    attempts = max(1, args.attempts)
    delay = max(0.0, args.delay)
    last: StorageError | None = None
    for attempt in range(1, attempts + 1):
        try:
            with closing(_open(args)) as db:
                db.ping()
                _out(
                    f"ok: {redact(args.url)} ({db.server_version()}, "
                    f"schema version {db.migration_version()})"
                )
                return EXIT_OK
        except (Unavailable, SerializationError) as exc:  # worth another try…
            last = exc
            if isinstance(exc, LoginRefused):  # …unless the server said no: retrying cannot help
                break
        if attempt < attempts:
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    raise Unavailable(f"database not reachable after {attempt} attempt(s): {last}")


# --------------------------------------------------------------------------- derived data
def _rebuild_indexes(args: argparse.Namespace) -> int:
    with closing(_open(args)) as db:
        report = db.rebuild_indexes()
    _out(
        f"rebuilt: {report.blocks_indexed} blocks indexed, {report.tokens_written} tokens, "
        f"{report.workspaces_counted} workspaces counted"
    )
    return EXIT_OK


def _fingerprint(args: argparse.Namespace) -> int:
    with closing(_open(args)) as db:
        fingerprint = db.schema_fingerprint()
    _out(json.dumps(fingerprint, indent=2, sort_keys=True, ensure_ascii=False))
    return EXIT_OK


register(
    Command("migrate", "apply, revert or list schema migrations", _migrate, _configure_migrate)
)
register(
    Command("check", "check that the database answers (with retries)", _check, _configure_check)
)
register(Command("rebuild-indexes", "recompute the search index and counters", _rebuild_indexes))
register(Command("fingerprint", "print the normalised schema as JSON", _fingerprint))


# --------------------------------------------------------------------------- reap
# Leftovers of dead test runs are the test harness's business, so its code does the work;
# it is imported on use because it needs the test tooling (pytest), not a plain install.
def _configure_reap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--older-than",
        type=float,
        default=None,
        metavar="SECONDS",
        help="only runs that started at least this long ago (default: the harness's grace, "
        "2 minutes); a live run is never touched, whatever its age",
    )


def _reap(args: argparse.Namespace) -> int:
    if parse_url(args.url).conninfo is None:
        raise StorageError("reap works on a PostgreSQL URL; pass --url postgresql://...")
    try:
        from storage.testing import provision  # noqa: PLC0415 - needs pytest, see above
        from storage.testing.runinfo import BackendUnavailable  # noqa: PLC0415
    except ImportError as exc:
        raise StorageError(
            f"reap needs the test tooling ({exc.name} is missing): install the "
            "test-postgres dependency group, or use `nox -s reap`"
        ) from None
    try:
        # The readiness check turns a refused login or a dead server into one clear line.
        provision.wait_ready(args.url, timeout=args.connect_timeout)
    except BackendUnavailable as exc:
        raise Unavailable(exc.cause) from None
    grace = (
        provision.DEFAULT_REAP_GRACE
        if args.older_than is None
        else timedelta(seconds=max(0.0, args.older_than))
    )
    reaped = provision.reap(args.url, older_than=grace)
    dropped = reaped.dropped
    _out(f"reaped {len(dropped)} schema(s) of dead runs" + "".join(f"\n  {s}" for s in dropped))
    # Another role's schema is not this role's to drop: reported with its owner and the
    # fix, and the reap still succeeds (exit 0), as a harness run does with a warning.
    for schema in reaped.undroppable:
        _out(f"warning: {schema.warning()}")
    return EXIT_OK


register(
    Command("reap", "drop the schemas that dead test runs left behind", _reap, _configure_reap)
)


# --------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or DEFAULT_URL,
        help=f"database URL (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    common.add_argument(
        "--schema", default=None, help="PostgreSQL schema of the application's tables"
    )
    common.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for a connection (default 10)",
    )
    parser = argparse.ArgumentParser(
        prog="dualstore", description="Manage a dualstore database (SQLite or PostgreSQL)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        sub = commands.add_parser(
            command.name, parents=[common], help=command.help, description=command.help
        )
        if command.configure is not None:
            command.configure(sub)
        sub.set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except StorageError as exc:
        # One line, no traceback: messages are written for the user and never hold secrets.
        sys.stderr.write(f"dualstore {args.command}: error: {' '.join(str(exc).split())}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"dualstore {args.command}: interrupted\n")
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
