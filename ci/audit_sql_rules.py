"""DB003 (migration numbering), DB004 (SQL parses for both dialects), DB005 (portability).

The SQL texts of the storage layer are: every file in storage/migrations/, and every string
in a storage/ module that is shaped like a SQL statement: module constants, dict values,
call arguments, f-strings (with each `{...}` read as a name). (The harness's admin SQL, in
dualstore/provision/, only ever runs against the server it provisions: not checked here.)

A text that one backend needs in its own form is declared in a literal dict named
`PER_BACKEND_SQL` in a module of storage/backends/, keyed by backend then by name
(``{"postgres": {"table_columns": "SELECT ..."}, "sqlite": {...}}``) or by name then by
backend (``{"table_columns": {"postgres": "SELECT ...", "sqlite": "..."}}``).
Such a text must parse in its own backend's dialect only, is exempt from DB005, and is
listed in the audit's summary so every exception stays visible.
"""

from __future__ import annotations

import ast
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ci.audit_common import (
    Finding,
    Report,
    docstring_nodes,
    iter_python_files,
    joined_str_text,
    looks_like_sql,
    parse_source,
    relpath,
)
from ci.audit_sql_constructs import non_portable_constructs

MIGRATIONS_DIR = "storage/migrations"
BACKENDS_DIR = "storage/backends/"
DIALECTS = {"sqlite": "sqlite", "postgres": "postgres"}  # backend -> sqlglot dialect
PER_BACKEND_NAME = "PER_BACKEND_SQL"
HOLE = "dualstore_ph"  # stands in for an interpolated `{...}` when parsing

_UP = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_DOWN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.down\.sql$")
_FORMAT_FIELD = re.compile(r"\{[A-Za-z_0-9]*\}")
_PYFORMAT_NAMED = re.compile(r"%\(([A-Za-z_]\w*)\)s")

# sqlglot warns on stderr when it falls back to an opaque Command; the audit reports that.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class SqlText:
    path: str
    line: int  # line of the text's first character
    text: str
    backend: str | None = None  # set for a declared per-backend variant
    name: str = ""


# ----------------------------------------------------------------------------- DB003
def check_migrations(root: Path, report: Report) -> list[SqlText]:
    """DB003 over storage/migrations/; returns every .sql file there as a SQL text."""
    directory = root / MIGRATIONS_DIR
    files = sorted(directory.glob("*.sql")) if directory.is_dir() else []
    ups: dict[str, Path] = {}
    downs: dict[str, Path] = {}
    numbers: dict[int, Path] = {}
    for file in files:
        path = relpath(root, file)
        if match := _DOWN.match(file.name):
            downs[file.name.removesuffix(".down.sql")] = file
        elif match := _UP.match(file.name):
            stem = file.name.removesuffix(".sql")
            ups[stem] = file
            number = int(match.group(1))
            if number in numbers:
                report.add(
                    path,
                    1,
                    "DB003",
                    f"migration number {number:04d} is also used by {numbers[number].name}",
                )
            numbers.setdefault(number, file)
        else:
            report.add(
                path,
                1,
                "DB003",
                "not named NNNN_name.sql or NNNN_name.down.sql (four digits, lower-case name)",
            )
    for stem, file in ups.items():
        if stem not in downs:
            report.add(relpath(root, file), 1, "DB003", f"has no down migration {stem}.down.sql")
    for stem, file in downs.items():
        if stem not in ups:
            report.add(
                relpath(root, file),
                1,
                "DB003",
                f"down migration without its up migration {stem}.sql",
            )
    if not numbers:
        report.add(
            MIGRATIONS_DIR,
            1,
            "DB003",
            "no migrations found (expected 0001_<name>.sql with 0001_<name>.down.sql)",
        )
    expected = 1
    for number in sorted(numbers):
        if number > expected:
            missing = ", ".join(f"{n:04d}" for n in range(expected, number))
            report.add(
                relpath(root, numbers[number]),
                1,
                "DB003",
                f"numbering has a gap: {missing} missing before {number:04d}"
                " (migrations run from 0001 without gaps)",
            )
        expected = number + 1
    report.count("migrations", len(numbers))
    return [SqlText(relpath(root, f), 1, f.read_text("utf-8", errors="replace")) for f in files]


# ----------------------------------------------------------------------------- SQL texts
def _string_nodes(tree: ast.AST) -> list[tuple[ast.expr, str]]:
    """Every string literal and f-string in `tree` with its text (f-string parts once)."""
    parts_of_fstrings = {
        id(value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
    }
    skip = docstring_nodes(tree) | parts_of_fstrings
    found: list[tuple[ast.expr, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node, node.value))
        elif isinstance(node, ast.JoinedStr):
            found.append((node, joined_str_text(node, HOLE)))
    return found


def _str_key(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _per_backend_entries(
    value: ast.Dict,
) -> list[tuple[str | None, str | None, ast.expr]] | None:
    """(backend, name, text node) of a PER_BACKEND_SQL literal, either orientation:
    backend -> name -> SQL, or name -> backend -> SQL (backend names tell them apart).
    None when the value is not a literal dict of literal dicts."""
    if not all(isinstance(inner, ast.Dict) for inner in value.values):
        return None
    outer = [_str_key(key) for key in value.keys]
    backend_first = all(key in DIALECTS for key in outer)
    entries: list[tuple[str | None, str | None, ast.expr]] = []
    for outer_key, inner in zip(outer, value.values, strict=True):
        assert isinstance(inner, ast.Dict)
        for inner_key, text in zip(inner.keys, inner.values, strict=True):
            key = _str_key(inner_key)
            backend, name = (outer_key, key) if backend_first else (key, outer_key)
            entries.append((backend, name, text))
    return entries


def _per_backend_texts(tree: ast.Module, path: str, report: Report) -> dict[int, SqlText]:
    """The declared per-backend variants of one module, keyed by the id of their node."""
    declared: dict[int, SqlText] = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
        if not (isinstance(target, ast.Name) and target.id == PER_BACKEND_NAME):
            continue
        value = getattr(stmt, "value", None)
        if not path.startswith(BACKENDS_DIR):
            report.add(
                path, stmt.lineno, "DB005", f"{PER_BACKEND_NAME} is only honoured in {BACKENDS_DIR}"
            )
            continue
        entries = _per_backend_entries(value) if isinstance(value, ast.Dict) else None
        if entries is None:
            report.add(
                path,
                stmt.lineno,
                "DB005",
                f"{PER_BACKEND_NAME} must be a literal dict"
                " of literal dicts (backend -> name -> SQL, or name -> backend -> SQL)",
            )
            continue
        for backend, name, text in entries:
            if backend not in DIALECTS:
                report.add(
                    path,
                    text.lineno,
                    "DB005",
                    f"{PER_BACKEND_NAME} entry {name!r}"
                    f" names backend {backend!r}, not one of {sorted(DIALECTS)}",
                )
                continue
            if isinstance(text, ast.Constant) and isinstance(text.value, str):
                sql = text.value
            elif isinstance(text, ast.JoinedStr):
                sql = joined_str_text(text, HOLE)
            else:
                report.add(
                    path,
                    text.lineno,
                    "DB005",
                    f"{PER_BACKEND_NAME} entry {backend}/{name} is not a string literal",
                )
                continue
            declared[id(text)] = SqlText(path, text.lineno, sql, backend, name or "?")
    return declared


def collect_python_sql(root: Path, report: Report) -> list[SqlText]:
    texts: list[SqlText] = []
    storage = root / "storage"
    for file in iter_python_files(storage) if storage.is_dir() else ():
        found, findings = _sql_of_file(relpath(root, file), file.read_bytes())
        texts.extend(found)
        report.findings.extend(findings)
    return texts


@functools.lru_cache(maxsize=4096)
def _sql_of_file(path: str, source: bytes) -> tuple[tuple[SqlText, ...], tuple[Finding, ...]]:
    """The SQL texts of one file and the findings about its declarations, once per content
    (see `audit_python_rules.file_findings`)."""
    tree = parse_source(source, path)
    if isinstance(tree, SyntaxError):
        return (), ()  # a file that does not parse is already reported by DB001
    report = Report()
    declared = _per_backend_texts(tree, path, report)
    texts = list(declared.values())
    for node, text in _string_nodes(tree):
        if id(node) not in declared and looks_like_sql(text):
            texts.append(SqlText(path, node.lineno, text))
    return tuple(texts), tuple(report.findings)


# ----------------------------------------------------------------------------- DB004
def parseable_form(sql: str) -> str:
    """The text with driver placeholders in a form every dialect reads.

    Placeholder style belongs to the driver (psycopg `%s`, sqlite3 `?`), not to the SQL
    dialect, so both are mapped to `?`/`:name` before parsing; `{...}` holes become a name.
    """
    sql = _FORMAT_FIELD.sub(HOLE, sql)
    if "%s" in sql or _PYFORMAT_NAMED.search(sql):
        sql = _PYFORMAT_NAMED.sub(r":\1", sql).replace("%s", "?").replace("%%", "%")
    return sql


def _line_of(text: SqlText, offset: int) -> int:
    return text.line + text.text.count("\n", 0, offset)


def _command_line(text: SqlText, command: exp.Command) -> int:
    words = [str(command.this), *str(command.expression or "").split()[:1]]
    pattern = r"\s+".join(re.escape(word) for word in words if word)
    match = re.search(pattern, text.text, re.IGNORECASE) if pattern else None
    return _line_of(text, match.start()) if match else text.line


@functools.lru_cache(maxsize=4096)
def _parsed(sql: str, dialect: str) -> list[exp.Expr | None]:
    """sqlglot's reading of `sql`, once per text that parses (the audits of planted trees
    read the same texts again and again)."""
    return sqlglot.parse(sql, read=dialect)


def check_parses(text: SqlText, report: Report) -> None:
    backends = [text.backend] if text.backend else list(DIALECTS)
    sql = parseable_form(text.text)
    for backend in backends:
        dialect = DIALECTS[backend]
        try:
            statements = _parsed(sql, dialect)
        except ParseError as exc:
            error = exc.errors[0] if exc.errors else {}
            line = text.line + int(error.get("line") or 1) - 1
            report.add(
                text.path,
                line,
                "DB004",
                f"does not parse as {dialect} SQL: {error.get('description', exc)}",
            )
            continue
        except TokenError as exc:
            report.add(text.path, text.line, "DB004", f"does not tokenize as {dialect} SQL: {exc}")
            continue
        command = next((s for s in statements if isinstance(s, exp.Command)), None)
        if command is None:
            continue
        if text.backend:
            # A declared variant runs on its own backend only and its suites exercise it;
            # sqlglot's gaps in one dialect's grammar are noted, not failed.
            report.note(
                "per-backend SQL sqlglot reads only as a command",
                f"{text.backend}/{text.name} ({text.path}:{text.line})",
            )
            continue
        report.add(
            text.path,
            _command_line(text, command),
            "DB004",
            f"`{command.this} ...` is read only as an opaque command in the {dialect}"
            " dialect, so its portability cannot be checked: write it in a form both"
            f" backends parse, or declare per-backend variants in {PER_BACKEND_NAME}",
        )


# ----------------------------------------------------------------------------- DB005
def check_portability(text: SqlText, report: Report) -> None:
    if text.backend:
        return
    seen: set[tuple[int, str]] = set()
    for offset, matched, why in non_portable_constructs(text.text):
        line = _line_of(text, offset)
        if (line, why) not in seen:
            seen.add((line, why))
            report.add(text.path, line, "DB005", f"`{matched.strip()}`: {why}")


def check_sql(root: Path, report: Report) -> None:
    texts = check_migrations(root, report) + collect_python_sql(root, report)
    for text in texts:
        check_parses(text, report)
        check_portability(text, report)
        report.count("SQL texts")
        if text.backend:
            report.count("per-backend SQL texts")
            report.note("per-backend SQL", f"{text.backend}/{text.name} ({text.path}:{text.line})")
