"""Shards (pytest-split's `--splits N --group I`): together, the shards of a run execute
every test of the unsharded run exactly once, per backend, whatever seed each shard drew;
a test with no recorded duration still runs in exactly one shard; too many shards is a
usage error."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.harness.conftest import Inner

#: 3 modules x 4 tests x 2 backends; a fourth module's test has no recorded duration
MODULE = """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_case(db, n):
    pass
"""
PASSED = re.compile(r"^PASSED (\S+)$", re.MULTILINE)


def ran(result: pytest.RunResult) -> list[str]:
    return PASSED.findall(result.stdout.str())


def test_the_shards_run_every_test_exactly_once(inner: Inner) -> None:
    inner.pytester.makepyfile(test_a=MODULE, test_b=MODULE, test_c=MODULE)
    # durations recorded for the three modules, unequal so that the split is by duration
    durations = {
        f"test_{m}.py::test_case[{b}-{n}]": 0.1 * (n + 1)
        for m in "abc"
        for b in ("sqlite", "postgres")
        for n in range(4)
    }
    (inner.pytester.path / ".test_durations").write_text(json.dumps(durations))
    inner.pytester.makepyfile(test_new="def test_not_timed_yet(db):\n    pass\n")

    whole = inner.run_with_url("-n", "0", "-rA")
    assert whole.ret == pytest.ExitCode.OK, whole.stdout.str()
    everything = ran(whole)
    assert len(everything) == 26

    shards = []
    for group in (1, 2, 3):
        # each shard with a seed of its own, as each CI job draws one
        result = inner.run_with_url(
            "-n", "0", "-rA", "--splits", "3", "--group", str(group),
            "-p", "randomly", f"--randomly-seed={group * 1000 + 7}",
        )  # fmt: skip
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        result.stdout.fnmatch_lines([f"dualstore: shard {group}/3 of the selected tests*"])
        shards.append(ran(result))
    counts = Counter(nodeid for shard in shards for nodeid in shard)
    assert sorted(counts) == sorted(everything)
    assert set(counts.values()) == {1}, [n for n, c in counts.items() if c > 1]
    for backend in ("sqlite", "postgres"):
        assert sum(f"[{backend}" in n for n in counts) == 13
    assert all(shards), "every shard ran tests"
    assert sum("test_not_timed_yet" in n for shard in shards for n in shard) == 2  # one per backend


def test_more_shards_than_tests_is_a_usage_error(inner: Inner) -> None:
    inner.pytester.makepyfile(test_one="def test_one(db):\n    pass\n")
    result = inner.run_with_url("-n", "0", "--splits", "3", "--group", "1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines(["*--splits 3 is more shards than the 2 selected test(s)*"])
