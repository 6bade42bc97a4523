"""What a replay needs to know about the environment of the run it replays: the Python,
the installed packages and each backend's server version, recorded in run.json, and what
differs in the environment that replays it (a replay months later, or on another machine,
may fail or pass for that reason alone)."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Mapping
from typing import Any, Final

#: at most this many differing packages are named; the rest are counted
SHOWN: Final = 8


def packages() -> dict[str, str]:
    """Every installed distribution -> its version (names normalised: lowercase, `-`)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        # (parsed once: `dist.version` would parse the metadata file a second time, and
        # parsing them is about a tenth of a harness run's start-up)
        metadata = dist.metadata
        name = (metadata["Name"] or "").lower().replace("_", "-")
        if name:
            found[name] = metadata["Version"]
    return dict(sorted(found.items()))


def snapshot() -> dict[str, Any]:
    return {"python": platform.python_version(), "packages": packages()}


def differences(recorded: Mapping[str, Any], here: Mapping[str, Any]) -> list[str]:
    """Each way `here` differs from `recorded` (both as `snapshot()` gives them, plus
    `servers`: backend -> server version), as short lines; [] when nothing differs."""
    lines: list[str] = []
    if recorded.get("python") and recorded.get("python") != here.get("python"):
        lines.append(f"Python {here.get('python')} here, {recorded.get('python')} in the run")
    before: Mapping[str, str] = recorded.get("packages") or {}
    now: Mapping[str, str] = here.get("packages") or {}
    changed = [
        f"{name} {now.get(name, '(missing)')} here, {before.get(name, '(missing)')} in the run"
        for name in sorted(set(before) | set(now))
        if before and before.get(name) != now.get(name)
    ]
    lines.extend(changed[:SHOWN])
    if len(changed) > SHOWN:
        lines.append(f"... and {len(changed) - SHOWN} more packages")
    servers_then: Mapping[str, str] = recorded.get("servers") or {}
    servers_now: Mapping[str, str] = here.get("servers") or {}
    for backend, version in servers_then.items():
        if backend in servers_now and servers_now[backend] != version:
            lines.append(f"{backend}: {servers_now[backend]} here, {version} in the run")
    return lines
