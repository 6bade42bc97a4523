"""Per-process state of the harness: one `Harness` in `config.stash[HARNESS]`, set at
`pytest_configure` in the controller and in every xdist worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import pytest

from dualstore.project import Project
from dualstore.provision import PROVISIONERS
from dualstore.provision.base import Provisioned
from dualstore.runinfo import RunInfo
from dualstore.settings import HarnessConfig
from dualstore.tempdirs import RunTempDir


@dataclass(slots=True)
class Harness:
    """What the plugin's hooks and fixtures share within one process."""

    cfg: HarnessConfig
    run: RunInfo
    project: Project
    tempdir: RunTempDir | None = None
    provisioned: dict[str, Provisioned] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: provisioning problems that did not stop the run (printed once, in the summary)
    warnings: list[str] = field(default_factory=list)
    #: backend -> seconds each worker took to create and migrate its store
    setup_seconds: dict[str, list[float]] = field(default_factory=dict)
    #: the exceptions that mean "the backend went away" (see `gone_errors`)
    gone_errors: tuple[type[BaseException], ...] = ()


def gone_errors(cfg: HarnessConfig, project: Project) -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the backend went away": the project's, and the drivers'
    of the selected backends."""
    drivers = tuple(e for name in cfg.backends for e in PROVISIONERS[name].gone_errors())
    return (*project.unavailable, *drivers)


HARNESS: Final = pytest.StashKey[Harness]()
