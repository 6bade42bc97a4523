"""What one run was asked to do, as a frozen value: `HarnessConfig` and its defaults.

A leaf module: `options` reads the flags, ini keys and environment into it, and the
provisioners receive it; neither has to import the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from dualstore.serverurl import ServerUrl

#: a dead run's leftovers are reaped only once they are this old (by the run id's
#: timestamp). The advisory lock is what protects live runs; the age is a second guard
#: for setups where session locks are unreliable (e.g. a transaction-mode pooler).
DEFAULT_REAP_GRACE: Final = timedelta(minutes=2)
#: seconds to wait for a database to answer a real query before the run stops
DEFAULT_READY_TIMEOUT: Final = 30.0


@dataclass(frozen=True, slots=True)
class HarnessConfig:
    """What one run was asked to do (the same in the controller and in every worker)."""

    #: selected backends, in registry order, without duplicates
    backends: tuple[str, ...]
    #: True when the selection came from a flag, env var or ini key (not the default "all")
    backends_explicit: bool
    #: an existing PostgreSQL server to use; None = start a throwaway server
    postgres_url: ServerUrl | None
    #: seconds to wait for a database to answer a real query before the run stops
    db_ready_timeout: float
    #: where to look for pg_ctl instead of the usual places (None = usual places)
    pg_bindir: Path | None
    #: leftovers of dead runs younger than this are left alone (clock skew, slow starts)
    reap_grace: timedelta = DEFAULT_REAP_GRACE


def parse_seconds(text: str, *, allow_zero: bool) -> float:
    """A number of seconds, as the harness's options and its commands take one: finite and
    positive (or, with `allow_zero`, non-negative). `ValueError` says what is wrong."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"expected a {kind} number of seconds, got {text!r}")
    return value
