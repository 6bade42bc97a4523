"""Running one call on every backend and comparing what comes back (the differential suite).

Each backend answers with records or a typed error (`storage.errors`). Values the stores
generate themselves cannot be equal across backends: timestamps (`now` when the row was
written), the UUIDs of edit events and node executions, and the ids of rows created
without one. Each backend's such values are replaced by symbols (``T1``, ``E1``, ``X1``,
``gen:1``), numbered in the order they first appear; the symbolised answers must then be
equal. That is a bijection check, not a normalisation: the same timestamp must come back
as the same symbol in every later answer, and the order of records is compared as it is.
Nothing is sorted: the API documents no result as unordered.
"""

from __future__ import annotations

import dataclasses
import pprint
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from storage.api import Database, NodeExecution, Provenance
from storage.errors import StorageError

#: prefix of the symbols of generated ids; literal ids given by the machine never have it
GENERATED = "gen:"


class Difference(AssertionError):
    """The backends (or the model) disagree on one call."""


@dataclasses.dataclass(frozen=True)
class Rec:
    """A record with its generated values symbolised (compares and prints plainly)."""

    type: str
    fields: tuple[tuple[str, Any], ...]

    def __getitem__(self, name: str) -> Any:
        return dict(self.fields)[name]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields)
        return f"{self.type}({inner})"


@dataclasses.dataclass(frozen=True)
class Failed:
    """A typed error: its class and code (the message may name backend details)."""

    error: str
    code: str

    def __repr__(self) -> str:
        return f"raises {self.error} ({self.code})"


class Symbols:
    """One backend's generated values and their symbols."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.symbol_of: dict[tuple[str, Any], str] = {}
        self.value_of: dict[str, Any] = {}
        self.counts: dict[str, int] = {}

    def symbol(self, kind: str, value: Any) -> str:
        key = (kind, value)
        found = self.symbol_of.get(key)
        if found is None:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            found = f"{kind}{self.counts[kind]}"
            self.symbol_of[key] = found
            self.value_of[found] = value
        return found

    def resolve(self, key: str) -> str:
        """The concrete id a machine key stands for on this backend."""
        value = self.value_of.get(key, key) if key.startswith(GENERATED) else key
        assert isinstance(value, str)
        return value

    def walk(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | Enum):
            return value
        if isinstance(value, str):
            return self.symbol_of.get((GENERATED, value), value)
        if isinstance(value, datetime):
            if value.tzinfo is not UTC:
                return ("not UTC", value)
            return self.symbol("T", value)
        if isinstance(value, Provenance):
            return Rec(
                "Provenance",
                (
                    ("actor_kind", value.actor_kind),
                    ("actor_id", self.walk(value.actor_id)),
                    ("job_id", self.walk(value.job_id)),
                    ("workflow_id", self.walk(value.workflow_id)),
                    ("edit_event_id", self.symbol("E", value.edit_event_id)),
                ),
            )
        if isinstance(value, NodeExecution):
            self.symbol(GENERATED, value.id)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return Rec(
                type(value).__name__,
                tuple(
                    (f.name, self.walk(getattr(value, f.name))) for f in dataclasses.fields(value)
                ),
            )
        if isinstance(value, list | tuple):
            return type(value)(self.walk(v) for v in value)
        if isinstance(value, dict):
            return value  # JSON, as given by the machine: it holds no generated values
        raise TypeError(f"cannot compare a {type(value).__name__}")


@dataclasses.dataclass
class Answer:
    """What every backend answered, once they agreed."""

    value: Any  # the symbolised common value, or a `Failed`
    raw: dict[str, Any]  # per backend: the value as returned (None after an error)

    @property
    def ok(self) -> bool:
        return not isinstance(self.value, Failed)


class Sides:
    """The backends under test, each with its symbols."""

    def __init__(self, handles: Mapping[str, Database]) -> None:
        self.handles = dict(handles)
        self.symbols = {name: Symbols(name) for name in self.handles}

    def call(
        self,
        what: str,
        call: Callable[[Database, Symbols], Any],
        *,
        fresh: Callable[[Any], str | None] | None = None,
    ) -> Answer:
        """`call(db, side)` on every backend (`side.resolve` maps a machine key to the
        backend's id); `fresh(result)` names an id the store generated for the call."""
        shown: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        for name, db in self.handles.items():
            symbols = self.symbols[name]
            try:
                value = call(db, symbols)
            except StorageError as exc:
                shown[name] = Failed(type(exc).__name__, exc.code)
                raw[name] = exc
                continue
            generated = fresh(value) if fresh is not None else None
            if generated is not None:
                symbols.symbol(GENERATED, generated)
            shown[name] = symbols.walk(value)
            raw[name] = value
        first = next(iter(shown.values()))
        if any(other != first for other in shown.values()):
            raise Difference(report(what, shown, raw))
        return Answer(first, raw)


def report(what: str, shown: Mapping[str, Any], raw: Mapping[str, Any]) -> str:
    lines = [f"the backends disagree on {what}"]
    for name, value in shown.items():
        lines.append(f"  {name}:")
        lines.extend(f"    {line}" for line in pprint.pformat(value, width=96).splitlines())
        if isinstance(raw.get(name), StorageError):
            lines.append(f"    message: {raw[name]}")
    return "\n".join(lines)
