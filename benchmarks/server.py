"""A throwaway server, from nothing to ready for the first test and gone again: the
harness's provisioning vs the floor of `initdb` + `pg_ctl start -w` + `pg_ctl stop`.

    ours   PostgresProvisioner.provision() with no URL (initdb, start, readiness query,
           run lock, probe schema, reap) and the run's cleanups, with its temp dir: what a
           run without a URL spends on its server before and after its tests
    floor  initdb with the same arguments, `pg_ctl start -w` with the same settings,
           `pg_ctl stop -m immediate` and the data dir removed: the binaries alone
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.measure import Sample, interleaved
from dualstore.provision import PROVISIONERS, pgbin
from dualstore.provision.postgres import INITDB_ARGS, SERVER_SETTINGS
from dualstore.runinfo import new_run_id
from dualstore.settings import HarnessConfig
from dualstore.tempdirs import RunTempDir
from suites.plugin import PROJECT

CONFIG = HarnessConfig(
    backends=("postgres",),
    backends_explicit=True,
    postgres_url=None,
    db_ready_timeout=60.0,
    pg_bindir=None,
)


def ours() -> None:
    run_id = new_run_id()
    tempdir = RunTempDir(run_id)
    try:
        provisioned = PROVISIONERS["postgres"].provision(CONFIG, run_id, tempdir, PROJECT)
        problems = provisioned.close()
        if problems:
            raise RuntimeError(f"the throwaway server's cleanup failed: {problems}")
    finally:
        tempdir.remove()


def floor() -> None:
    pg_ctl, prefix = str(pgbin.find_pg_ctl(None)), pgbin.run_as_prefix()
    directory = Path(tempfile.mkdtemp(prefix="dualstore-bench-floor-"))
    try:
        directory.chmod(0o711)
        server_dir = directory / "pg"
        server_dir.mkdir(mode=0o700)
        pgbin.give_to_server_user(server_dir)
        data = str(server_dir / "data")
        options = f"-F -p {pgbin.free_port()} -c listen_addresses=127.0.0.1 -k {server_dir}"
        options += f" {SERVER_SETTINGS}"
        steps = (
            ["initdb", "-s", "-D", data, "-o", " ".join(INITDB_ARGS)],
            ["start", "-w", "-s", "-D", data, "-l", f"{server_dir}/log", "-o", options],
            ["stop", "-w", "-s", "-D", data, "-m", "immediate"],
        )
        for step in steps:
            subprocess.run([*prefix, pg_ctl, *step], check=True, capture_output=True, cwd="/")  # noqa: S603
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def server_start(rounds: int, warmup: int) -> tuple[Sample, Sample]:
    """(ours, floor), interleaved."""
    samples = interleaved({"ours": ours, "floor": floor}, rounds, warmup=warmup)
    return samples["ours"], samples["floor"]
