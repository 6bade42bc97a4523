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

    def is_gone(self, exc: BaseException) -> bool:
        """Whether `exc` means "the backend went away": one of the project's exceptions, or
        a driver error that a selected backend's provisioner reads so."""
        if isinstance(exc, self.project.unavailable):
            return True
        return any(PROVISIONERS[name].is_gone(exc) for name in self.cfg.backends)


HARNESS: Final = pytest.StashKey[Harness]()
