"""What installing the harness costs a project that does not opt in (`nox -s bench`).

    python -m benchmarks.startup --uv PATH [--rounds N]

Three fresh venvs with the same pytest: "plain" has pytest only; "the extra's plugins" adds
the third-party pytest plugins that `dualstore[testing]` depends on (xdist, pytest-replay,
pytest-split: they load wherever they are installed, as every pytest plugin does); "not
opted in" has
`dualstore[testing]` itself (this checkout). The same one-test, database-free project runs
in each, interleaved round by round. The goal, at most 5 %, is for what dualstore adds
(not opted in / the extra's plugins); the plugins' own cost is printed beside it. Whole
processes are timed, start-up included, since start-up is what an installed plugin costs.
"""

# ruff: noqa: S603, T201  (a command-line tool: it prints; it runs only uv and the venvs it made)

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from benchmarks.measure import Sample, interleaved

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.05
PLAIN, PLUGINS, OURS = "plain pytest", "+ the extra's plugins", "+ dualstore[testing], not opted in"
TEST = "def test_plain():\n    assert sum([1, 2]) == 3\n"


def _venv(uv: str, where: Path, *requirements: str) -> Path:
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(where)], check=True)
    python = where / "bin" / "python"
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), *requirements], check=True)
    return python


def _time_run(python: Path, project: Path) -> None:
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or "1 passed" not in done.stdout:
        raise SystemExit(f"the one-test project did not pass:\n{done.stdout}{done.stderr}")
    if (project / ".dualstore").exists():
        raise SystemExit("a project that did not opt in got a .dualstore/ directory")


def measure(uv: str, rounds: int) -> dict[str, Sample]:
    """Whole-process seconds of the one-test project in each venv, interleaved."""
    pytest_pin = f"pytest=={importlib.metadata.version('pytest')}"
    extra = [
        f"{name}=={importlib.metadata.version(name)}"
        for name in ("pytest-xdist", "pytest-replay", "pytest-split")
    ]
    with tempfile.TemporaryDirectory(prefix="dualstore-startup-") as tmp:
        base = Path(tmp)
        candidates = {
            PLAIN: _venv(uv, base / "plain", pytest_pin),
            PLUGINS: _venv(uv, base / "plugins", pytest_pin, *extra),
            OURS: _venv(uv, base / "ours", pytest_pin, *extra, f"{ROOT}[testing]"),
        }
        project = base / "project"
        project.mkdir()
        (project / "test_one.py").write_text(TEST, encoding="utf-8")
        # warm-up turn: byte-compile, fill the OS cache
        return interleaved(
            {name: partial(_time_run, python, project) for name, python in candidates.items()},
            max(1, rounds),
            warmup=1,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="startup", description=__doc__.splitlines()[0])
    parser.add_argument("--uv", required=True, help="the uv binary that builds the venvs")
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args(argv)
    times = measure(options.uv, options.rounds)
    print("\none database-free test, whole process: median / p95 in ms")
    for name, sample in times.items():
        print(f"  {name:<40} {sample.median * 1000:9.1f} {sample.p95 * 1000:9.1f}")
    ours = times[OURS].median / times[PLUGINS].median
    verdict = "PASS" if ours <= GOAL else "FAIL"
    print(
        f"  dualstore, not opted in / the extra's plugins: {ours:.3f} (goal <= {GOAL:.2f})", verdict
    )
    print(
        f"  the extra's plugins / plain pytest: {times[PLUGINS].median / times[PLAIN].median:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
