"""DB006: every backend named by `storage.kinds.Backend` has a module in storage/backends/,
and the Database class it serves implements every member of the `Database` protocol.

Two layouts are understood:
- a class per backend: the module exports one public `*Database` class (e.g.
  `PostgresDatabase`), checked against the protocol;
- one shared class over per-backend drivers: the module exports a driver class built on an
  abstract base (e.g. `PostgresDriver(Driver)`), which must implement every abstract
  method, and storage/backends/ holds one most-derived public `*Database` class (e.g.
  `SqlDatabase`) that every driver serves, checked against the protocol once.

Inherited members count: bases are followed through imports within storage/, in
method-resolution order. A member whose first definition is abstract or a stub (`...`,
`pass`, `raise NotImplementedError`) is not implemented. Parameters are compared too: the
implementation must accept every parameter the protocol passes and require no other.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ci.audit_classes import (
    ClassInfo,
    Function,
    Resolver,
    abstract_methods,
    first_definition,
    is_stub,
    module_path,
    public_classes,
)
from ci.audit_common import Report

API = "storage/api.py"
#: where the `Backend` enum lives (a leaf the URL parser imports; storage.api re-exports it)
KINDS = "storage/kinds.py"
BACKENDS = "storage/backends"
PROTOCOL = "Database"
BACKEND_ENUM = "Backend"


def _signature_problems(protocol: Function, impl: Function) -> list[str]:
    def params(func: Function) -> tuple[dict[str, bool], dict[str, bool], bool, bool]:
        """(positional name -> has default, keyword-only name -> has default, *a, **kw)"""
        args = func.args
        positional = [*args.posonlyargs, *args.args][1:]  # drop self
        first_default = len(positional) - len(args.defaults)
        pos = {a.arg: i >= first_default for i, a in enumerate(positional)}
        kw = {a.arg: d is not None for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)}
        return pos, kw, args.vararg is not None, args.kwarg is not None

    p_pos, p_kw, _, _ = params(protocol)
    i_pos, i_kw, i_varargs, i_varkw = params(impl)
    accepted = {**i_pos, **i_kw}
    problems: list[str] = []
    for name, optional in [*p_pos.items(), *p_kw.items()]:
        if name not in accepted and not (i_varkw if name in p_kw else i_varargs):
            problems.append(f"does not accept parameter `{name}`")
        elif optional and not accepted.get(name, True):
            problems.append(f"parameter `{name}` needs a default (it is optional in the protocol)")
    for name, has_default in accepted.items():
        if not has_default and name not in p_pos and name not in p_kw:
            problems.append(f"requires parameter `{name}` that the protocol does not pass")
    return problems


def _protocol_members(api: ast.Module) -> tuple[dict[str, Function], set[str]] | None:
    for stmt in api.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == PROTOCOL:
            methods = {
                s.name: s
                for s in stmt.body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                and not s.name.startswith("_")
            }
            attributes = {
                s.target.id
                for s in stmt.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            return methods, attributes
    return None


def _backends(api: ast.Module) -> list[tuple[str, int]]:
    for stmt in api.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == BACKEND_ENUM:
            return [
                (s.value.value, s.lineno)
                for s in stmt.body
                if isinstance(s, ast.Assign)
                and isinstance(s.value, ast.Constant)
                and isinstance(s.value.value, str)
            ]
    return []


def _database_classes(classes: list[ClassInfo]) -> list[ClassInfo]:
    return [c for c in classes if c.node.name.endswith(PROTOCOL)]


def _shared_database(resolver: Resolver, root: Path, backend_modules: set[str]) -> list[ClassInfo]:
    """The most-derived public *Database classes of storage/backends/ outside the backend
    modules (a base such as `CoreDatabase` is left out when `SqlDatabase` builds on it)."""
    directory = root / BACKENDS
    candidates: list[ClassInfo] = []
    for file in sorted(directory.glob("*.py")) if directory.is_dir() else []:
        path = f"{BACKENDS}/{file.name}"
        if path not in backend_modules:
            tree = resolver.module(path)
            defined = {s.name for s in tree.body if isinstance(s, ast.ClassDef)} if tree else set()
            candidates += [
                c
                for c in _database_classes(public_classes(resolver, path))
                if c.node.name in defined
            ]
    bases = {(b.path, b.node.name) for c in candidates for b in resolver.mro(c)[1:]}
    return [c for c in candidates if (c.path, c.node.name) not in bases]


def _check_class(
    resolver: Resolver,
    cls: ClassInfo,
    members: tuple[dict[str, Function], set[str]],
    report: Report,
) -> None:
    methods, attributes = members
    chain = resolver.mro(cls)
    where = f"{cls.node.name} ({cls.path}:{cls.node.lineno})"
    for name in sorted(attributes):
        if not any(name in c.members or name in c.instance_attrs for c in chain):
            report.add(
                cls.path,
                cls.node.lineno,
                "DB006",
                f"{cls.node.name} never sets `{name}`, a {PROTOCOL} attribute",
            )
    for name, declared in methods.items():
        found = first_definition(chain, name)
        if found is None:
            report.add(
                cls.path,
                cls.node.lineno,
                "DB006",
                f"{cls.node.name} lacks `{name}()` of the {PROTOCOL} protocol",
            )
            continue
        owner, impl = found
        if isinstance(impl, ast.FunctionDef | ast.AsyncFunctionDef):
            if is_stub(impl):
                report.add(
                    owner.path, impl.lineno, "DB006", f"`{name}()` of {where} is abstract or a stub"
                )
            for problem in _signature_problems(declared, impl):
                report.add(owner.path, impl.lineno, "DB006", f"`{name}()` of {where} {problem}")


def _check_driver(resolver: Resolver, driver: ClassInfo, report: Report) -> None:
    chain = resolver.mro(driver)
    for name in sorted(abstract_methods(chain)):
        found = first_definition(chain, name)
        assert found is not None
        owner, impl = found
        if isinstance(impl, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub(impl):
            report.add(
                driver.path,
                driver.node.lineno,
                "DB006",
                f"{driver.node.name} does not implement abstract `{name}()`"
                f" ({owner.path}:{impl.lineno})",
            )


def check_protocol(root: Path, report: Report) -> None:
    resolver = Resolver(root)
    api = resolver.module(API)
    members = _protocol_members(api) if api is not None else None
    if api is None or members is None:
        report.add(API, 1, "DB006", f"cannot read the `{PROTOCOL}` protocol from {API}")
        return
    kinds = resolver.module(KINDS)
    backends = _backends(kinds) if kinds is not None else []
    if not backends:
        report.add(KINDS, 1, "DB006", f"cannot read the `{BACKEND_ENUM}` enum from {KINDS}")
    modules = {name: module_path(root, f"storage.backends.{name}") for name, _ in backends}
    shared = _shared_database(resolver, root, {m for m in modules.values() if m})
    class_ok: dict[tuple[str, str], bool] = {}  # a shared class is checked once
    for backend, enum_line in backends:
        module = modules[backend]
        if module is None:
            report.add(
                KINDS,
                enum_line,
                "DB006",
                f"backend {backend!r} has no module"
                f" {BACKENDS}/{backend}.py implementing `{PROTOCOL}`",
            )
            continue
        exported = public_classes(resolver, module)
        own = _database_classes(exported)
        drivers = [c for c in exported if c not in own and abstract_methods(resolver.mro(c))]
        driver = drivers[0] if len(drivers) == 1 else None
        if len(own) == 1:
            database = own[0]
        elif not own and driver is not None and len(shared) == 1:
            database = shared[0]
        else:
            found = ", ".join(c.node.name for c in exported) or "no classes"
            report.add(
                module,
                1,
                "DB006",
                f"finds no {PROTOCOL} implementation: export one public *{PROTOCOL}"
                " class, or one driver class (built on an abstract base) serving the"
                f" one most-derived public *{PROTOCOL} class of {BACKENDS}/ (found:"
                f" {found}; shared: {', '.join(c.node.name for c in shared) or 'none'})",
            )
            continue
        before = len(report.findings)
        for each in drivers:
            _check_driver(resolver, each, report)
        key = (database.path, database.node.name)
        if key not in class_ok:
            count = len(report.findings)
            _check_class(resolver, database, members, report)
            class_ok[key] = len(report.findings) == count
        report.count("backends checked")
        if len(report.findings) == before and class_ok[key]:
            served = f" over {driver.node.name}" if driver else ""
            report.note("Database implementations", f"{backend}: {database.node.name}{served}")
