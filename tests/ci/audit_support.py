"""Helpers of the audit tests: a throwaway copy of the repository, the audit run
in-process (and once as a subprocess, exactly as CI runs it), and the expectations
written into planted files.

Planted files live in tests/ci/planted/ as data (.txt, .sql), never as importable Python:
that keeps their violations out of the real tree's audit. A planted line announces what
the audit must report for it with a marker comment:

    import sqlite3  # expect DB001            -> a DB001 finding on this line
    # expect@+2 DB005                          -> a DB005 finding two lines further down
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ci import audit_db_access

REPO_ROOT = Path(__file__).resolve().parents[2]
PLANTED = Path(__file__).parent / "planted"
_SKIPPED = {
    ".git",
    ".venv",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    ".dualstore",
    "mutants",
}


def not_copied(directory: str, names: list[str]) -> set[str]:
    """Tool directories and virtualenvs (wherever they sit) stay out of the copy."""
    return {
        name
        for name in names
        if name in _SKIPPED or (Path(directory) / name / "pyvenv.cfg").exists()
    }


_FINDING = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): (?P<rule>DB\d{3}) (?P<message>.+)$")
_MARKER = re.compile(
    r"(?:#|--)\s*expect(?:@\+(?P<offset>\d+))?\s+"
    r"(?P<rules>(?:DB|TID)\d{3}(?:\s+(?:DB|TID)\d{3})*)"
)

Finding = tuple[str, int, str]  # (path, line, rule)


@dataclass(frozen=True)
class AuditRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def findings(self) -> set[Finding]:
        found: set[Finding] = set()
        for line in self.stdout.splitlines():
            if match := _FINDING.match(line):
                found.add((match["path"], int(match["line"]), match["rule"]))
        return found

    def explain(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@dataclass(frozen=True)
class Snapshot:
    root: Path
    audit: AuditRun  # the audit of the unplanted snapshot: the "before" of every plant


def run_audit(root: Path) -> AuditRun:
    """The audit of `root`, run in this process (its `main`, with its output captured):
    the planting tests run it dozens of times, and a subprocess would pay the interpreter's
    and sqlglot's start-up each time. `run_audit_as_ci` runs it as CI does."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            returncode = audit_db_access.main(["--root", str(root)])
        except SystemExit as exc:  # argparse's usage errors
            returncode = exc.code if isinstance(exc.code, int) else 1
    return AuditRun(returncode, stdout.getvalue(), stderr.getvalue())


def run_audit_as_ci(root: Path) -> AuditRun:
    """The audit of `root` as a subprocess, exactly as CI runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "ci.audit_db_access", "--root", str(root)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return AuditRun(proc.returncode, proc.stdout, proc.stderr)


def expected_findings(path: str, text: str, first_line: int = 1, tool: str = "DB") -> set[Finding]:
    """The findings of `tool` ("DB": the audit, "TID": ruff) that the markers in `text`
    announce, once `text` sits at `path` starting on line `first_line`."""
    expected: set[Finding] = set()
    for number, line in enumerate(text.splitlines(), start=first_line):
        if match := _MARKER.search(line):
            target = number + int(match["offset"] or 0)
            rules = [rule for rule in match["rules"].split() if rule.startswith(tool)]
            expected.update((path, target, rule) for rule in rules)
    return expected


def plant(tree: Path, dest: str, planted: str) -> set[Finding]:
    """Write (or append) planted file `planted` at `dest` in `tree`; return its markers."""
    text = (PLANTED / planted).read_text(encoding="utf-8")
    target = tree / dest
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    target.write_text(existing + text, encoding="utf-8")
    return expected_findings(dest, text, first_line=existing.count("\n") + 1)


_RUFF_FINDING = re.compile(r"^(?P<path>[^:\s][^:]*):(?P<line>\d+):\d+: (?P<rule>[A-Z]+\d+) ")


def ruff_findings(tree: Path, rule: str, path: str) -> set[Finding]:
    """What ruff's `rule` reports for `path`, with the tree's own pyproject.toml (its
    per-file-ignores included), as `nox -s lint` runs it."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff is not None, "ruff is not installed (the lint dependency group has it)"
    proc = subprocess.run(
        [ruff, "check", "--no-cache", "--select", rule, "--output-format", "concise", path],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = {
        (m["path"], int(m["line"]), m["rule"])
        for line in proc.stdout.splitlines()
        if (m := _RUFF_FINDING.match(line))
    }
    assert proc.returncode == (1 if found else 0), proc.stdout + proc.stderr
    return found


def migration_numbers(tree: Path) -> list[int]:
    return sorted(
        int(path.name[:4])
        for path in (tree / "storage" / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql")
        if not path.name.endswith(".down.sql")
    )


# ----------------------------------------------------------------------------- protocol
@dataclass(frozen=True)
class ProtocolShape:
    methods: dict[str, ast.FunctionDef]
    attributes: list[str]


def protocol_shape() -> ProtocolShape:
    """The `Database` protocol's methods and attributes, read from the real storage/api.py."""
    tree = ast.parse((REPO_ROOT / "storage" / "api.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Database")
    methods = {
        n.name: n for n in cls.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
    }
    attributes = [
        n.target.id
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    ]
    return ProtocolShape(methods, attributes)


def method_source(func: ast.FunctionDef, body: str | None = None) -> str:
    """A method with the protocol's exact signature and a real (non-stub) body."""
    body = body or f"return self._dispatch({func.name!r})"
    return f"    def {func.name}({ast.unparse(func.args)}):\n        {body}\n"


def implementation_source(
    class_line: str,
    shape: ProtocolShape,
    *,
    skip: frozenset[str] = frozenset(),
    with_init: bool = True,
) -> str:
    """Source of a class implementing the protocol, minus the methods in `skip`."""
    lines = [class_line + "\n"]
    if with_init:
        assigns = "".join(f"        self.{name} = None\n" for name in shape.attributes)
        lines.append(f"    def __init__(self):\n{assigns}")
    lines.append("    def _dispatch(self, name):\n        return name\n")
    lines.extend(method_source(f) for name, f in shape.methods.items() if name not in skip)
    return "\n".join(lines)


def line_of(path: Path, pattern: str) -> int:
    regex = re.compile(pattern)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if regex.search(line):
            return number
    raise AssertionError(f"no line of {path} matches {pattern!r}")
