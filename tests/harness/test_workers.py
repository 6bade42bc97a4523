"""`-n auto` in a project that opted in starts as many workers as the selected tests'
recorded seconds pay for (dualstore/workers.py), not one per core. The choice is checked
in-process on parsed configurations; two inner runs prove that xdist follows it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dualstore import workers
from dualstore.workers import SECONDS_PER_WORKER, usable_cpus

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

TESTS = """
import pytest

@pytest.mark.parametrize("n", range(3))
def test_a(db, n):
    db.ping()
"""


def record(inner: Inner, seconds: dict[str, float], module: str = "test_work.py") -> None:
    """A `.test_durations` (pytest-split's) for three tests of `module`, per backend."""
    path = inner.pytester.path / ".test_durations"
    durations = json.loads(path.read_text()) if path.exists() else {}
    durations |= {
        f"{module}::test_a[{backend}-{n}]": each
        for backend, each in seconds.items()
        for n in range(3)
    }
    path.write_text(json.dumps(durations))


def chosen(inner: Inner, *args: str, backends: tuple[str, ...] = ("sqlite",)) -> int | None:
    inner.monkeypatch.delenv(workers.AUTO_ENV, raising=False)
    return workers.auto_workers(inner.pytester.parseconfig(*args), backends)


def share(seconds: float) -> int:
    """What the rule gives for `seconds` of work on this machine."""
    count = min(usable_cpus(), int(seconds // SECONDS_PER_WORKER))
    return count if count >= 2 else 0


def test_the_count_follows_the_recorded_seconds_of_what_is_selected(inner: Inner) -> None:
    record(inner, {"sqlite": 0.2, "postgres": 100.0})
    record(inner, {"sqlite": 2 * SECONDS_PER_WORKER, "postgres": 0.1}, module="sub/test_more.py")
    # little work: in one process; the PostgreSQL tests' long durations do not count
    assert chosen(inner, "test_work.py") == 0
    assert chosen(inner, "test_work.py", backends=("postgres",)) == share(300.0)
    # a directory, a module and a node id select their own tests
    assert chosen(inner, "sub") == share(6 * SECONDS_PER_WORKER)
    assert chosen(inner, "sub/test_more.py::test_a") == share(6 * SECONDS_PER_WORKER)
    assert chosen(inner) == share(6 * SECONDS_PER_WORKER + 0.6)  # no path: everything


def test_xdist_decides_without_a_record_or_where_told(inner: Inner) -> None:
    assert chosen(inner) is None  # no durations file
    record(inner, {"sqlite": 0.1, "postgres": 0.1})
    assert chosen(inner, "test_other.py") is None  # none of the selected tests recorded
    inner.monkeypatch.setenv(workers.AUTO_ENV, "3")
    config = inner.pytester.parseconfig()
    assert workers.auto_workers(config, ("sqlite",)) is None


def test_a_run_of_little_work_runs_in_process(inner: Inner) -> None:
    inner.pytester.makepyfile(test_work=TESTS)
    record(inner, {"sqlite": 0.2, "postgres": 0.2})
    result = inner.run("--backend", "sqlite", "-n", "auto")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["dualstore: -n auto: 0 workers for 0.6 s of recorded tests*"])
    assert "created:" not in result.stdout.str()  # no xdist worker was started
    result.assert_outcomes(passed=3)


def test_enough_work_starts_the_workers_it_pays_for(inner: Inner) -> None:
    inner.pytester.makepyfile(test_work=TESTS)
    record(inner, {"sqlite": SECONDS_PER_WORKER, "postgres": 0.1})
    expected = share(3 * SECONDS_PER_WORKER)
    result = inner.run("--backend", "sqlite", "-n", "auto")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    seconds = 3 * SECONDS_PER_WORKER
    result.stdout.fnmatch_lines([f"dualstore: -n auto: {expected} workers for {seconds:.1f} s *"])
    if expected:
        result.stdout.fnmatch_lines([f"created: {expected}/{expected} workers"])
