"""The whole adoption: opt into the harness, name the migrations."""

from pathlib import Path

from dualstore import Project

pytest_plugins = ["dualstore.plugin"]


def pytest_dualstore_project(config):
    return Project(migrations=Path(__file__).parent / "migrations")
