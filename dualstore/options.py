"""The harness's options, each defined once: CLI flag, ini key, env var and help text.

`load(config)` reads them into a frozen `HarnessConfig`. Precedence, highest first:
command-line flag, environment variable, ini key, default. The environment beats the ini
file because the ini file is committed and shared, while the environment is what a
developer or a CI job sets for one run. An empty environment variable counts as unset (CI
matrices often export `DUALSTORE_POSTGRES_URL=""` for the legs that have no server).
An invalid value is a `pytest.UsageError` that names the option, so a typo never turns into
a silently different run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

import pytest

from dualstore.provision import PROVISIONERS
from dualstore.runinfo import DEFAULT_RUNS_DIR
from dualstore.serverurl import ServerUrl
from dualstore.settings import (
    DEFAULT_READY_TIMEOUT,
    DEFAULT_REAP_GRACE,
    HarnessConfig,
    parse_seconds,
)
from storage.errors import ValidationError

#: every backend the harness knows (the provisioner registry), in run and report order
KNOWN_BACKENDS: Final = tuple(PROVISIONERS)


@dataclass(frozen=True, slots=True)
class Option:
    """One option, declared once; `register` and `load` both read this declaration."""

    dest: str
    flag: str
    ini: str
    env: str
    help: str
    metavar: str
    repeatable: bool = False


BACKEND = Option(
    dest="dualstore_backends",
    flag="--dualstore-backend",
    ini="dualstore_backends",
    env="DUALSTORE_BACKENDS",
    metavar="NAME",
    repeatable=True,
    help=(
        f"Run the backend-parametrized tests on this backend ({', '.join(KNOWN_BACKENDS)}); "
        "repeat the flag for several. None given = all backends. Env: comma-separated list."
    ),
)
POSTGRES_URL = Option(
    dest="dualstore_postgres_url",
    flag="--dualstore-postgres-url",
    ini="dualstore_postgres_url",
    env="DUALSTORE_POSTGRES_URL",
    metavar="URL",
    help=(
        "Use the PostgreSQL server at this URL: any form libpq takes, e.g. "
        "postgresql://user:pass@host:port/db (percent-encode special characters in the "
        "password), postgresql:///db?host=/var/run/postgresql, several hosts "
        "(postgresql://h1:5432,h2:5433/db), or 'host=... dbname=...'. The URL must name a "
        "database. Unset = start a throwaway server with pg_ctl for this run."
    ),
)
READY_TIMEOUT = Option(
    dest="dualstore_db_ready_timeout",
    flag="--dualstore-db-ready-timeout",
    ini="dualstore_db_ready_timeout",
    env="DUALSTORE_DB_READY_TIMEOUT",
    metavar="SECONDS",
    help=(
        "How long to wait for a database to answer a real query (retried with backoff) "
        f"before the run stops with the last error. Default {DEFAULT_READY_TIMEOUT:g}."
    ),
)
PG_BINDIR = Option(
    dest="dualstore_pg_bindir",
    flag="--dualstore-pg-bindir",
    ini="dualstore_pg_bindir",
    env="DUALSTORE_PG_BINDIR",
    metavar="DIR",
    help=(
        "Directory holding pg_ctl for the throwaway server. Unset = PATH, then "
        "`pg_config --bindir`, then /usr/lib/postgresql/*/bin and /usr/pgsql-*/bin."
    ),
)
REAP_GRACE = Option(
    dest="dualstore_reap_grace",
    flag="--dualstore-reap-grace",
    ini="dualstore_reap_grace",
    env="DUALSTORE_REAP_GRACE",
    metavar="SECONDS",
    help=(
        "At the start of a run, schemas and temp dirs of dead runs (their run lock free) are "
        "removed once they are older than this. Live runs are never touched. "
        f"Default {DEFAULT_REAP_GRACE.total_seconds():g}."
    ),
)
RUN_DIR = Option(
    dest="dualstore_run_dir",
    flag="--dualstore-run-dir",
    ini="dualstore_run_dir",
    env="DUALSTORE_RUN_DIR",
    metavar="DIR",
    help=(
        "Directory of the run directories: each run records its test order, run.json and "
        "reproduce.txt in DIR/<run id>/ (only the newest are kept). Default "
        f"{DEFAULT_RUNS_DIR} under the rootdir; a relative ini value is relative to the "
        "rootdir, a relative flag or env value to the current directory."
    ),
)
OPTIONS: Final = (BACKEND, POSTGRES_URL, READY_TIMEOUT, PG_BINDIR, REAP_GRACE, RUN_DIR)
_GROUP: Final = "dualstore"
#: option dest -> the short flags a project added for it (`alias`), for messages
_ALIASES: dict[str, list[str]] = {}


def register(parser: pytest.Parser) -> None:
    """Add every option to pytest's parser (called from `pytest_addoption`)."""
    group = parser.getgroup(_GROUP, "dualstore dual-backend harness")
    for option in OPTIONS:
        help_text = f"{option.help} [env {option.env}, ini {option.ini}]"
        _add_flag(group, option, option.flag, help_text)
        if option.repeatable:
            parser.addini(option.ini, option.help, type="args", default=[])
        else:
            parser.addini(option.ini, option.help, type="string", default="")


def _add_flag(group: pytest.OptionGroup, option: Option, flag: str, help_text: str) -> None:
    action = {"action": "append"} if option.repeatable else {}
    group.addoption(
        flag, dest=option.dest, default=None, metavar=option.metavar, help=help_text, **action
    )


def alias(parser: pytest.Parser, short: str, flag: str) -> None:
    """Let a project spell the harness's `flag` (e.g. `--dualstore-backend`) as `short`
    (e.g. `--backend`), from its own `pytest_addoption`. Both set the same value; a
    message about it names both."""
    option = next((o for o in OPTIONS if o.flag == flag), None)
    if option is None:
        raise ValueError(
            f"{flag!r} is not a dualstore option; choose from: "
            + ", ".join(o.flag for o in OPTIONS)
        )
    _add_flag(parser.getgroup(_GROUP), option, short, f"Same as {flag}.")
    known = _ALIASES.setdefault(option.dest, [])
    if short not in known:
        known.append(short)


def _flag_label(option: Option) -> str:
    return "/".join([*_ALIASES.get(option.dest, []), option.flag])


def _raw(config: pytest.Config, option: Option) -> tuple[str | list[str] | None, str]:
    """The option's value from the first source that sets it, and that source's name."""
    from_flag = config.getoption(option.dest)
    if from_flag is not None:
        return from_flag, _flag_label(option)
    from_env = os.environ.get(option.env, "").strip()
    if from_env:
        return from_env, f"env {option.env}"
    from_ini = config.getini(option.ini)
    if from_ini:
        return from_ini, f"ini {option.ini}"
    return None, ""


def _usage(source: str, message: str) -> pytest.UsageError:
    return pytest.UsageError(f"dualstore: {source}: {message}")


def _parse_backends(raw: str | list[str] | None, source: str) -> tuple[str, ...]:
    if raw is None:
        return KNOWN_BACKENDS
    items = raw if isinstance(raw, list) else [raw]
    names = [name.strip().lower() for item in items for name in item.split(",")]
    names = [name for name in names if name]
    unknown = sorted({name for name in names if name not in KNOWN_BACKENDS})
    if unknown or not names:
        raise _usage(
            source,
            f"unknown backend {', '.join(map(repr, unknown)) or '(empty)'}; "
            f"choose from: {', '.join(KNOWN_BACKENDS)}",
        )
    return tuple(name for name in KNOWN_BACKENDS if name in names)


def _parse_postgres_url(raw: str | list[str] | None, source: str) -> ServerUrl | None:
    """The URL, parsed here once for the whole run (provisioning and workers take the
    `ServerUrl`, which prints redacted)."""
    if raw is None:
        return None
    try:
        return ServerUrl.parse(str(raw))
    except ValidationError as exc:
        raise _usage(source, exc.message) from None


def _parse_seconds(
    raw: str | list[str] | None, source: str, *, default: float, allow_zero: bool = False
) -> float:
    if raw is None:
        return default
    try:
        return parse_seconds(str(raw), allow_zero=allow_zero)
    except ValueError as exc:
        raise _usage(source, str(exc)) from None


def _parse_bindir(raw: str | list[str] | None, source: str) -> Path | None:
    if raw is None:
        return None
    path = Path(str(raw)).expanduser()
    if not path.is_dir():
        raise _usage(source, f"{str(path)!r} is not a directory")
    return path


def load_runs_dir(config: pytest.Config) -> Path:
    """The directory of run directories (read on its own, before `load`: the repro
    plugin, configured before the other options are read, needs it first)."""
    raw, source = _raw(config, RUN_DIR)
    if raw is None:
        return config.rootpath / DEFAULT_RUNS_DIR
    text = str(raw).strip()
    if not text:
        raise _usage(source, "expected a directory, got an empty value")
    path = Path(text).expanduser()
    base = config.rootpath if source.startswith("ini") else config.invocation_params.dir
    return base / path


def load(config: pytest.Config) -> HarnessConfig:
    """Read every option once; raise `pytest.UsageError` naming the first invalid one."""
    raw_backends, backends_source = _raw(config, BACKEND)
    raw_url, url_source = _raw(config, POSTGRES_URL)
    raw_timeout, timeout_source = _raw(config, READY_TIMEOUT)
    raw_bindir, bindir_source = _raw(config, PG_BINDIR)
    raw_grace, grace_source = _raw(config, REAP_GRACE)
    grace = _parse_seconds(
        raw_grace, grace_source, default=DEFAULT_REAP_GRACE.total_seconds(), allow_zero=True
    )
    return HarnessConfig(
        backends=_parse_backends(raw_backends, backends_source),
        backends_explicit=raw_backends is not None,
        postgres_url=_parse_postgres_url(raw_url, url_source),
        db_ready_timeout=_parse_seconds(raw_timeout, timeout_source, default=DEFAULT_READY_TIMEOUT),
        pg_bindir=_parse_bindir(raw_bindir, bindir_source),
        reap_grace=timedelta(seconds=grace),
    )
