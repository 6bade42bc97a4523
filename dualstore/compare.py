"""`dualstore_compare`: one test body, run against every selected backend in the same test,
the results compared. A difference between the backends fails the test with both sides.

    def test_search_is_case_insensitive(dualstore_compare):
        dualstore_compare(lambda db: find_notes(db, "WORK%"))

The callable gets each backend's handle in turn (the worker's store, rolled back after the
test, as `dualstore_db`) and returns a value; the values must be equal on every backend, or
every backend must raise the same kind of error (DB-API's classes, `IntegrityError` and the
like, count as the same kind across drivers). `normalise` maps a value first, for what the
project declares unordered (e.g. `sorted`).
"""

from __future__ import annotations

import difflib
import pprint
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import pytest

from dualstore.project import Handle

#: PEP 249's exception classes: a driver's error of one of these kinds is that kind,
#: whatever the driver calls it (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
DBAPI_ERRORS: Final = (
    "IntegrityError",
    "DataError",
    "OperationalError",
    "ProgrammingError",
    "NotSupportedError",
    "InternalError",
    "InterfaceError",
    "DatabaseError",
)


def error_kind(exc: BaseException) -> str:
    """What an error is, comparably across backends: its DB-API class, else its type."""
    for cls in type(exc).__mro__:
        if cls.__name__ in DBAPI_ERRORS:
            return cls.__name__
    return f"{type(exc).__module__}.{type(exc).__qualname__}"


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Any = None
    error: str | None = None

    def shown(self) -> str:
        return f"raises {self.error}" if self.error else pprint.pformat(self.value, width=72)


@dataclass(slots=True)
class Compare:
    """Calls a function with each backend's handle and compares what comes back."""

    handles: Mapping[str, Handle]

    def __call__(
        self, call: Callable[[Handle], Any], *, normalise: Callable[[Any], Any] | None = None
    ) -> Any:
        """The common value (when every backend agrees); fails the test otherwise."""
        outcomes: dict[str, Outcome] = {}
        for name, handle in self.handles.items():
            try:
                value = call(handle)
            except Exception as exc:  # noqa: BLE001 - an error is an outcome to compare
                outcomes[name] = Outcome(error=error_kind(exc))
            else:
                outcomes[name] = Outcome(value=normalise(value) if normalise else value)
        if not outcomes:
            return None
        first = next(iter(outcomes.values()))
        if any(outcome != first for outcome in outcomes.values()):
            pytest.fail(_report(outcomes), pytrace=False)
        return first.value


def _report(outcomes: Mapping[str, Outcome]) -> str:
    names = list(outcomes)
    lines = ["dualstore_compare: the backends disagree"]
    width = max(len(n) for n in names)
    for name, outcome in outcomes.items():
        shown = outcome.shown().splitlines()
        lines.append(f"  {name:<{width}}  {shown[0]}")
        lines.extend(f"  {'':<{width}}  {rest}" for rest in shown[1:])
    left = names[0]
    right = next(n for n in names[1:] if outcomes[n] != outcomes[left])
    diff = difflib.unified_diff(
        outcomes[left].shown().splitlines(),
        outcomes[right].shown().splitlines(),
        fromfile=left,
        tofile=right,
        lineterm="",
    )
    return "\n".join([*lines, *diff])
