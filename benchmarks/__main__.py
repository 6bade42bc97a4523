"""`nox -s bench`: every performance goal (the storage layer's and the harness's),
candidates side by side and interleaved, as one table of PASS/FAIL, a JSON file and a PNG
chart in `.dualstore/bench/<UTC timestamp>/`.

    python -m benchmarks [--quick] [--skip GROUP ...] [--out DIR] [--no-chart] [--uv PATH]

PostgreSQL is DUALSTORE_POSTGRES_URL's server or else a throwaway one started for the bench
(every PostgreSQL figure but the server start runs on it). The machine is shared and
noisy: read the ratios, which compare candidates measured in turns, more than the
absolute milliseconds. Figures for comparing changes; never a test's assertion.
"""

# ruff: noqa: T201  (a command-line tool: it prints)

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks import operations, runs, server, startup
from benchmarks.measure import Sample, ratio
from benchmarks.report import GOAL_KEYS, Goal, results_dir, table, write_chart, write_json
from dualstore import provision
from dualstore.provision.floors import FLOOR_TEST_STATEMENTS, StatementTrace
from dualstore.serverurl import ServerUrl

ROOT = Path(__file__).resolve().parents[1]
#: the groups of figures, as `--skip` names them, and the goals each one yields
GROUPS = {
    "per-test": ("pg_test_wall", "pg_test_statements"),
    "pytest-postgresql": ("pg_test_vs_pytest_postgresql",),
    "api": tuple(k for k in GOAL_KEYS if k.startswith("api_vs_raw_")),
    "server": ("server_to_first_test",),
    "workers": ("workers_sqlite", "workers_postgres"),
    "worker-setup": ("worker_store_setup_pg",),
    "startup": ("not_opted_in_startup",),
}


@dataclass(frozen=True, slots=True)
class Rounds:
    """How many times each kind of figure is taken."""

    in_process: int
    tests: int
    runs: int
    suites: int
    servers: int
    #: untimed turns before the timed ones (whole runs and servers: the OS cache)
    warmup: int
    setups: int
    startup: int
    suite_paths: tuple[str, ...] = ("suites",)


FULL = Rounds(
    in_process=300, tests=40, runs=5, suites=3, servers=7, warmup=1, setups=20, startup=15
)
QUICK = Rounds(in_process=60, tests=20, runs=2, suites=1, servers=3, warmup=1, setups=8, startup=8)
#: the smoke test's: every goal measured once, on one small suite file
SMOKE = Rounds(
    in_process=3, tests=3, runs=1, suites=1, servers=1, warmup=0, setups=2, startup=1,
    suite_paths=("suites/test_health.py::test_ping_answers",),
)  # fmt: skip


def _number(ms: float) -> str:
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.3g}"


def _ms(sample: Sample) -> str:
    return f"{_number(sample.median * 1000)} ms (p95 {_number(sample.p95 * 1000)})"


def _versus(ours: Sample, other: Sample) -> str:
    return f"{_ms(ours)} vs {_ms(other)}"


def _pair(first: str, a: Sample, second: str, b: Sample) -> dict[str, dict[str, float | int]]:
    return {first: a.to_json(), second: b.to_json()}


@contextmanager
def _postgres_url() -> Iterator[ServerUrl]:
    url = os.environ.get("DUALSTORE_POSTGRES_URL", "").strip()
    if url:
        yield ServerUrl.parse(url)
        return
    with provision.throwaway_server() as started:
        yield started.url


def measure(rounds: Rounds, skip: set[str], uv: str | None) -> list[Goal]:
    goals: dict[str, Goal] = {}
    trace = StatementTrace()
    steps: list[tuple[str, Callable[[ServerUrl], list[Goal]]]] = [
        ("per-test", lambda url: _per_test(url, rounds, trace)),
        ("api", lambda url: _api(url, rounds)),
        ("worker-setup", lambda url: _worker_setup(url, rounds)),
        ("pytest-postgresql", lambda url: _pytest_postgresql(url, rounds)),
        ("workers", lambda url: _workers(url, rounds)),
        ("server", lambda url: _server(rounds)),
    ]
    with ExitStack() as stack:
        stack.enter_context(trace.installed())
        url = stack.enter_context(_postgres_url())
        for group, step in steps:
            if group in skip:
                continue
            print(f"bench: {group} ...", file=sys.stderr, end="", flush=True)
            started = time.perf_counter()
            goals.update({goal.key: goal for goal in step(url)})
            print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    if "startup" not in skip:
        print("bench: startup ...", file=sys.stderr, flush=True)
        goals.update({g.key: g for g in _startup(uv, rounds)})
    return [goals[key] for key in GOAL_KEYS if key in goals]


def _per_test(url: ServerUrl, rounds: Rounds, trace: StatementTrace) -> list[Goal]:
    with operations.worker_store("postgres", url) as store:
        found = operations.per_test(store, trace, rounds.in_process)
    counted = found.counted
    savepoints = counted.of_kind("SAVEPOINT", "RELEASE")
    return [
        Goal(
            "pg_test_wall",
            "PG test wall, `db` fixture / raw floor (in-process)",
            ratio(found.fixture, found.floor),
            1.5,
            detail=_versus(found.fixture, found.floor),
            samples=_pair("db fixture", found.fixture, "raw floor", found.floor),
        ),
        Goal(
            "pg_test_statements",
            "PG test statements, API / minimum",
            counted.total / FLOOR_TEST_STATEMENTS,
            1.2,
            detail=f"{counted.total} sent ({savepoints} SAVEPOINT/RELEASE) vs "
            f"{FLOOR_TEST_STATEMENTS}; counted from libpq's protocol trace",
            samples={"statements": {"sent": counted.total, "savepoint_or_release": savepoints}},
        ),
    ]


def _api(url: ServerUrl, rounds: Rounds) -> list[Goal]:
    goals: list[Goal] = []
    titles = {"get": "get-by-id", "list": f"list of {operations.LIST_ROWS}", "insert": "insert"}
    with operations.sqlite_target() as directory:
        targets: dict[str, ServerUrl | Path] = {"sqlite": directory, "postgres": url}
        for backend, target in targets.items():
            with operations.worker_store(backend, target) as store:
                found = operations.api_vs_raw(store, rounds.in_process)
            for op, (api, raw) in found.items():
                goals.append(
                    Goal(
                        f"api_vs_raw_{backend}_{op}",
                        f"{backend}: {titles[op]}, API / raw driver",
                        ratio(api, raw),
                        1.3,
                        detail=_versus(api, raw),
                        samples=_pair("api", api, "raw", raw),
                    )
                )
    return goals


def _worker_setup(url: ServerUrl, rounds: Rounds) -> list[Goal]:
    setup = operations.worker_setup(url, rounds.setups)
    return [
        Goal(
            "worker_store_setup_pg",
            "PG per-worker store setup (create, migrate, open)",
            setup.median * 1000,
            100,
            unit="ms",
            detail=f"p95 {setup.p95 * 1000:.0f} ms over {len(setup.values)} stores",
            samples={"setup": setup.to_json()},
        )
    ]


def _pytest_postgresql(url: ServerUrl, rounds: Rounds) -> list[Goal]:
    ours, theirs, ours_run, theirs_run = runs.per_test_runs(url.secret, rounds.tests, rounds.runs)
    return [
        Goal(
            "pg_test_vs_pytest_postgresql",
            "PG test, ours / pytest-postgresql `postgresql` (pytest runs)",
            ratio(ours, theirs),
            1.0,
            detail=f"{_versus(ours, theirs)} per test; runs of {rounds.tests} tests "
            f"{ours_run.median:.2f} s vs {theirs_run.median:.2f} s",
            samples={
                **_pair("ours per test", ours, "pytest-postgresql per test", theirs),
                **_pair("ours run", ours_run, "pytest-postgresql run", theirs_run),
            },
        )
    ]


def _workers(url: ServerUrl, rounds: Rounds) -> list[Goal]:
    goals = []
    for backend, limit in (("sqlite", 1.0), ("postgres", 1.8)):
        serial, parallel = runs.worker_runs(backend, url.secret, rounds.suites, rounds.suite_paths)
        goals.append(
            Goal(
                f"workers_{backend}",
                f"{backend} suites, -n 0 / -n auto (speed-up)",
                ratio(serial, parallel),
                limit,
                lower=False,
                detail=f"{serial.median:.1f} s vs {parallel.median:.1f} s "
                f"({' '.join(rounds.suite_paths)}, {os.cpu_count()} CPUs)",
                samples=_pair("-n 0", serial, "-n auto", parallel),
            )
        )
    return goals


def _server(rounds: Rounds) -> list[Goal]:
    ours, floor = server.server_start(rounds.servers, rounds.warmup)
    return [
        Goal(
            "server_to_first_test",
            "throwaway server, provisioning / initdb + start + stop",
            ratio(ours, floor),
            1.2,
            detail=f"{ours.median:.2f} s vs {floor.median:.2f} s "
            f"(p95 {ours.p95:.2f} vs {floor.p95:.2f})",
            samples=_pair("ours", ours, "floor", floor),
        )
    ]


def _startup(uv: str | None, rounds: Rounds) -> list[Goal]:
    if uv is None:
        raise SystemExit("bench: the start-up figure builds venvs with uv: pass --uv (nox does)")
    times = startup.measure(uv, rounds.startup)
    ours, plugins, plain = times[startup.OURS], times[startup.PLUGINS], times[startup.PLAIN]
    return [
        Goal(
            "not_opted_in_startup",
            "not opted in / the extra's plugins (whole pytest process)",
            ratio(ours, plugins),
            startup.GOAL,
            detail=f"{_versus(ours, plugins)}; plain pytest {_ms(plain)}",
            samples={name: sample.to_json() for name, sample in times.items()},
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer rounds (a minute or two)")
    size.add_argument("--smoke", action="store_true", help="one round of each (the test's)")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(GROUPS))
    parser.add_argument("--out", type=Path, help="results folder (default .dualstore/bench/…)")
    parser.add_argument("--no-chart", action="store_true", help="JSON and table only")
    parser.add_argument("--uv", default=shutil.which("uv"), help="uv, for the start-up venvs")
    options = parser.parse_args(argv)
    rounds = SMOKE if options.smoke else QUICK if options.quick else FULL
    skip = set(options.skip)
    goals = measure(rounds, skip, options.uv)
    directory = results_dir(ROOT, options.out)
    unmeasured = {key: group for group, keys in GROUPS.items() if group in skip for key in keys}
    settings: dict[str, Any] = {
        "rounds": asdict(rounds),
        "size": "smoke" if options.smoke else "quick" if options.quick else "full",
        "skipped": {key: f"--skip {group}" for key, group in unmeasured.items()},
        "postgres": "DUALSTORE_POSTGRES_URL"
        if os.environ.get("DUALSTORE_POSTGRES_URL")
        else "a throwaway server",
    }
    print()
    print(table(goals))
    written = [write_json(directory, goals, settings)]
    if not options.no_chart:
        written.append(write_chart(directory, goals))
    print(f"\nbench: wrote {', '.join(str(p) for p in written)}")
    failed = [g.key for g in goals if not g.passed or math.isnan(g.value)]
    print(f"bench: {len(goals) - len(failed)} of {len(goals)} goals met", end="")
    print(f"; missed: {', '.join(failed)}" if failed else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
