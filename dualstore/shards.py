"""Sharding a run over CI runners: pytest-split's `--splits N --group I`, made safe for a
harness that shuffles.

pytest-split picks a shard's tests from their recorded durations (`.test_durations`,
refreshed by `nox -s durations`); a test it has no duration for counts as the average.
Each shard is a run of its own, and keeps every promise of one: its own run id and
per-worker stores, its own per-backend summary (a backend on which the shard ran no test
fails it, as any run), its own reproduce lines and run directory. This module adds:

* a seed-independent split: pytest-randomly shuffles every run with its own seed, and
  pytest-split breaks ties between equal durations by the order it is given, so shards
  run with different seeds could run a test twice or never. The items reach pytest-split
  in node-id order, and get their shuffled order back once it has chosen;
* the `least_duration` algorithm by default (the most even shards for long suites);
* more shards than tests is a usage error (exit 4): some shard would run nothing;
* the shard in the header and in run.json (`shard`), so a failure names its shard.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Final

import pytest

#: pytest-split's option names (dest), read only when pytest-split is installed
SPLITS: Final = "splits"
GROUP: Final = "group"
ALGORITHM: Final = "splitting_algorithm"
DEFAULT_ALGORITHM: Final = "least_duration"


@dataclass(frozen=True, slots=True)
class Shard:
    group: int
    splits: int

    def __str__(self) -> str:
        return f"{self.group}/{self.splits}"


def shard_of(config: pytest.Config) -> Shard | None:
    """The shard this run is (None: not sharded, or pytest-split not installed)."""
    splits = getattr(config.option, SPLITS, None)
    group = getattr(config.option, GROUP, None)
    if not splits or not group:
        return None
    return Shard(int(group), int(splits))


class _SortForSplit:
    """Runs right before pytest-split's own (trylast) selection (see `configure`)."""

    def __init__(self, shard: Shard, restore: _RestoreOrder) -> None:
        self.shard = shard
        self.restore = restore

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.shard.splits > len(items):
            raise pytest.UsageError(
                f"dualstore: --splits {self.shard.splits} is more shards than the "
                f"{len(items)} selected test(s): some shard would run nothing. Use at most "
                f"{len(items)} shards (or select more tests)."
            )
        self.restore.position = {item.nodeid: i for i, item in enumerate(items)}
        items.sort(key=lambda item: item.nodeid)


class _RestoreOrder:
    """After every selection: the shard's tests in the order the seed shuffled them."""

    def __init__(self) -> None:
        self.position: dict[str, int] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> Generator[None]:
        result = yield
        if self.position:
            items.sort(key=lambda item: self.position.get(item.nodeid, len(self.position)))
        return result


def configure(config: pytest.Config) -> None:
    """At configure, before pytest-split's own: choose the default algorithm, and register
    the sorting plugin. pluggy calls a hook's trylast implementations in the order they
    were registered (unlike the others, last registered first), so ours, registered before
    pytest-split's, runs right before it."""
    shard = shard_of(config)
    if shard is None:
        return
    if config.getoption(ALGORITHM) == "duration_based_chunks" and not _given(config):
        setattr(config.option, ALGORITHM, DEFAULT_ALGORITHM)
    restore = _RestoreOrder()
    config.pluginmanager.register(restore, "dualstore-shard-restore")
    config.pluginmanager.register(_SortForSplit(shard, restore), "dualstore-shard-sort")


def _given(config: pytest.Config) -> bool:
    return any(arg.startswith("--splitting-algorithm") for arg in config.invocation_params.args)
