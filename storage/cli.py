"""The ``dualstore`` command line: migrations, health check, index rebuild, fingerprint.

    dualstore migrate up|down|status [--target N]
    dualstore check [--attempts N] [--delay S]
    dualstore rebuild-indexes
    dualstore fingerprint

Every command takes ``--url`` (default: ``$DUALSTORE_URL``, else ``sqlite:///dualstore.db``
in the working directory) and ``--schema``. A failure prints one line naming the cause and
the fix (never a password, never a traceback) and exits with one of `EXIT_CODES`.

Only ``migrate up`` creates a store (a SQLite file, a PostgreSQL schema); every other
command opens with ``create=False``, so a mistyped path or schema is an error instead of a
new empty store that looks healthy. Errors that retrying cannot fix (``retryable`` False)
end ``check`` at the first attempt.

Commands are entries in `COMMANDS`; a new one is a function plus one `register(...)` call.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass

import storage
from storage.api import Database
from storage.backends._core import DEFAULT_MIGRATIONS_DIR
from storage.errors import (
    MigrationError,
    NotMigrated,
    SerializationError,
    StorageError,
    Unavailable,
    ValidationError,
)
from storage.migrations.files import load_migrations
from storage.url import parse_url

DEFAULT_URL = "sqlite:///dualstore.db"
URL_ENV = "DUALSTORE_URL"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_MIGRATED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = f"""\
exit status:
  {EXIT_OK}    success
  {EXIT_ERROR}    the command failed: the store is missing, unreachable or not a database,
       the server refused, or a migrate --target the store is already past
  {EXIT_USAGE}    usage error: unknown command or option, bad option value, malformed --url
       or --schema
  {EXIT_NOT_MIGRATED}    the store is not migrated to this version of dualstore (check), or has no
       schema at all (rebuild-indexes, fingerprint): run `dualstore migrate up`
  {EXIT_INTERRUPTED}  interrupted
"""


class UsageError(Exception):
    """The command line cannot work, whatever the database holds (exit 2)."""


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


def _open(args: argparse.Namespace, *, create: bool = False) -> Database:
    """Connect; only `create` (``migrate up``) may bring a new file or schema into being."""
    try:
        return storage.connect(
            args.url, schema=args.schema, connect_timeout=args.connect_timeout, create=create
        )
    except ValidationError as exc:  # the URL, the schema name: what the user typed
        raise UsageError(str(exc)) from None


def _where(args: argparse.Namespace) -> str:
    where = parse_url(args.url).redacted
    return f"{where} (schema {args.schema})" if args.schema else where


def _require_schema(db: Database, args: argparse.Namespace) -> None:
    """Commands that read the application's tables refuse a store that has none."""
    if db.migration_version() == 0:
        raise NotMigrated(
            f"{_where(args)} is not migrated (schema version 0): run `dualstore migrate up`"
        )


# --------------------------------------------------------------------------- option values
def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        return value

    return parse


def _seconds(*, positive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(
                f"{text!r} must be a finite number of seconds{' above' if positive else ' ≥'} 0"
            )
        return value

    return parse


# --------------------------------------------------------------------------- migrate
def _configure_migrate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["up", "down", "status"],
        help="apply (up), revert (down) or list (status) migrations; only up creates a store",
    )
    parser.add_argument(
        "--target",
        type=_count(0),
        default=None,
        help="version to migrate to (up: default latest; down: default 0); up to a version "
        "below the current one, or down to one above it, is an error",
    )


def _migrate(args: argparse.Namespace) -> int:
    known = len(load_migrations(DEFAULT_MIGRATIONS_DIR))
    if args.target is not None and args.target > known:
        raise UsageError(
            f"--target {args.target}: this dualstore has migrations 1 to {known} (0 = none)"
        )
    with closing(_open(args, create=args.action == "up")) as db:
        if args.action == "status":
            for status in db.migration_status():
                when = status.applied_at and f"applied {status.applied_at.isoformat()}"
                _out(f"{status.version:04d}  {status.name:<24} {when or 'pending'}")
            _out(f"version {db.migration_version()}")
            return EXIT_OK
        current = db.migration_version()
        if args.action == "up":
            if args.target is not None and args.target < current:
                raise MigrationError(
                    f"{_where(args)} is at version {current}, past --target {args.target}: "
                    f"`migrate up` never reverts; run `dualstore migrate down --target "
                    f"{args.target}`"
                )
            done = db.run_migrations(args.target)
            verb = "applied"
        else:
            goal = 0 if args.target is None else args.target
            if goal > current:
                raise MigrationError(
                    f"{_where(args)} is at version {current}, below --target {goal}: "
                    f"`migrate down` never applies; run `dualstore migrate up --target {goal}`"
                )
            done = db.migrate_down(goal)
            verb = "reverted"
        listed = ", ".join(f"{v:04d}" for v in done) or "nothing to do"
        _out(f"{verb}: {listed}; now at version {db.migration_version()}")
    return EXIT_OK


# --------------------------------------------------------------------------- check
def _configure_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--attempts",
        type=_count(1),
        default=5,
        help="how many times to try before giving up (default 5); errors that retrying "
        "cannot fix (no such file or schema, not a database, login refused, driver not "
        "installed) end the check at once",
    )
    parser.add_argument(
        "--delay",
        type=_seconds(positive=False),
        default=0.5,
        help="seconds before the first retry; doubles each time, at most 10 s (default 0.5)",
    )


def _check(args: argparse.Namespace) -> int:
    delay = args.delay
    last: StorageError | None = None
    for attempt in range(1, args.attempts + 1):
        try:
            with closing(_open(args)) as db:
                db.ping()
                server, version = db.server_version(), db.migration_version()
                known = len(db.migration_status())
        except Unavailable as exc:
            if not exc.retryable:  # a missing file, a refused login: trying again cannot help
                raise
            last = exc
        except SerializationError as exc:  # busy: worth another try
            last = exc
        else:
            _report_schema(_where(args), version, known)
            _out(f"ok: {_where(args)} ({server}, schema version {version})")
            return EXIT_OK
        if attempt < args.attempts:
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    raise Unavailable(f"database not reachable after {args.attempts} attempt(s): {last}")


def _report_schema(where: str, version: int, known: int) -> None:
    """A store the application cannot use is not healthy: say why (exit 3)."""
    if version == 0:
        raise NotMigrated(
            f"{where} answers but is not migrated (schema version 0): run `dualstore migrate up`"
        )
    if version < known:
        raise NotMigrated(
            f"{where} answers but is at schema version {version} of {known} (migrations "
            "pending): run `dualstore migrate up`"
        )
    if version > known:
        raise NotMigrated(
            f"{where} is at schema version {version}, newer than the {known} migrations of "
            "this dualstore: upgrade dualstore"
        )


# --------------------------------------------------------------------------- derived data
def _rebuild_indexes(args: argparse.Namespace) -> int:
    with closing(_open(args)) as db:
        _require_schema(db, args)
        report = db.rebuild_indexes()
    _out(
        f"rebuilt: {report.blocks_indexed} blocks indexed, {report.tokens_written} tokens, "
        f"{report.workspaces_counted} workspaces counted"
    )
    return EXIT_OK


def _fingerprint(args: argparse.Namespace) -> int:
    with closing(_open(args)) as db:
        _require_schema(db, args)
        fingerprint = db.schema_fingerprint()
    _out(json.dumps(fingerprint, indent=2, sort_keys=True, ensure_ascii=False))
    return EXIT_OK


register(
    Command("migrate", "apply, revert or list schema migrations", _migrate, _configure_migrate)
)
register(
    Command(
        "check",
        "check that the database answers and is migrated (with retries)",
        _check,
        _configure_check,
    )
)
register(Command("rebuild-indexes", "recompute the search index and counters", _rebuild_indexes))
register(Command("fingerprint", "print the normalised schema as JSON", _fingerprint))


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
        type=_seconds(positive=True),
        default=10.0,
        help="seconds to wait for a connection (default 10)",
    )
    parser = argparse.ArgumentParser(
        prog="dualstore",
        description="Manage a dualstore database (SQLite or PostgreSQL).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        sub = commands.add_parser(
            command.name,
            parents=[common],
            help=command.help,
            description=command.help,
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command.configure is not None:
            command.configure(sub)
        sub.set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def fail(message: object, code: int) -> int:
        # One line, no traceback: messages are written for the user and never hold secrets.
        sys.stderr.write(f"dualstore {args.command}: error: {' '.join(str(message).split())}\n")
        return code

    try:
        parse_url(args.url)  # a malformed URL is a usage error, whichever command runs
    except ValidationError as exc:
        return fail(exc, EXIT_USAGE)
    try:
        result: int = args.handler(args)
    except UsageError as exc:
        return fail(f"{exc} (see `dualstore {args.command} --help`)", EXIT_USAGE)
    except NotMigrated as exc:
        return fail(exc, EXIT_NOT_MIGRATED)
    except StorageError as exc:
        return fail(exc, EXIT_ERROR)
    except KeyboardInterrupt:
        sys.stderr.write(f"dualstore {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    return result


if __name__ == "__main__":
    sys.exit(main())
