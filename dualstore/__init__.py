"""dualstore: a pytest harness that runs a project's tests on SQLite and PostgreSQL.

Opt in from the project's root conftest.py; describe the project with a `Project`:

    from dualstore import Project
    pytest_plugins = ["dualstore.plugin"]
    def pytest_dualstore_project(config):
        return Project(migrations=Path(__file__).parent / "migrations")

The package, by job:

    plugin       the hooks: configure, provision at session start, collection, summary
    hookspecs    `pytest_dualstore_project`, the one hook a project implements
    project      `Project` (what a project supplies) and `Store` (what its callables get)
    fixtures     dualstore_backend, dualstore_db, dualstore_db_committing, dualstore_stores
    isolation    rollback per test; the committing tests' reset from the catalog
    options      every option once: flag, ini key, env var, help -> `settings.HarnessConfig`
    state        per-process state (`Harness`), runinfo: the run's id, worker and tallies
    provision/   one module per backend (sqlite, postgres), the registry, admin SQL,
                 error classification, server binaries
    compare      dualstore_compare: one body on every backend, the results compared
    reporting    the header and the per-backend summary; github: the same on GitHub Actions
    repro        run.json, replays, the reproduce lines (commands.py builds them;
                 environment.py records what a replay needs)
    shards       pytest-split shards, independent of the seed
    workers      how many xdist workers `-n auto` starts: from the recorded durations
    serverurl    ServerUrl: the PostgreSQL URL parsed once, printed redacted
    outage, tempdirs, flakehunt, reap: outages, temp dirs, tools
    errors       the harness's own exceptions
"""

from dualstore.project import Project, Store

__all__ = ["Project", "Store"]
