"""constraints.txt, the pins every nox session installs under (`nox -s lock` writes it):
it pins everything pyproject asks for, on every declared Python, with hashes, and names
no host. (That the sessions really install under it: tests/cirun/test_nox_sessions.py.)"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from audit_support import REPO_ROOT
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCK = REPO_ROOT / "constraints.txt"
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]+))?"
)


def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def declared_pythons() -> list[str]:
    classifiers = pyproject()["project"]["classifiers"]
    return [c.rsplit(" :: ", 1)[1] for c in classifiers if re.search(r"Python :: 3\.\d+$", c)]


def pins(text: str) -> list[tuple[str, Version, Marker | None]]:
    found = []
    for line in text.splitlines():
        if match := PIN.match(line):
            marker = match["marker"]
            found.append(
                (
                    canonicalize_name(match["name"]),
                    Version(match["version"]),
                    Marker(marker.strip()) if marker else None,
                )
            )
    return found


def requirements() -> Iterator[Requirement]:
    """Every third-party requirement of pyproject's extras and dependency groups."""
    data = pyproject()
    project = data["project"]
    extras = project["optional-dependencies"].values()
    own = canonicalize_name(project["name"])
    for entry in [*project["dependencies"], *(entry for reqs in extras for entry in reqs)]:
        req = Requirement(entry)
        if canonicalize_name(req.name) != own:  # (an extra that includes another)
            yield req
    for entries in data["dependency-groups"].values():
        for entry in entries:
            if isinstance(entry, str):  # ({"include-group": ...} entries are listed themselves)
                yield Requirement(entry)


def python_environment(python: str) -> dict[str, str]:
    return {"python_version": python, "python_full_version": f"{python}.0"}


@pytest.mark.parametrize("python", declared_pythons())
def test_everything_pyproject_asks_for_is_pinned_within_its_range(python: str) -> None:
    environment = python_environment(python)
    pinned: dict[str, Version] = {}
    for name, version, marker in pins(LOCK.read_text(encoding="utf-8")):
        if marker is None or marker.evaluate(environment):
            assert name not in pinned, f"{name} pinned twice for Python {python}"
            pinned[name] = version
    stale = []
    for req in requirements():
        name = canonicalize_name(req.name)
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        if name not in pinned or not req.specifier.contains(pinned[name], prereleases=True):
            stale.append(f"{req} (locked: {pinned.get(name, 'nothing')})")
    assert not stale, (
        f"constraints.txt does not fit pyproject.toml on Python {python}: "
        f"{', '.join(stale)}; run `nox -s lock` and commit the result"
    )


def test_every_pin_has_hashes_and_no_host_is_named() -> None:
    text = LOCK.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for entry in entries:
        assert PIN.match(entry), entry[:80]
        assert "--hash=sha256:" in entry, entry[:80]
    assert "://" not in text  # no index or find-links URL: the installer's own settings apply
