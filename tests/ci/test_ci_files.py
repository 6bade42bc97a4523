"""The CI workflow and the compose file: their structure, their validity (actionlint,
check-jsonschema), and their settings exercised against real PostgreSQL binaries.

There is no Docker engine here, so the compose service is not started: its URL is compared
with the one README.md tells users to export, its server settings are checked against the
server's own list of settings, and its health check runs with the real pg_isready.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ci_files import (
    COMPOSE,
    WORKFLOW,
    option,
    postgres_bindir,
    readme_url,
    tool,
)


# ----------------------------------------------------------------------------- validators
def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), f"-shellcheck={tool('shellcheck')}", "-pyflakes=", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_actionlint_passes_the_workflow() -> None:
    proc = _actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "needs: [plan, tests," in text
    broken.write_text(
        text.replace("needs: [plan, tests,", "needs: [plan, tests-gone,"), encoding="utf-8"
    )
    proc = _actionlint(broken)
    assert proc.returncode != 0
    assert "tests-gone" in proc.stdout


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", WORKFLOW), ("vendor.compose-spec", COMPOSE)],
    ids=["workflow", "compose"],
)
def test_check_jsonschema_passes(schema: str, path: Path) -> None:
    proc = _check_jsonschema(schema, path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("schema", "path", "old", "new"),
    [
        ("vendor.github-workflows", WORKFLOW, "timeout-minutes: 30", "timeout_minutes: 30"),
        ("vendor.compose-spec", COMPOSE, "tmpfs:", "tmpfs_dirs:"),
    ],
    ids=["workflow", "compose"],
)
def test_check_jsonschema_catches_a_broken_file(
    tmp_path: Path, schema: str, path: Path, old: str, new: str
) -> None:
    broken = tmp_path / path.name
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken.write_text(text.replace(old, new), encoding="utf-8")
    assert _check_jsonschema(schema, broken).returncode != 0


# ----------------------------------------------------------------------------- compose
def test_compose_serves_the_url_readme_gives(compose_service: dict[str, Any]) -> None:
    url = urlsplit(readme_url())
    env = compose_service["environment"]
    assert url.scheme in {"postgresql", "postgres"}
    assert url.hostname in {"localhost", "127.0.0.1"}
    assert env["POSTGRES_USER"] == url.username
    assert env["POSTGRES_PASSWORD"] == url.password
    assert env["POSTGRES_DB"] == url.path.lstrip("/")
    assert compose_service["ports"] == [f"{url.port}:5432"]
    check = compose_service["healthcheck"]["test"]
    assert check[:2] == ["CMD", "pg_isready"]
    assert option(check, "-U") == url.username
    assert option(check, "-d") == url.path.lstrip("/")
    # TCP to the container's own port: the init-time server listens on the socket only
    assert option(check, "-h") in {"127.0.0.1", "localhost"}
    assert option(check, "-p") in {None, "5432"}


def test_compose_is_built_for_speed_and_waits_for_health(compose_service: dict[str, Any]) -> None:
    assert compose_service["image"].startswith("postgres:15")
    assert "/var/lib/postgresql/data" in compose_service["tmpfs"]
    assert "fsync=off" in compose_service["command"]
    health = compose_service["healthcheck"]
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in health, key


def test_compose_server_settings_exist_in_postgres(compose_service: dict[str, Any]) -> None:
    command = compose_service["command"]
    assert command[0] == "postgres"
    settings = dict(arg.split("=", 1) for arg in command[1:] if arg != "-c")
    assert command[1:].count("-c") == len(settings)
    described = subprocess.run(
        [str(postgres_bindir() / "postgres"), "--describe-config"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    known = {line.split("\t")[0]: line.split("\t")[3] for line in described.splitlines()}
    for name, value in settings.items():
        assert name in known, f"PostgreSQL has no setting {name!r}"
        if known[name] == "BOOLEAN":
            assert value in {"on", "off", "true", "false"}, (name, value)
        if known[name] == "INTEGER":
            assert value.isdigit(), (name, value)


@pytest.mark.parametrize("where", ["compose", "workflow"])
def test_health_check_is_a_valid_pg_isready_call(
    where: str, compose_service: dict[str, Any], workflow: dict[str, Any]
) -> None:
    if where == "compose":
        argv = compose_service["healthcheck"]["test"][1:]
    else:
        options = shlex.split(workflow["jobs"]["tests"]["services"]["postgres"]["options"])
        argv = shlex.split(options[options.index("--health-cmd") + 1])
    pg_isready = str(postgres_bindir() / "pg_isready")
    # exit 3 means pg_isready rejected its arguments; 0-2 are server states
    proc = subprocess.run(
        [pg_isready, *argv[1:], "-t", "2"], capture_output=True, text=True, check=False
    )
    assert proc.returncode in {0, 1, 2}, proc.stdout + proc.stderr
    bad = subprocess.run(
        [pg_isready, *argv[1:], "--no-such-flag"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 3
