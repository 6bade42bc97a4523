"""Timing side by side: candidates interleaved round by round (so a noisy neighbour slows
them all alike), summarised as median and 95th percentile."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    """One candidate's timings, in seconds."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        if len(self.values) < 2:
            return self.values[0]
        return statistics.quantiles(self.values, n=20, method="inclusive")[-1]

    def to_json(self, scale: float = 1000.0) -> dict[str, float | int]:
        """Median and p95 in milliseconds (`scale`), and the number of rounds."""
        return {
            "median_ms": round(self.median * scale, 4),
            "p95_ms": round(self.p95 * scale, 4),
            "rounds": len(self.values),
        }


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def interleaved(
    candidates: Mapping[str, Callable[[], object]], rounds: int, *, warmup: int = 1
) -> dict[str, Sample]:
    """Each candidate `rounds` times, in turns (A B C A B C ...), after `warmup` untimed
    turns; the order within a turn alternates, so neither goes first every time."""
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(max(1, rounds)):
        for name in names if turn % 2 == 0 else reversed(names):
            times[name].append(timed(candidates[name]))
    return {name: Sample(tuple(values)) for name, values in times.items()}


def ratio(numerator: Sample, denominator: Sample) -> float:
    """Median over median."""
    return numerator.median / denominator.median
