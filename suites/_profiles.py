"""Hypothesis profiles of the differential suite (suites/test_differential.py):

    dualstore-ci     the default: a modest budget, so that `nox -s tests` stays fast
    dualstore-fuzz   `nox -s fuzz`: a large budget (`pytest -p hypothesispytest
                     --hypothesis-profile dualstore-fuzz`); more examples, longer sequences

Both keep their examples in `.hypothesis/examples` at the repository's root (ignored by
git): a failing example found once is replayed first by every later run, fuzz or not.

suites/plugin.py loads this module as a plugin. It imports hypothesis only when it is
needed (a run that asks for a profile, or the differential suite's module), not in every
pytest process: inner runs of the harness's tests start many.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

#: where found examples are kept (hypothesis' own default place, at the repository's root)
DATABASE: Final = Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"
CI: Final = "dualstore-ci"
FUZZ: Final = "dualstore-fuzz"
_registered: list[bool] = []


def register() -> None:
    """Register both profiles (once) and load `dualstore-ci` unless one was chosen."""
    from hypothesis import HealthCheck, settings  # noqa: PLC0415 - only when needed
    from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: PLC0415

    if not _registered:
        common = settings(
            # the stores' speed varies with the machine; a slow step is not a failure
            deadline=None,
            # big values (70,000-character strings, 2,000-key JSON) are the point
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            print_blob=True,
            database=DirectoryBasedExampleDatabase(DATABASE),
        )
        settings.register_profile(CI, common, max_examples=25, stateful_step_count=10)
        settings.register_profile(FUZZ, common, max_examples=2000, stateful_step_count=40)
        _registered.append(True)
    if settings.get_current_profile_name() == "default":
        settings.load_profile(CI)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before hypothesis' plugin loads the profile `--hypothesis-profile` names."""
    if config.getoption("hypothesis_profile", None):
        register()
