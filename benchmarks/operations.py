"""A small benchmark of the storage layer on each backend (`nox -s bench`).

    python -m benchmarks.operations [--backend sqlite|postgres …] [--rounds N]

For each backend it measures, on a fresh store: connecting and migrating it, then `rounds`
times each of the operations below, and prints the median and 95th percentile per
operation in milliseconds. PostgreSQL is the server of DUALSTORE_POSTGRES_URL (in a schema
of its own, dropped afterwards) or else a throwaway server; SQLite is a file in a temp dir.
Numbers are for comparing changes on one machine, not for assertions in tests.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path

import storage
from dualstore import provision
from dualstore.runinfo import new_run_id, store_name
from storage.api import Database, NewBlock, WriteContext

BACKENDS = ("sqlite", "postgres")
DEFAULT_ROUNDS = 200
ACTOR = WriteContext.human("bench")


@contextmanager
def _sqlite_store() -> Iterator[Database]:
    with (
        tempfile.TemporaryDirectory(prefix="dualstore-bench-") as directory,
        closing(storage.connect(f"sqlite:///{Path(directory) / 'bench.db'}")) as db,
    ):
        yield db


@contextmanager
def _postgres_store() -> Iterator[Database]:
    url = os.environ.get("DUALSTORE_POSTGRES_URL", "").strip()
    if not url:
        with provision.throwaway_server() as server, _schema_store(server.url) as db:
            yield db
        return
    with _schema_store(url) as db:
        yield db


@contextmanager
def _schema_store(url: str) -> Iterator[Database]:
    schema = store_name(new_run_id(), "bench")
    provision.create_schema(url, schema)
    try:
        with closing(storage.connect(url, schema=schema)) as db:
            yield db
    finally:
        provision.drop_schema(url, schema)


def _timed(action: Callable[[], object], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def bench(db: Database, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per call of each measured operation."""
    started = time.perf_counter()
    db.run_migrations()
    results = {"migrate (once)": [(time.perf_counter() - started) * 1000]}
    workspace = db.create_workspace("bench", ACTOR)
    document = db.create_document(workspace.id, "bench", ACTOR)
    block = db.create_block(document.id, NewBlock("paragraph", "first"), ACTOR)

    names = (f"w{n}" for n in itertools.count())  # workspace names are unique

    def rolled_back_write() -> None:
        with db.transaction() as tx:
            db.create_workspace(next(names), ACTOR)
            tx.set_rollback()

    results["create_workspace"] = _timed(lambda: db.create_workspace(next(names), ACTOR), rounds)
    results["create_block"] = _timed(
        lambda: db.create_block(document.id, NewBlock("paragraph", "text"), ACTOR), rounds
    )
    results["get_block"] = _timed(lambda: db.get_block(block.id), rounds)
    results[f"list_blocks ({rounds + 1} rows)"] = _timed(
        lambda: db.list_blocks(document.id), rounds
    )
    results["write + rollback (test isolation)"] = _timed(rolled_back_write, rounds)
    results["reset_data (committing test)"] = _timed(db.reset_data, max(1, rounds // 10))
    return results


def _report(backend: str, results: dict[str, list[float]]) -> None:
    print(f"\n{backend}: median / p95 in ms")  # noqa: T201 - a command-line tool
    for name, times in results.items():
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
        print(f"  {name:<36} {statistics.median(times):9.3f} {p95:9.3f}")  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=BACKENDS, default=None)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    options = parser.parse_args(argv)
    # One entry per backend: a new backend adds a store factory here.
    stores: dict[str, Callable[[], AbstractContextManager[Database]]] = {
        "sqlite": _sqlite_store,
        "postgres": _postgres_store,
    }
    for backend in options.backend or BACKENDS:
        with stores[backend]() as db:
            _report(f"{backend} ({db.server_version()})", bench(db, max(2, options.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
