"""The raw-driver floors that `nox -s bench` (benchmarks/) measures the harness and the
storage API against, and the statement counter it uses: the driver code of the benchmark,
kept here because driver imports and SQL live only in storage/ and the provisioners (the
audit's DB001/DB002). Nothing in the harness's own run imports this module.

    FloorStore       a held raw connection (sqlite3, or psycopg in autocommit) to a store,
                     running the statements the API would need and nothing else
    StatementTrace   counts the statements psycopg connections send, from libpq's own
                     protocol trace
"""
# ruff: noqa: PLC0415  (driver imports are deliberately local)

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dualstore.provision.pgstore import connect_schema
from dualstore.serverurl import ServerUrl

#: the floor's statements, written once for both drivers (psycopg gets `%s` for `?`)
INSERT_WORKSPACE = (
    "INSERT INTO workspaces (id, name, name_digest, created_at, updated_at, actor_kind, "
    "actor_id, job_id, workflow_id, edit_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_DOCUMENT = (
    "INSERT INTO documents (id, workspace_id, title, created_at, updated_at, actor_kind, "
    "actor_id, job_id, workflow_id, edit_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_BLOCK = (
    "INSERT INTO blocks (id, document_id, sequence, kind, raw_content, display_content, "
    "derived_content, created_at, updated_at, actor_kind, actor_id, job_id, workflow_id, "
    "edit_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_DOCUMENT = "SELECT * FROM documents WHERE id = ?"
SELECT_BLOCK = "SELECT * FROM blocks WHERE id = ?"
SELECT_BLOCKS = "SELECT * FROM blocks WHERE document_id = ? ORDER BY sequence"
#: statements of the floor test: BEGIN, 5 inserts, 3 reads, ROLLBACK (see `test_body`)
FLOOR_TEST_STATEMENTS = 10


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _provenance() -> tuple[str, str, None, None, str]:
    return ("human", "bench", None, None, str(uuid.uuid4()))


@dataclass(slots=True)
class FloorStore:
    """A held raw connection to a store, in autocommit: each statement is its own
    transaction unless the caller sends BEGIN."""

    conn: Any
    placeholder: str
    _sequence: int = 1000

    @classmethod
    def postgres(cls, url: ServerUrl, schema: str) -> FloorStore:
        conn = connect_schema(url, schema)
        conn.autocommit = True
        return cls(conn, "%s")

    @classmethod
    def sqlite(cls, path: Path) -> FloorStore:
        import sqlite3

        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        return cls(conn, "?")

    def close(self) -> None:
        self.conn.close()

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        cursor = self.conn.execute(sql.replace("?", self.placeholder), tuple(params))
        return list(cursor.fetchall()) if cursor.description is not None else []

    def insert_workspace(self) -> str:
        key, now, name = str(uuid.uuid4()), _now(), f"floor {uuid.uuid4()}"
        digest = hashlib.sha256(name.encode()).hexdigest()
        self._run(INSERT_WORKSPACE, (key, name, digest, now, now, *_provenance()))
        return key

    def insert_document(self, workspace_id: str) -> str:
        key, now = str(uuid.uuid4()), _now()
        self._run(INSERT_DOCUMENT, (key, workspace_id, "floor", now, now, *_provenance()))
        return key

    def insert_block(self, document_id: str, sequence: int | None = None) -> str:
        if sequence is None:
            self._sequence += 1
            sequence = self._sequence
        key, now, text = str(uuid.uuid4()), _now(), f"block {sequence}"
        params = (key, document_id, sequence, "paragraph", text, text, "{}", now, now)
        self._run(INSERT_BLOCK, (*params, *_provenance()))
        return key

    def get_block(self, block_id: str) -> list[Any]:
        return self._run(SELECT_BLOCK, (block_id,))

    def list_blocks(self, document_id: str) -> list[Any]:
        return self._run(SELECT_BLOCKS, (document_id,))

    def test_body(self) -> None:
        """The floor of the benchmark's test: BEGIN; a workspace, a document, 3 blocks
        and 3 reads, 8 statements; ROLLBACK."""
        self._run("BEGIN")
        try:
            document = self.insert_document(self.insert_workspace())
            blocks = [self.insert_block(document, n) for n in range(3)]
            self._run(SELECT_DOCUMENT, (document,))
            self.list_blocks(document)
            self.get_block(blocks[0])
        finally:
            self._run("ROLLBACK")


# --------------------------------------------------------------------------- statements

#: libpq's protocol messages that make the server run a statement: a simple query (which
#: may hold several statements; the harness's and the API's never do) and an extended-
#: protocol Execute (one statement each, prepared or not)
_RUNS_A_STATEMENT = frozenset({"Query", "Execute"})


@dataclass(slots=True)
class Counted:
    """The statements sent in one traced window: how many, and the text of each."""

    texts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.texts)

    def of_kind(self, *words: str) -> int:
        """How many start with one of `words` (e.g. SAVEPOINT, RELEASE)."""
        wanted = tuple(w.upper() for w in words)
        return sum(1 for t in self.texts if t.lstrip().upper().startswith(wanted))


class StatementTrace:
    """Counts what psycopg connections send, from libpq's own protocol trace (PQtrace):
    every Query and Execute message, whichever connection, pool or cursor sent it. While
    `installed`, each psycopg connection opened is remembered; `count()` traces all of
    them for the length of its block."""

    def __init__(self) -> None:
        self.connections: list[Any] = []

    @contextmanager
    def installed(self) -> Iterator[StatementTrace]:
        import psycopg

        # `psycopg.connect` is the class's method taken at import: both names are patched
        original = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]
        module_connect = psycopg.connect
        trace = self

        def connect(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
            conn = original(cls, *args, **kwargs)
            trace.connections.append(conn)
            return conn

        psycopg.Connection.connect = classmethod(connect)  # type: ignore[method-assign,assignment]
        psycopg.connect = psycopg.Connection.connect
        try:
            yield self
        finally:
            psycopg.Connection.connect = classmethod(original)  # type: ignore[method-assign,assignment]
            psycopg.connect = module_connect

    @contextmanager
    def count(self) -> Iterator[Counted]:
        from psycopg import pq

        counted = Counted()
        with tempfile.TemporaryDirectory(prefix="dualstore-trace-") as directory:
            files: list[Path] = []
            live = [c for c in self.connections if not c.closed]
            for n, conn in enumerate(live):
                path = Path(directory) / f"{n}.trace"
                files.append(path)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                conn.pgconn.trace(fd)  # libpq writes (and closes) the stream from now on
                conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield counted
            finally:
                for conn in live:
                    if not conn.closed:
                        conn.pgconn.untrace()  # flushes
            for path in files:
                counted.texts.extend(_statements(path.read_text(errors="replace")))


def _statements(trace: str) -> Iterator[str]:
    """The statements a libpq trace shows the client sending, in order, with their text
    (an Execute's is that of the Parse before it; a prepared one's is its name)."""
    parsed: dict[str, str] = {}
    last = ""
    for line in trace.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or parts[0] != "F":
            continue
        kind, rest = parts[2], "\t".join(parts[3:]).strip()
        if kind == "Parse":
            name, _, text = rest.partition(" ")
            # `"query" nparams [types]`: the query is everything up to its last quote
            last = text[1 : text.rindex('"')] if text.count('"') >= 2 else text
            parsed[name] = last
        elif kind == "Bind":
            fields = rest.split(" ")
            statement = fields[1] if len(fields) > 1 else '""'
            last = parsed.get(statement, last if statement == '""' else statement)
        elif kind in _RUNS_A_STATEMENT:
            yield _unquote(rest) if kind == "Query" else last


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
