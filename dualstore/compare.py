"""`dualstore_compare`: one test body, run against every selected backend in the same test,
the results compared. A difference between the backends fails the test with both sides.

    def test_search_is_case_insensitive(dualstore_compare):
        dualstore_compare(lambda db: find_notes(db, "WORK%"))

The callable gets each backend's handle in turn (the worker's store, rolled back after the
test, as `dualstore_db`) and returns a value; the values must be equal on every backend, or
every backend must raise the same kind of error (DB-API's classes, `IntegrityError` and the
like, count as the same kind across drivers). `normalise` maps a value first, for what the
project declares unordered (e.g. `sorted`).

`dualstore_handles` is the raw material for tests that drive the backends side by side
themselves (a hypothesis state machine, as suites/test_differential.py): every selected
backend's handle on the worker's store, by backend name, committing, each store reset
after the test. The test isolates what it does within itself (e.g. the project's reset at
the start of each example).

A test that uses either fixture compares backends, so it needs two or more of them: in a
run that selects fewer, it is deselected at collection (pytest counts it as deselected,
never skipped), like a test whose capability a backend lacks.
"""

from __future__ import annotations

import difflib
import pprint
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pytest

from dualstore.isolation import committed, rolled_back
from dualstore.project import Handle
from dualstore.state import HARNESS

if TYPE_CHECKING:
    from dualstore.fixtures import WorkerStores
    from dualstore.provision.base import WorkerStore

#: fixtures that compare backends: a test that uses one (directly or through another
#: fixture) needs at least two selected backends
COMPARING_FIXTURES: Final = ("dualstore_compare", "dualstore_handles")

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


def _every_backend(
    stack: ExitStack,
    config: pytest.Config,
    stores: WorkerStores,
    isolated: Callable[[WorkerStore], AbstractContextManager[Handle]],
) -> dict[str, Handle]:
    """Every selected backend's handle on this worker's store, isolated by `isolated`
    (rolled back, or committing and reset) until `stack` closes."""
    run = config.stash[HARNESS].run
    return {name: stack.enter_context(isolated(stores.get(name)[1])) for name in run.backends}


@pytest.fixture
def dualstore_compare(
    pytestconfig: pytest.Config, dualstore_stores: WorkerStores
) -> Iterator[Compare]:
    """Runs a callable on each selected backend's handle (each rolled back after the
    test) and fails the test, showing every backend's result, unless they agree."""
    with ExitStack() as stack:
        yield Compare(_every_backend(stack, pytestconfig, dualstore_stores, rolled_back))


@pytest.fixture
def dualstore_handles(
    pytestconfig: pytest.Config, dualstore_stores: WorkerStores
) -> Iterator[dict[str, Handle]]:
    """Every selected backend's handle on this worker's store, by backend name; writes
    commit, and each store is reset after the test."""
    with ExitStack() as stack:
        yield _every_backend(stack, pytestconfig, dualstore_stores, committed)


def compares_backends(item: pytest.Item) -> bool:
    return any(name in COMPARING_FIXTURES for name in getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With fewer than two selected backends, there is nothing to compare: deselect the
    tests that compare backends (pytest reports them as deselected, never skipped)."""
    run = config.stash[HARNESS].run
    if len(run.backends) >= 2:
        return
    dropped = [item for item in items if compares_backends(item)]
    run.compare_deselected = len(dropped)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not compares_backends(item)]
