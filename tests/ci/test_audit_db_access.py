"""The audit (ci/audit_db_access.py) catches one planted violation of each rule, at the
right path and line, and passes the real tree.

Each planting test compares the audit of its planted copy with the audit of the unplanted
snapshot it was copied from, and the difference with the markers of the planted file: the
result holds whatever state the rest of the tree is in, and a finding that the plant should
not cause fails the test as surely as a missed one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audit_support import (
    PLANTED,
    REPO_ROOT,
    Finding,
    Snapshot,
    expected_findings,
    implementation_source,
    line_of,
    method_source,
    migration_numbers,
    plant,
    protocol_shape,
    ruff_findings,
    run_audit,
    run_audit_as_ci,
)

OUTSIDE_STORAGE = [
    "suites/test_planted.py",
    "tests/planted.py",
    "ci/planted.py",
    "noxfile.py",
    "dualstore/planted.py",
]


def planted_difference(
    snapshot: Snapshot, tree: Path, dest: str, planted: str
) -> tuple[set[Finding], set[Finding]]:
    """(new findings after planting, findings the plant's markers announce)."""
    before = snapshot.audit
    expected = plant(tree, dest, planted)
    after = run_audit(tree)
    assert after.returncode == (1 if after.findings else 0), after.explain()
    return after.findings - before.findings, expected


def test_real_tree_is_clean() -> None:
    run = run_audit_as_ci(REPO_ROOT)
    assert run.returncode == 0, run.explain()
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.explain()
    assert lines[0].startswith("audit_db_access: clean ("), run.explain()


def test_root_that_is_not_a_dualstore_tree_is_refused(tmp_path: Path) -> None:
    run = run_audit(tmp_path)
    assert run.returncode == 2, run.explain()
    assert "has no storage/ directory" in run.stderr


# ----------------------------------------------------------------------------- DB001
@pytest.mark.parametrize("dest", [*OUTSIDE_STORAGE, "storage/planted.py"])
def test_db001_driver_import_outside_its_homes(snapshot: Snapshot, tree: Path, dest: str) -> None:
    new, expected = planted_difference(snapshot, tree, dest, "driver_imports.py.txt")
    assert len(expected) == 4  # the imports by name; the statements are ruff's
    assert new == expected


@pytest.mark.parametrize("dest", ["suites/test_planted.py", "dualstore/planted.py", "noxfile.py"])
def test_ruff_bans_driver_import_statements_outside_their_homes(tree: Path, dest: str) -> None:
    text = (PLANTED / "driver_imports.py.txt").read_text(encoding="utf-8")
    (tree / dest).parent.mkdir(parents=True, exist_ok=True)
    (tree / dest).write_text(text, encoding="utf-8")
    expected = expected_findings(dest, text, tool="TID")
    assert len(expected) == 5
    assert ruff_findings(tree, "TID251", dest) == expected


@pytest.mark.parametrize(
    "dest", ["storage/backends/planted.py", "dualstore/provision/planted.py", "examples/x/a.py"]
)
def test_ruff_allows_driver_imports_in_their_homes(tree: Path, dest: str) -> None:
    (tree / dest).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PLANTED / "driver_imports.py.txt", tree / dest)
    assert ruff_findings(tree, "TID251", dest) == set()


@pytest.mark.parametrize("dest", ["storage/backends/planted.py", "dualstore/provision/postgres.py"])
def test_db001_driver_import_allowed_in_backends_and_provisioning(
    snapshot: Snapshot, tree: Path, dest: str
) -> None:
    new, _ = planted_difference(snapshot, tree, dest, "driver_imports.py.txt")
    assert new == set()


# ----------------------------------------------------------------------------- DB002
@pytest.mark.parametrize("dest", OUTSIDE_STORAGE)
def test_db002_sql_outside_storage(snapshot: Snapshot, tree: Path, dest: str) -> None:
    new, expected = planted_difference(snapshot, tree, dest, "sql_outside_storage.py.txt")
    assert len(expected) == 8
    assert new == expected


@pytest.mark.parametrize("dest", ["storage/backends/planted.py", "dualstore/provision/planted.py"])
def test_db002_the_same_sql_is_fine_inside_storage_and_the_provisioners(
    snapshot: Snapshot, tree: Path, dest: str
) -> None:
    new, _ = planted_difference(snapshot, tree, dest, "sql_outside_storage.py.txt")
    assert new == set()


def test_db002_mutmuts_copy_of_the_tree_is_not_project_code(snapshot: Snapshot, tree: Path) -> None:
    # (`nox -s mutate` leaves mutants/ behind: its copy of the tree, the harness's
    # provisioners included, which run SQL where they sit)
    (tree / "mutants" / "tests").mkdir(parents=True)
    new, expected = planted_difference(
        snapshot, tree, "mutants/tests/planted.py", "sql_outside_storage.py.txt"
    )
    assert len(expected) == 8
    assert new == set()


# ----------------------------------------------------------------------------- DB003
def _plant_migration(tree: Path, name: str, planted: str) -> str:
    dest = f"storage/migrations/{name}"
    shutil.copyfile(PLANTED / planted, tree / dest)
    return dest


def test_db003_gap_in_numbering(snapshot: Snapshot, tree: Path) -> None:
    before = snapshot.audit
    number = max(migration_numbers(tree), default=0) + 2
    up = _plant_migration(tree, f"{number:04d}_planted_gap.sql", "valid_migration.sql")
    _plant_migration(tree, f"{number:04d}_planted_gap.down.sql", "valid_migration.down.sql")
    after = run_audit(tree)
    assert after.returncode == 1
    assert after.findings - before.findings == {(up, 1, "DB003")}
    assert f"{up}:1: DB003 numbering has a gap: {number - 1:04d} missing" in after.stdout


@pytest.mark.parametrize(
    ("name", "planted", "message"),
    [
        ("{n}_planted_no_down.sql", "valid_migration.sql", "has no down migration"),
        ("{n}_planted_orphan.down.sql", "valid_migration.down.sql", "without its up migration"),
        ("{last}_planted_twin.sql", "valid_migration.sql", "is also used by"),
        ("1_planted_short.sql", "valid_migration.sql", "not named NNNN_name.sql"),
    ],
    ids=["missing-down", "missing-up", "duplicate-number", "bad-name"],
)
def test_db003_migration_files_come_in_numbered_pairs(
    snapshot: Snapshot, tree: Path, name: str, planted: str, message: str
) -> None:
    numbers = migration_numbers(tree)
    assert numbers, "the real tree has no migrations to plant next to"
    before = snapshot.audit
    filename = name.format(n=f"{numbers[-1] + 1:04d}", last=f"{numbers[-1]:04d}")
    dest = _plant_migration(tree, filename, planted)
    if "twin" in filename:  # the twin gets its down file, so only the number is wrong
        _plant_migration(tree, filename.replace(".sql", ".down.sql"), "valid_migration.down.sql")
    after = run_audit(tree)
    assert after.returncode == 1
    assert after.findings - before.findings == {(dest, 1, "DB003")}, after.explain()
    assert message in after.stdout


# ----------------------------------------------------------------------------- DB004/DB005
@pytest.mark.parametrize(
    ("planted", "rules"),
    [("broken_migration.sql", {"DB004"}), ("nonportable_migration.sql", {"DB004", "DB005"})],
)
def test_db004_db005_in_a_migration(
    snapshot: Snapshot, tree: Path, planted: str, rules: set[str]
) -> None:
    number = max(migration_numbers(tree), default=0) + 1
    dest = f"storage/migrations/{number:04d}_planted.sql"
    _plant_migration(tree, f"{number:04d}_planted.down.sql", "valid_migration.down.sql")
    new, expected = planted_difference(snapshot, tree, dest, planted)
    assert {rule for _, _, rule in expected} == rules
    assert new == expected


@pytest.mark.parametrize(
    ("dest", "planted"),
    [
        ("storage/backends/_planted_queries.py", "broken_queries.py.txt"),
        ("storage/backends/_planted_queries.py", "nonportable_queries.py.txt"),
        # SQL texts are found wherever they live in storage/, not only in the backends
        ("storage/planted_indexes.py", "nonportable_queries.py.txt"),
    ],
)
def test_db004_db005_in_query_texts(
    snapshot: Snapshot, tree: Path, dest: str, planted: str
) -> None:
    new, expected = planted_difference(snapshot, tree, dest, planted)
    if dest.startswith("storage/backends/"):
        assert new == expected
    else:
        # PER_BACKEND_SQL outside storage/backends/ is refused, and its texts are then
        # checked as shared ones: the PostgreSQL-only variant is flagged.
        declared = line_of(tree / dest, "^PER_BACKEND_SQL")
        assert new - expected == {(dest, declared, "DB005"), (dest, declared + 1, "DB005")}
        assert expected - new == set()


def test_declared_per_backend_variants_are_listed_not_flagged(tmp_path: Path) -> None:
    # A tree whose every file this test controls, so that it is clean: see _minimal_tree.
    root = _minimal_tree(tmp_path / "minimal")
    run = run_audit(root)
    assert run.returncode == 0, run.explain()
    (summary,) = run.stdout.splitlines()
    sql = "storage/backends/_sql.py"
    assert f"postgres/planted_search ({sql}:11)" in summary
    assert f"sqlite/planted_search ({sql}:12)" in summary
    assert "Database implementations: sqlite: SqliteDatabase, postgres: PostgresDatabase" in summary


# ----------------------------------------------------------------------------- DB006
def _postgres_module(tree: Path) -> Path:
    module = tree / "storage" / "backends" / "postgres.py"
    shutil.rmtree(tree / "storage" / "backends" / "postgres", ignore_errors=True)
    module.parent.mkdir(parents=True, exist_ok=True)
    return module


def _db006(run_findings: set[Finding]) -> set[Finding]:
    return {f for f in run_findings if f[2] == "DB006"}


def test_db006_missing_backend_module(tree: Path) -> None:
    _postgres_module(tree).unlink(missing_ok=True)
    run = run_audit(tree)
    enum_line = line_of(tree / "storage" / "kinds.py", r'^\s+POSTGRES\s*=\s*"postgres"')
    assert run.returncode == 1
    assert ("storage/kinds.py", enum_line, "DB006") in run.findings
    assert "backend 'postgres' has no module storage/backends/postgres.py" in run.stdout


def test_db006_missing_method(tree: Path) -> None:
    module = _postgres_module(tree)
    shape = protocol_shape()
    source = implementation_source("class PostgresDatabase:", shape, skip=frozenset({"search"}))
    module.write_text(source, encoding="utf-8")
    run = run_audit(tree)
    path = "storage/backends/postgres.py"
    assert {f for f in _db006(run.findings) if f[0] == path} == {(path, 1, "DB006")}
    assert f"{path}:1: DB006 PostgresDatabase lacks `search()`" in run.stdout


def test_db006_stub_in_a_shared_base_class(tree: Path) -> None:
    shape = protocol_shape()
    base = tree / "storage" / "backends" / "_planted_base.py"
    source = implementation_source("class PlantedBase:", shape, skip=frozenset({"search"}))
    stub = shape.methods["search"]
    base.write_text(
        source + "\n" + method_source(stub, "raise NotImplementedError"), encoding="utf-8"
    )
    _postgres_module(tree).write_text(
        "from storage.backends._planted_base import PlantedBase\n\n\n"
        "class PostgresDatabase(PlantedBase):\n    pass\n",
        encoding="utf-8",
    )
    run = run_audit(tree)
    stub_line = line_of(base, r"def search\(")
    expected = {("storage/backends/_planted_base.py", stub_line, "DB006")}
    assert {f for f in _db006(run.findings) if "postgres" in f[0] or "_planted" in f[0]} == expected


def test_db006_signature_that_drops_a_parameter(tree: Path) -> None:
    shape = protocol_shape()
    module = _postgres_module(tree)
    source = implementation_source(
        "class PostgresDatabase:", shape, skip=frozenset({"create_workspace"})
    )
    module.write_text(
        source + "\n    def create_workspace(self, name):\n        return name\n", encoding="utf-8"
    )
    run = run_audit(tree)
    line = line_of(module, r"def create_workspace\(")
    path = "storage/backends/postgres.py"
    assert {f for f in _db006(run.findings) if f[0] == path} == {(path, line, "DB006")}
    assert "does not accept parameter `id`" in run.stdout


def test_db006_complete_implementation_through_a_relative_base(tree: Path) -> None:
    shape = protocol_shape()
    (tree / "storage" / "backends" / "_planted_base.py").write_text(
        implementation_source("class PlantedBase:", shape, skip=frozenset({"ping"})),
        encoding="utf-8",
    )
    _postgres_module(tree).write_text(
        "from . import _planted_base\n\n\n"
        "class PostgresDatabase(_planted_base.PlantedBase):\n"
        + method_source(shape.methods["ping"], "return None"),
        encoding="utf-8",
    )
    run = run_audit(tree)
    assert {f for f in _db006(run.findings) if "postgres" in f[0] or "_planted" in f[0]} == set()


def _minimal_tree(root: Path) -> Path:
    """A small tree that satisfies every rule: the real protocol, two backends sharing a
    base class, one migration pair and a query module with declared per-backend texts."""
    shape = protocol_shape()
    backends = root / "storage" / "backends"
    migrations = root / "storage" / "migrations"
    backends.mkdir(parents=True)
    migrations.mkdir()
    shutil.copyfile(REPO_ROOT / "storage" / "api.py", root / "storage" / "api.py")
    shutil.copyfile(REPO_ROOT / "storage" / "kinds.py", root / "storage" / "kinds.py")
    (backends / "_base.py").write_text(
        implementation_source("class SharedDatabase:", shape, skip=frozenset({"server_version"})),
        encoding="utf-8",
    )
    for backend, cls in [("sqlite", "SqliteDatabase"), ("postgres", "PostgresDatabase")]:
        (backends / f"{backend}.py").write_text(
            "from ._base import SharedDatabase\n\n\n"
            f"class {cls}(SharedDatabase):\n"
            + method_source(shape.methods["server_version"], f"return {backend!r}"),
            encoding="utf-8",
        )
    shutil.copyfile(PLANTED / "minimal_sql.py.txt", backends / "_sql.py")
    shutil.copyfile(PLANTED / "valid_migration.sql", migrations / "0001_things.sql")
    shutil.copyfile(PLANTED / "valid_migration.down.sql", migrations / "0001_things.down.sql")
    return root
