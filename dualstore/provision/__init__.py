"""Provisioning, one module per backend, and the registry that names them.

    base       Provisioned, WorkerStore, the Provisioner protocol (driver-free)
    sqlite     SQLite: a file per worker in the run's temp dir
    postgres   PostgreSQL: URL or throwaway server, readiness, a schema per worker
    pgadmin    PostgreSQL admin SQL: schemas, databases, roles, the run lock, the reaper
    pgerrors   which PostgreSQL connection errors waiting cannot fix
    pgbin      PostgreSQL server binaries, and the unprivileged user of a throwaway server
    floors     the raw-driver floors and the statement counter of `nox -s bench` (not
               imported by a run)

`PROVISIONERS` is keyed by backend name (the `--dualstore-backend` choices come from it): adding a
backend adds a module and an entry here, never an `if backend == ...` elsewhere. The
PostgreSQL helpers that tests and tools use are re-exported here (`provision.reap`, ...).
"""

from __future__ import annotations

from typing import Final

from dualstore.provision.base import Provisioned, Provisioner, WorkerStore
from dualstore.provision.pgadmin import (
    PROBE_WORKER,
    Reaped,
    RunLock,
    Undroppable,
    check_can_create_schemas,
    create_database,
    create_schema,
    drop_database,
    drop_run_schemas,
    drop_schema,
    hold_run_lock,
    list_schemas,
    login_role,
    reap,
    run_lock_key,
)
from dualstore.provision.postgres import (
    THROWAWAY_COLLATION,
    PostgresProvisioner,
    ThrowawayServer,
    server_address,
    throwaway_server,
    wait_ready,
)
from dualstore.provision.sqlite import SqliteProvisioner
from dualstore.settings import DEFAULT_REAP_GRACE

#: backend name -> provisioner, in the order backends run and are reported
PROVISIONERS: Final[dict[str, Provisioner]] = {
    "sqlite": SqliteProvisioner(),
    "postgres": PostgresProvisioner(),
}

__all__ = [
    "DEFAULT_REAP_GRACE",
    "PROBE_WORKER",
    "PROVISIONERS",
    "THROWAWAY_COLLATION",
    "PostgresProvisioner",
    "Provisioned",
    "Provisioner",
    "Reaped",
    "RunLock",
    "SqliteProvisioner",
    "ThrowawayServer",
    "Undroppable",
    "WorkerStore",
    "check_can_create_schemas",
    "create_database",
    "create_schema",
    "drop_database",
    "drop_run_schemas",
    "drop_schema",
    "hold_run_lock",
    "list_schemas",
    "login_role",
    "reap",
    "run_lock_key",
    "server_address",
    "throwaway_server",
    "wait_ready",
]
