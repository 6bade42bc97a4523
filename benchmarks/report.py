"""The bench's verdicts: one `Goal` per performance figure, printed as one table, written as
JSON and drawn as a PNG chart into the results folder."""

from __future__ import annotations

import importlib
import json
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: every goal the bench measures, in the order of the table (the smoke test checks that
#: the JSON has each of them)
GOAL_KEYS = (
    "pg_test_wall",
    "pg_test_vs_pytest_postgresql",
    "pg_test_statements",
    "api_vs_raw_sqlite_get",
    "api_vs_raw_sqlite_list",
    "api_vs_raw_sqlite_insert",
    "api_vs_raw_postgres_get",
    "api_vs_raw_postgres_list",
    "api_vs_raw_postgres_insert",
    "server_to_first_test",
    "workers_sqlite",
    "workers_postgres",
    "worker_store_setup_pg",
    "not_opted_in_startup",
)


@dataclass(slots=True)
class Goal:
    """One goal: the measured figure, the limit, and whether it is met. `lower` goals
    pass at or below the limit (a ratio to a floor, a duration), others at or above it (a
    speed-up)."""

    key: str
    title: str
    value: float
    limit: float
    unit: str = "x"
    lower: bool = True
    #: what was compared, e.g. "11.2 ms vs 2.0 ms (median; p95 14.0 vs 2.6)"
    detail: str = ""
    #: the candidates' figures, for the JSON and the chart
    samples: dict[str, dict[str, float | int]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.value <= self.limit if self.lower else self.value >= self.limit

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def figure(self) -> str:
        return (
            f"{self.value:.2f}{self.unit}" if self.unit == "x" else f"{self.value:.0f} {self.unit}"
        )

    def target(self) -> str:
        sign = "<=" if self.lower else ">="
        limit = f"{self.limit:g}{self.unit}" if self.unit == "x" else f"{self.limit:g} {self.unit}"
        return f"{sign} {limit}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data


def table(goals: Sequence[Goal]) -> str:
    """The goals as a Markdown table (README's "Performance" section shows the latest)."""
    rows = [("goal", "measured", "target", "verdict", "compared")]
    rows += [(g.title, g.figure(), g.target(), g.verdict, g.detail) for g in goals]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def results_dir(root: Path, out: Path | None) -> Path:
    """`out`, or `.dualstore/bench/<UTC timestamp>/` under `root` (gitignored)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = out if out is not None else root / ".dualstore" / "bench" / stamp
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def write_json(directory: Path, goals: Sequence[Goal], options: dict[str, Any]) -> Path:
    path = directory / "bench.json"
    data = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": {"cpus": _cpus(), "platform": platform.platform()},
        "options": options,
        "goals": {g.key: g.to_json() for g in goals},
    }
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _cpus() -> int | None:
    import os  # noqa: PLC0415

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def write_chart(directory: Path, goals: Sequence[Goal]) -> Path:
    """One horizontal bar per goal: the measured figure as a share of its limit (1.0 is
    the limit; left of it passes for a `lower` goal), green for PASS, red for FAIL."""
    # the bench group's (only the bench draws); imported by name, so that mypy needs no
    # stubs of it in the typecheck session
    importlib.import_module("matplotlib").use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")

    shown = list(reversed(goals))
    # a speed-up goal's share is limit / value, so that for every bar left of 1 passes
    shares = [g.value / g.limit if g.lower else g.limit / max(g.value, 1e-9) for g in shown]
    figure, axes = plt.subplots(figsize=(10, 0.42 * len(shown) + 1.4))
    colors = ["#2e7d32" if g.passed else "#c62828" for g in shown]
    axes.barh([g.title for g in shown], shares, color=colors)
    axes.axvline(1.0, color="black", linewidth=1)
    for y, (goal, share) in enumerate(zip(shown, shares, strict=True)):
        axes.text(share, y, f"  {goal.figure()} ({goal.target()})", va="center", fontsize=8)
    axes.set_xscale("log")
    axes.set_xlabel("measured / goal (log scale; left of the line meets the goal)")
    axes.set_title("dualstore: nox -s bench")
    axes.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    path = directory / "bench.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
