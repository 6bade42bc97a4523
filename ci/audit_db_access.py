"""Audit: the storage layer is the only door to the database, and its SQL is portable.

Run as ``python -m ci.audit_db_access [--root DIR]`` (``nox -s audit``). Prints one
``path:line: RULE message`` line per problem and exits 1; on a clean tree prints a one-line
summary (which names every declared per-backend SQL exception) and exits 0.

Rules:
  DB001  `sqlite3`, `psycopg`, `psycopg_pool`, `pytest_postgresql` imported by name
         (importlib.import_module / __import__ / pytest.importorskip with a literal)
         outside storage/backends/ and dualstore/provision/. Their `import` statements
         are ruff's rule TID251 (banned-api in pyproject.toml), which `nox -s lint` runs.
  DB002  SQL executed outside storage/ and dualstore/provision/: an `.execute(`/
         `.executemany(`/`.executescript(` call, or a SQL-statement-shaped literal passed to
         a call (suites, tests, ci, noxfile, the rest of the harness)
  DB003  storage/migrations/ not numbered 0001.. without gaps, or an up/down without its pair
  DB004  a SQL text of storage/ that sqlglot cannot parse for both the sqlite and the postgres
         dialect (a declared per-backend variant: for its own dialect)
  DB005  a non-portable construct (see ci/audit_sql_constructs.py) outside a per-backend
         variant declared in PER_BACKEND_SQL (see ci/audit_sql_rules.py)
  DB006  a backend of `storage.kinds.Backend` without a module in storage/backends/ whose
         Database class implements every member of the `Database` protocol

The audit reads the tree as text and AST only; it never imports the code it audits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ci.audit_common import Report
from ci.audit_protocol_rule import check_protocol
from ci.audit_python_rules import check_python_files
from ci.audit_sql_rules import check_sql

DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def audit(root: Path) -> Report:
    report = Report()
    check_python_files(root, report)
    check_sql(root, report)
    check_protocol(root, report)
    report.findings.sort()
    return report


def summary(report: Report) -> str:
    counts = report.counts
    checked = (
        f"{counts.get('python files', 0)} Python files, {counts.get('migrations', 0)} migrations,"
        f" {counts.get('SQL texts', 0)} SQL texts, {counts.get('backends checked', 0)} backends"
    )
    listed = "".join(
        f"; {heading}: {', '.join(items)}" for heading, items in sorted(report.notes.items())
    )
    exceptions = "" if "per-backend SQL" in report.notes else "; per-backend SQL: none"
    return f"audit_db_access: clean ({checked}){exceptions}{listed}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ci.audit_db_access",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=DEFAULT_ROOT,
        help="root of the tree to audit (default: the repository this file is in)",
    )
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    if not (root / "storage").is_dir():
        parser.error(f"{root} has no storage/ directory: not a dualstore tree")
    report = audit(root)
    # the output is the product here (CI logs, editors jump to path:line), so write it plainly
    sys.stdout.writelines(f"{finding}\n" for finding in report.findings)
    if report.findings:
        sys.stderr.write(f"audit_db_access: {len(report.findings)} problem(s) in {root}\n")
        return 1
    sys.stdout.write(summary(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
