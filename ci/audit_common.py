"""What every audit rule shares: findings, the tree walk, and the "looks like SQL" test."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Directories that hold tools, caches or build output, never project source.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        ".nox",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "__pycache__",
        ".dualstore",
        "build",
        "dist",
        "node_modules",
        # mutmut's working copy of the tree (`nox -s mutate`): mutants, not source
        "mutants",
    }
)
#: top-level directories that hold other projects (the harness's example adopters, with
#: their own SQL and drivers): not this project's storage code, so not audited
OTHER_PROJECTS = frozenset({"examples"})

RULES = {
    "DB001": "database driver imported by name outside storage/backends/ and dualstore/provision/",
    "DB002": "SQL executed or written outside storage/ and dualstore/provision/",
    "DB003": "migrations not numbered 0001.. without gaps, or an up/down file without its pair",
    "DB004": "SQL text in storage/ that sqlglot cannot parse for a backend's dialect",
    "DB005": "non-portable SQL construct outside a declared per-backend variant",
    "DB006": "a backend module missing or not implementing the Database protocol",
}


@dataclass(frozen=True, order=True, slots=True)
class Finding:
    path: str  # relative to the audited root, with forward slashes
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


@dataclass(slots=True)
class Report:
    """Findings plus what was checked, so a clean run can say what "clean" covered."""

    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # what the summary lists by heading, e.g. every declared per-backend SQL exception
    notes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, line: int, rule: str, message: str) -> None:
        assert rule in RULES, rule
        self.findings.append(Finding(path, max(line, 1), rule, message))

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def note(self, heading: str, text: str) -> None:
        self.notes.setdefault(heading, []).append(text)


def relpath(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def iter_python_files(root: Path) -> Iterator[Path]:
    """Every project .py file under `root`, in a stable order, skipping tool directories."""
    for dirpath, dirnames, filenames in os.walk(root):
        # any virtualenv (e.g. a tool venv under .ci/) holds third-party code, not ours
        top = Path(dirpath) == root
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIPPED_DIRS
            and not (top and d in OTHER_PROJECTS)
            and not (Path(dirpath) / d / "pyvenv.cfg").exists()
        )
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield Path(dirpath) / name


def parse_source(source: bytes, filename: str) -> ast.Module | SyntaxError:
    """A module's AST from its file's bytes, or the reason it has none (reported, never
    raised)."""
    try:
        return ast.parse(source.decode("utf-8"), filename=filename)
    except SyntaxError as exc:
        return exc
    except (UnicodeDecodeError, ValueError) as exc:  # not UTF-8, or NUL bytes
        return SyntaxError(str(exc))


def docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of string constants that are statements (docstrings, bare strings): not SQL uses."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            ids.add(id(node.value))
    return ids


# A text "looks like SQL" when it starts (after blanks and SQL comments) with a statement
# shape, not just a keyword: "SELECT a FROM t" and "DELETE FROM t" do, "Select a backend"
# and "update the block" do not. Keyword-only tests would flag ordinary English messages.
_LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*\n?|/\*.*?\*/)*", re.S)
_IDENT = r"[\w.\"]"
_SQL_SHAPE = re.compile(
    rf"""
    (?:select\s+(?:distinct\s+)?(?:[\s\S]+?\bfrom\s+{_IDENT}|\d|\*|[\w.]+\s*\()
    | insert\s+(?:or\s+\w+\s+)?into\s+{_IDENT}
    | replace\s+into\s+{_IDENT}
    | update\s+{_IDENT}+\s+set\s
    | delete\s+from\s+{_IDENT}
    | (?:create|drop|alter)\s+(?:or\s+replace\s+|temp(?:orary)?\s+|unique\s+|unlogged\s+)*
      (?:table|index|schema|database|view|trigger|sequence|extension|type|function|role)\b
    | truncate\s+(?:table\s+)?{_IDENT}
    | with\s+(?:recursive\s+)?\w+\s*(?:\([^)]*\)\s*)?as\s*(?:not\s+)?(?:materialized\s+)?\(
    | pragma\s+\w
    | vacuum\b
    | (?:grant|revoke)\s+\w[\s\S]*\bon\b
    | copy\s+{_IDENT}+[\s\S]*\b(?:from|to)\b
    )
    """,
    re.I | re.X,
)


def looks_like_sql(text: str) -> bool:
    start = _LEADING_COMMENTS.match(text)
    offset = start.end() if start else 0
    match = _SQL_SHAPE.match(text, offset)
    if match is None:
        return False
    # SQL keywords are written all upper or all lower case; "Select ..." is a sentence.
    keyword = match.group(0).split()[0]
    return keyword.isupper() or keyword.islower()


def joined_str_text(node: ast.JoinedStr, hole: str) -> str:
    """The text of an f-string with every `{...}` replaced by `hole` (for shape checks)."""
    parts: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        else:
            parts.append(hole)
    return "".join(parts)


def literal_text(node: ast.AST, hole: str = "x") -> str | None:
    """The string a literal-ish expression stands for: "..." , f"...", "..." % x, "...".format()."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return joined_str_text(node, hole)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return literal_text(node.left, hole)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return literal_text(node.func.value, hole)
    return None
