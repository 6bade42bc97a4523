"""What the noxfile's sessions decide before they install anything: whether the session's
Python fits the project, which URL arguments move into the environment, and which install
row a recorded run had (`repro` and `diagnose` read run.json beside an order file, in a run
directory or in a CI artifact's .zip).

The noxfile imports this module in nox's own environment (nox and uv; no project
dependencies), so it uses the standard library and nox only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Collection
from pathlib import Path

import nox
from packaging.specifiers import SpecifierSet


def require_python(session: nox.Session, supported: SpecifierSet) -> None:
    """Fail clearly on a Python that the project does not support (before installing, which
    would fail with a resolver error that names no fix)."""
    bin_dir = session.bin_paths[0] if session.bin_paths else None
    found = shutil.which("python", path=bin_dir) if bin_dir else None
    python = found or sys.executable
    version = subprocess.run(  # noqa: S603 - the session's own interpreter
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if version in supported:
        return
    if session.python:
        session.error(
            f"Python {version} (asked for: {session.python}) is not supported: this project "
            f"needs Python {supported}. Ask for a supported one, e.g. --force-python 3.11."
        )
    session.error(
        f"nox runs on Python {version} ({sys.executable}) and the sessions use nox's own "
        f"Python, but this project needs Python {supported}. Run nox with a supported "
        "Python (./nox picks the newest python3.X it finds; delete .venv to let it choose "
        "again), or ask for an installed one: nox --force-python 3.11 -s ..."
    )


def urls_to_env(posargs: list[str], moved: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The arguments without the URL options in `moved`, and those URLs as environment
    variables (both `--opt=URL` and `--opt URL`; the last one wins, as on a command line).
    nox echoes every command line, never the environment, and a URL may hold a password."""
    kept: list[str] = []
    env: dict[str, str] = {}
    args = iter(posargs)
    for arg in args:
        flag, eq, url = arg.partition("=")
        if flag in moved and eq:
            env[moved[flag]] = url
        elif arg in moved and (following := next(args, None)) is not None:
            env[moved[arg]] = following
        else:  # (a URL option with no value stays: the tool reports the usage error)
            kept.append(arg)
    return kept, env


class Recordings:
    """Which install row (of `rows`) a recorded run had; `unrecorded` for a run.json that
    names none (a run outside the test sessions)."""

    def __init__(self, session: nox.Session, rows: Collection[str], unrecorded: str) -> None:
        self.session, self.rows, self.unrecorded = session, rows, unrecorded

    def of_order_file(self, order_file: Path) -> str:
        """The row of the run that wrote `order_file` (from run.json beside it)."""
        if not order_file.is_file():
            self.session.error(
                f"{order_file}: no such order file. Pass the path printed under `reproduce "
                "with:`, relative to the project root (unpack a CI artifact into the checkout)."
            )
        run_file = order_file.parent / "run.json"
        text = run_file.read_text(encoding="utf-8") if run_file.is_file() else None
        return self.named_in(str(run_file), text)

    def of_target(self, target: Path) -> str:
        """The row of a diagnose target: its first run.json, beside an order file, in or
        under a directory, or in a .zip (a CI artifact as downloaded)."""
        return self.named_in(*_run_file_in(target))

    def named_in(self, run_file: str, text: str | None) -> str:
        """The row a run.json (its `text`; None: there is none) names."""
        recorded = None
        if text is not None:
            try:
                recorded = json.loads(text).get("nox_session")
            except (ValueError, AttributeError):
                self.session.error(
                    f"{run_file} is not a run recording (JSON object): re-download it."
                )
        if recorded is None:
            self.session.warn(
                f"{run_file} names no nox session (a run outside the test sessions, "
                "e.g. plain pytest or a flake hunt, or an older run): "
                f"installing what `{self.unrecorded}` installs"
            )
            return self.unrecorded
        if recorded not in self.rows:
            self.session.error(
                f"{run_file} names the session {recorded!r}, which this noxfile does not have "
                f"(it has {', '.join(self.rows)}): replay it from the commit that recorded it."
            )
        return str(recorded)


def _run_file_in(target: Path) -> tuple[str, str | None]:
    if zipfile.is_zipfile(target):
        with zipfile.ZipFile(target) as archive:
            names = sorted(n for n in archive.namelist() if Path(n).name == "run.json")
            text = archive.read(names[0]).decode() if names else None
            return (f"{target}:{names[0]}" if names else str(target)), text
    if target.is_file():
        target = target.parent
    found = sorted(target.rglob("run.json")) if not (target / "run.json").is_file() else []
    run_file = found[0] if found else target / "run.json"
    return str(run_file), run_file.read_text(encoding="utf-8") if run_file.is_file() else None
