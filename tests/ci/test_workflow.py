"""The CI workflow: its matrix (backends, Pythons, servers, shards), its gate, its pinned
actions and uploads, and the nox sessions it runs, compared with .ci/run's."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from audit_support import REPO_ROOT
from ci_files import (
    WORKFLOW,
    declared_pythons,
    legs,
    load,
    option,
    steps_running,
)


def test_matrix_runs_each_backend_python_and_server_without_fail_fast(
    workflow: dict[str, Any],
) -> None:
    job = workflow["jobs"]["tests"]
    assert job["strategy"]["fail-fast"] is False
    all_legs = legs(workflow)
    assert {leg["backend"] for leg in all_legs} == {"sqlite", "postgres"}
    (run,) = steps_running(job, "nox -s")
    session = '"tests-$BACKEND-$PYTHON_VERSION"'
    assert f'{session} -- --splits "$SHARDS" --group "$SHARD"' in run["run"]
    assert run["env"]["BACKEND"] == "${{ matrix.leg.backend }}"
    assert run["env"]["PYTHON_VERSION"] == "${{ matrix.leg.python }}"
    # every Python the project declares on each backend, and PostgreSQL 14 to 18 from
    # service containers
    for backend in ("sqlite", "postgres"):
        pythons = {leg["python"] for leg in all_legs if leg["backend"] == backend}
        assert pythons == declared_pythons(), backend
    service = [leg for leg in all_legs if leg["source"] == "service"]
    assert sorted(leg["pg"] for leg in service) == ["14", "15", "16", "17", "18"]
    assert [leg for leg in all_legs if leg["source"] == "throwaway"], "a throwaway-server leg"
    assert [leg.get("tz") for leg in all_legs if leg.get("tz")] == ["America/St_Johns"]
    assert run["env"]["TZ"] == "${{ matrix.leg.tz || 'UTC' }}"
    (install,) = [s for s in job["steps"] if "apt-get install" in str(s.get("run", ""))]
    assert "postgresql" in install["run"].split()
    assert "throwaway" in install["if"]
    (export,) = steps_running(job, "DUALSTORE_POSTGRES_URL=")
    assert "service" in export["if"]


def test_shards_are_one_setting_planned_once(workflow: dict[str, Any]) -> None:
    plan = workflow["jobs"]["plan"]
    (step,) = plan["steps"]
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"plan-{os.getpid()}"
    env = {**os.environ, "SHARDS": step["env"]["SHARDS"], "GITHUB_OUTPUT": str(out)}
    subprocess.run(["bash", "-e", "-c", step["run"]], env=env, check=True)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    out.unlink()
    count = int(step["env"]["SHARDS"])
    assert outputs == {
        "shards": f"[{','.join(map(str, range(1, count + 1)))}]",
        "count": str(count),
    }
    for name in ("tests", "harness"):  # the suites' legs and the harness's own tests
        job = workflow["jobs"][name]
        assert job["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
        assert job["strategy"]["fail-fast"] is False
        assert "plan" in job["needs"]
        (run,) = steps_running(job, "nox -s")
        assert run["run"].endswith(' --splits "$SHARDS" --group "$SHARD"'), name
        assert run["env"] == {
            **run["env"],
            "SHARDS": "${{ needs.plan.outputs.count }}",
            "SHARD": "${{ matrix.shard }}",
        }


def test_service_collation_is_icu_where_the_server_has_it(workflow: dict[str, Any]) -> None:
    for leg in legs(workflow):
        if leg["source"] != "service":
            continue
        icu = "--locale-provider=icu --icu-locale=en-US"
        assert leg["initdb"] == (icu if int(leg["pg"]) >= 15 else ""), leg
    env = workflow["jobs"]["tests"]["services"]["postgres"]["env"]
    assert env["POSTGRES_INITDB_ARGS"] == "${{ matrix.leg.initdb }}"


def test_compose_sorts_text_as_the_ci_service_and_the_throwaway_server(
    workflow: dict[str, Any], compose_service: dict[str, Any]
) -> None:
    from dualstore.provision import THROWAWAY_COLLATION  # noqa: PLC0415

    args = compose_service["environment"]["POSTGRES_INITDB_ARGS"]
    assert args == f"--locale-provider=icu --icu-locale={THROWAWAY_COLLATION}"
    assert any(leg.get("initdb") == args for leg in legs(workflow))


def test_service_container_has_a_health_check_and_serves_the_leg_url(
    workflow: dict[str, Any],
) -> None:
    job = workflow["jobs"]["tests"]
    service = job["services"]["postgres"]
    options = shlex.split(service["options"])
    flags = dict(zip(options[::2], options[1:][::2], strict=False))
    for flag in ("--health-cmd", "--health-interval", "--health-timeout", "--health-retries"):
        assert flag in flags, flag
    url = urlsplit(job["env"]["SERVICE_URL"])
    env = service["env"]
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == (url.username, url.password)
    assert env["POSTGRES_DB"] == url.path.lstrip("/")
    assert service["ports"] == [f"{url.port}:5432"]
    check = shlex.split(flags["--health-cmd"])
    assert check[0] == "pg_isready"
    assert option(check, "-U") == url.username
    assert option(check, "-d") == url.path.lstrip("/")
    assert "matrix.leg.source == 'service'" in service["image"]


def test_gate_needs_every_other_job_and_runs_always(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    gate = jobs["gate"]
    assert set(gate["needs"]) == set(jobs) - {"gate"}
    assert "always()" in gate["if"]
    for name in ("lint", "typecheck", "audit"):
        assert steps_running(jobs[name], f"nox -s {name}"), name


@pytest.mark.parametrize(
    ("results", "passes"),
    [
        ("success success success success", True),
        ("success failure success success", False),
        ("success success cancelled success", False),
        ("skipped success success success", False),
    ],
)
def test_gate_step_fails_unless_every_result_is_success(
    workflow: dict[str, Any], results: str, passes: bool
) -> None:
    (step,) = workflow["jobs"]["gate"]["steps"]
    assert step["env"]["RESULTS"] == "${{ join(needs.*.result, ' ') }}"
    env = {**os.environ, "RESULTS": results}
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )
    assert (proc.returncode == 0) is passes, proc.stdout + proc.stderr


def test_actions_are_pinned_to_commits_with_their_tag(workflow: dict[str, Any]) -> None:
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
    lines = [line for line in WORKFLOW.read_text().splitlines() if "uses:" in line]
    for line in lines:
        assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_dependabot_keeps_actions_and_python_dependencies_current() -> None:
    config = load(REPO_ROOT / ".github" / "dependabot.yml")
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "uv"}


def test_uv_cache_in_every_job_that_installs(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        if any("nox" in str(step.get("run", "")) for step in job["steps"]):
            setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("astral-sh/")]
            assert setup, name
            assert setup[0]["with"]["enable-cache"] is True, name


@pytest.mark.parametrize(
    ("job", "parts"),
    [
        ("tests", ("matrix.leg.backend", "matrix.leg.source", "matrix.leg.pg", "matrix.shard")),
        ("harness", ("matrix.shard",)),
    ],
)
def test_run_directory_uploaded_when_tests_fail(
    workflow: dict[str, Any], job: str, parts: tuple[str, ...]
) -> None:
    steps = workflow["jobs"][job]["steps"]
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["if"] == "failure()"
    assert upload["with"]["path"] == ".dualstore/runs/"
    name = upload["with"]["name"]  # one artifact per leg and shard: none overwrites another
    for part in parts:
        assert part in name, part
    assert upload["with"]["include-hidden-files"] is True  # .dualstore is a hidden directory


#: nox's own Python, which `tests` runs on (this test runs on it too: in `tests`, `audit`)
NOX_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _sessions_in(text: str, legs: list[dict[str, str]]) -> set[str]:
    """The nox sessions `text` runs, each with its Python where it has one: a per-backend
    test session named without one runs on every declared Python (`tests-sqlite` is
    tests-sqlite-3.11 ...), .ci/run's `"${sqlite_runs[@]}"` on every one but nox's own, and
    the workflow's `tests-$BACKEND-$PYTHON_VERSION` is each leg's."""
    named = set(re.findall(r"nox -s \"?(\$\{\w+\[@\]\}|[\w$.-]+)\"?", text))
    sessions: set[str] = set()
    for name in named:
        if name == "tests-$BACKEND-$PYTHON_VERSION":
            sessions |= {f"tests-{leg['backend']}-{leg['python']}" for leg in legs}
        elif name in {"tests-sqlite", "tests-postgres"}:
            sessions |= {f"{name}-{python}" for python in declared_pythons()}
        elif found := re.fullmatch(r"\$\{(sqlite|postgres)_runs\[@\]\}", name):
            others = [python for python in declared_pythons() if python != NOX_PYTHON]
            sessions |= {f"tests-{found[1]}-{python}" for python in others}
        else:
            assert "$" not in name, name
            sessions.add(name)
    return sessions


def test_ci_run_and_the_workflow_run_the_same_nox_sessions(workflow: dict[str, Any]) -> None:
    """One definition of the CI steps: what .ci/run runs here, the workflow runs there,
    each per-backend suite on every declared Python. (Here `tests`, which runs the suites
    too, stands for both per-backend sessions on nox's own Python.)"""
    local = _sessions_in((REPO_ROOT / ".ci" / "run").read_text(), legs(workflow))
    runs = [str(s.get("run", "")) for job in workflow["jobs"].values() for s in job["steps"]]
    remote = _sessions_in("\n".join(runs), legs(workflow))
    per_backend = {f"tests-{b}-{p}" for b in ("sqlite", "postgres") for p in declared_pythons()}
    in_tests = {f"tests-{b}-{NOX_PYTHON}" for b in ("sqlite", "postgres")}
    assert in_tests <= per_backend  # (nox runs on a declared Python)
    assert local == {"lint", "typecheck", "audit", "tests"} | (per_backend - in_tests)
    assert remote == local | in_tests
