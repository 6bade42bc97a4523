"""Helpers of the harness's own tests: a temp project run by a real `pytest` subprocess
(opted into the harness by its root conftest.py, exactly as users do it), and a
PostgreSQL URL for it.

The URL (`pg_url`, in tests/conftest.py) is the one the outer run already uses (its
provisioned PostgreSQL: the DUALSTORE_POSTGRES_URL server or its throwaway server), so
these tests need no server of their own; only if the outer run did not select PostgreSQL
do they start a throwaway one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dualstore import provision
from dualstore.serverurl import ServerUrl
from tests.adopting import adopt, isolate

RUN_ID_RE = re.compile(r"dualstore: run (\d{8}T\d{6}_[0-9a-f]{4});")


@pytest.fixture
def own_db(pg_server_url: ServerUrl) -> Iterator[ServerUrl]:
    """A database of this test's own: concurrent runs on the same server reap their own
    database's leftovers, so they cannot take this test's planted ones first."""
    name = f"dualstore_test_{uuid.uuid4().hex[:8]}"
    url = provision.create_database(pg_server_url, name)
    try:
        yield url
    finally:
        provision.drop_database(pg_server_url, name)


@dataclass
class Inner:
    """Runs pytest on the temp project in a subprocess, with a clean harness env."""

    pytester: pytest.Pytester
    monkeypatch: pytest.MonkeyPatch
    pg_url: str
    #: where inner tests write what they observed (env DUALSTORE_TEST_OUT)
    out: Path

    def run(self, *args: str, env: dict[str, str] | None = None) -> pytest.RunResult:
        isolate(self.monkeypatch)
        for name, value in (env or {}).items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setenv("DUALSTORE_TEST_OUT", str(self.out))
        return self.pytester.runpytest_subprocess(
            "-p", "no:randomly", "-p", "no:cacheprovider", *args, timeout=300
        )

    def run_with_url(self, *args: str, env: dict[str, str] | None = None) -> pytest.RunResult:
        return self.run(*args, env={"DUALSTORE_POSTGRES_URL": self.pg_url, **(env or {})})

    def observed(self) -> list[dict[str, str]]:
        """Everything inner tests recorded with `record(...)` (see OBSERVE)."""
        return [
            json.loads(path.read_text(encoding="utf-8")) for path in sorted(self.out.glob("*.json"))
        ]


#: helper module for inner tests: `from observe import record; record(key=value, ...)`
OBSERVE = """
import json, os, uuid
from pathlib import Path

def record(**values):
    out = Path(os.environ["DUALSTORE_TEST_OUT"])
    out.mkdir(exist_ok=True)
    path = out / f"{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(values))
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> Inner:
    pytester.makepyfile(observe=OBSERVE)
    adopt(pytester)
    return Inner(pytester, monkeypatch, pg_url, pytester.path / "observed")


def run_id_of(result: pytest.RunResult) -> str:
    match = RUN_ID_RE.search(result.stdout.str())
    assert match, "no dualstore header in the output"
    return match.group(1)
