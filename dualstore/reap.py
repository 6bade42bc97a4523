"""`dualstore-reap`: drop the schemas that dead test runs left on a PostgreSQL server.

    dualstore-reap --url postgresql://user@host/db [--older-than SECONDS]

(or `python -m dualstore.reap`; `nox -s reap` runs it). The harness does the same at the
start of every run; this is for a server that no run will visit soon. Only the
`dualstore_<run id>_<worker>` schemas of runs that are no longer alive (their advisory lock
is free) and older than the grace are dropped; a live run is never touched.

Exit status: 0 done (a schema another role owns is reported and left, as a run does with a
warning); 1 the server cannot be reached or refused; 2 usage error. Never a password.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import timedelta

from dualstore.errors import HarnessError
from dualstore.provision import DEFAULT_REAP_GRACE, reap, wait_ready
from dualstore.runinfo import BackendUnavailable
from dualstore.serverurl import ServerUrl
from dualstore.settings import parse_seconds
from storage.errors import ValidationError

URL_ENV = "DUALSTORE_URL"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _seconds(text: str) -> float:
    try:
        return parse_seconds(text, allow_zero=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dualstore-reap",
        description="Drop the schemas that dead test runs left on a PostgreSQL server.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or None,
        help=f"the server's database (default: ${URL_ENV}); any form libpq takes",
    )
    parser.add_argument(
        "--older-than",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="only runs that started at least this long ago (default: the harness's grace, "
        f"{DEFAULT_REAP_GRACE.total_seconds():g} s); a live run is never touched",
    )
    parser.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the server to answer (default 10)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.url:
        parser.error(f"no server: pass --url postgresql://... or set {URL_ENV}")
    try:
        url = ServerUrl.parse(args.url)
    except ValidationError as exc:
        parser.error(f"--url: {exc.message}")
    grace = DEFAULT_REAP_GRACE if args.older_than is None else timedelta(seconds=args.older_than)
    try:
        # The readiness check turns a refused login or a dead server into one clear line.
        wait_ready(url, timeout=max(args.connect_timeout, 0.1))
        reaped = reap(url, older_than=grace)
    except BackendUnavailable as exc:
        sys.stderr.write(f"dualstore-reap: {exc}\n")
        return EXIT_ERROR
    except HarnessError as exc:
        sys.stderr.write(f"dualstore-reap: {exc}\n")
        return EXIT_ERROR
    dropped = reaped.dropped
    lines = [f"reaped {len(dropped)} schema(s) of dead runs", *(f"  {s}" for s in dropped)]
    # Another role's schema is not this role's to drop: reported with its owner and the
    # fix, and the reap still succeeds, as a harness run does with a warning.
    lines += [f"warning: {schema.warning()}" for schema in reaped.undroppable]
    # the output is the product here, so it is written plainly
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
