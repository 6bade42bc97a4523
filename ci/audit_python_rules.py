"""DB001 (drivers imported by name) and DB002 (SQL outside storage/): AST checks of every
.py file. The `import` statements of drivers are ruff's TID251 (banned-api, pyproject.toml);
DB001 catches what ruff cannot see: a driver imported by a name in a string.

DB002 looks at calls only: a `.execute(`/`.executemany(`/`.executescript(` call, or a call
that is handed a literal shaped like a SQL statement. SQL fragments that sit in data (a
tuple of patterns, a docstring) are not executed and so are not findings; that is how the
audit's own rule tables, which spell out constructs such as ``CREATE TRIGGER``, stay out of
its way without any exemption list.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from ci.audit_common import (
    Finding,
    Report,
    docstring_nodes,
    iter_python_files,
    literal_text,
    looks_like_sql,
    parse_source,
    relpath,
)

DRIVER_MODULES = ("sqlite3", "psycopg", "psycopg_pool", "pytest_postgresql")
# Where driver imports belong: the backends, and the harness code that provisions servers.
DRIVER_HOMES = ("storage/backends/", "dualstore/provision/")
#: where SQL may run: the storage layer, and the harness's provisioners (admin SQL against
#: the servers they provision, the stores' migrations and resets)
SQL_HOMES = ("storage/", "dualstore/provision/")
EXECUTE_METHODS = frozenset({"execute", "executemany", "executescript"})
# Calls that import a module named by a string: importlib.import_module("x"),
# __import__("x"), pytest.importorskip("x").
DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__", "importorskip"})


def driver_of(module: str) -> str | None:
    for driver in DRIVER_MODULES:
        if module == driver or module.startswith(driver + "."):
            return driver
    return None


def _callee_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _imported_drivers(node: ast.AST) -> list[tuple[str, str]]:
    """(driver, how) for each driver that `node` imports by a name in a string (ruff's
    TID251 bans the `import` statements; it cannot see these)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, ast.Call) and _callee_name(node.func) in DYNAMIC_IMPORTERS:
        first = node.args[0] if node.args else None
        name = first.value if isinstance(first, ast.Constant) else None
        if isinstance(name, str) and (driver := driver_of(name)):
            found.append((driver, f'{_callee_name(node.func)}("{name}")'))
    return found


def _check_driver_imports(tree: ast.Module, path: str, report: Report) -> None:
    if path.startswith(DRIVER_HOMES):
        return
    for node in ast.walk(tree):
        for driver, how in _imported_drivers(node):
            report.add(
                path,
                getattr(node, "lineno", 1),
                "DB001",
                f"`{how}` imports the {driver} driver outside {' and '.join(DRIVER_HOMES)};"
                " go through storage.connect() / the dualstore fixtures",
            )


def _check_sql_outside_storage(tree: ast.Module, path: str, report: Report) -> None:
    if path.startswith(SQL_HOMES):
        return
    statements = docstring_nodes(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee_name(node.func)
        if isinstance(node.func, ast.Attribute) and callee in EXECUTE_METHODS:
            report.add(
                path,
                node.lineno,
                "DB002",
                f"`.{callee}(...)` runs SQL outside {' and '.join(SQL_HOMES)}; use the storage API"
                " (or add the query to storage/ behind an API method)",
            )
            continue
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            text = None if id(arg) in statements else literal_text(arg)
            if text is not None and looks_like_sql(text):
                first_line = text.strip().splitlines()[0][:40]
                report.add(
                    path,
                    arg.lineno,
                    "DB002",
                    f"SQL text `{first_line}` passed to `{callee or 'a call'}(...)` outside"
                    " storage/; SQL lives only in storage/ and the provisioners",
                )
                break


def check_python_files(root: Path, report: Report) -> None:
    for file in iter_python_files(root):
        report.count("python files")
        report.findings.extend(file_findings(relpath(root, file), file.read_bytes()))


@functools.lru_cache(maxsize=4096)
def file_findings(path: str, source: bytes) -> tuple[Finding, ...]:
    """DB001 and DB002 of one file, once per content: an audit reads about 180 files, and
    the tests audit copies of the tree that differ in one planted file."""
    report = Report()
    tree = parse_source(source, path)
    if isinstance(tree, SyntaxError):
        message = f"cannot audit this file: it does not parse ({tree.msg})"
        report.add(path, tree.lineno or 1, "DB001", message)
    else:
        _check_driver_imports(tree, path, report)
        _check_sql_outside_storage(tree, path, report)
    return tuple(report.findings)
