"""Hypothesis profiles of the differential suite (suites/test_differential.py), registered
when suites/plugin.py loads this module, before pytest reads `--hypothesis-profile`:

    dualstore-ci     the default: a modest budget, so that `nox -s tests` stays fast
    dualstore-fuzz   `nox -s fuzz`: a large budget (`pytest --hypothesis-profile
                     dualstore-fuzz`); more examples, longer sequences

Both keep their examples in `.hypothesis/examples` at the repository's root (ignored by
git): a failing example found once is replayed first by every later run, fuzz or not.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

#: where found examples are kept (hypothesis' own default place, at the repository's root)
DATABASE = Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"
CI = "dualstore-ci"
FUZZ = "dualstore-fuzz"

_COMMON = {
    # the stores' speed varies with the machine; a slow step is not a failure
    "deadline": None,
    # big values (70,000-character strings, 5,000-key JSON) are the point
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
    "database": DirectoryBasedExampleDatabase(DATABASE),
}
settings.register_profile(CI, max_examples=25, stateful_step_count=10, **_COMMON)
settings.register_profile(FUZZ, max_examples=2000, stateful_step_count=40, **_COMMON)
settings.load_profile(CI)
