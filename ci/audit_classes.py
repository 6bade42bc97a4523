"""Class definitions read from source: find a class by name as seen from a module,
follow imports within storage/, and walk base classes in method-resolution order.

Pure AST, so the audit works on a copy of the tree without importing it (and without the
database drivers installed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(slots=True)
class ClassInfo:
    path: str
    node: ast.ClassDef
    module: ast.Module
    members: dict[str, ast.stmt] = field(default_factory=dict)  # class-level definitions
    instance_attrs: set[str] = field(default_factory=set)  # `self.x = ...` in any method


def load_module(root: Path, path: str) -> ast.Module | None:
    file = root / path
    if not file.is_file():
        return None
    try:
        return ast.parse(file.read_text(encoding="utf-8"))
    except SyntaxError:
        return None


def module_path(root: Path, dotted: str) -> str | None:
    base = dotted.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate.startswith("storage/") and (root / candidate).is_file():
            return candidate
    return None


def absolute_name(path: str, module: str | None, level: int) -> str:
    """The dotted name of `from <level dots><module> import ...` seen from `path`."""
    if level == 0:
        return module or ""
    # "storage/backends/x.py" and "storage/backends/__init__.py" both sit in storage.backends
    package = path.removesuffix(".py").split("/")[:-1]
    package = package[: len(package) - (level - 1)]
    return ".".join([*package, *([module] if module else [])])


def name_of(node: ast.expr) -> str:
    """The last name of `X`, `a.X` or `X[...]`."""
    node = node.value if isinstance(node, ast.Subscript) else node
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def is_protocol(node: ast.ClassDef) -> bool:
    return any(name_of(base) == "Protocol" for base in node.bases)


def class_info(path: str, module: ast.Module, node: ast.ClassDef) -> ClassInfo:
    info = ClassInfo(path, node, module)
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            info.members.setdefault(stmt.name, stmt)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    info.members.setdefault(target.id, stmt)
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.value is not None  # a bare annotation declares, it does not implement
        ):
            info.members.setdefault(stmt.target.id, stmt)
    for sub in ast.walk(node):
        targets: list[ast.expr | None] = (
            list(sub.targets) if isinstance(sub, ast.Assign) else [getattr(sub, "target", None)]
        )
        for assigned in targets:
            if (
                isinstance(assigned, ast.Attribute)
                and isinstance(assigned.value, ast.Name)
                and assigned.value.id == "self"
            ):
                info.instance_attrs.add(assigned.attr)
    return info


class Resolver:
    """Finds class definitions by name as seen from a module, following storage/ imports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._modules: dict[str, ast.Module | None] = {}

    def module(self, path: str) -> ast.Module | None:
        if path not in self._modules:
            self._modules[path] = load_module(self.root, path)
        return self._modules[path]

    def find(self, path: str, name: str, depth: int = 0) -> ClassInfo | None:
        tree = self.module(path)
        if tree is None or depth > 8:
            return None
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                return class_info(path, tree, stmt)
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == name:
                        dotted = absolute_name(path, stmt.module, stmt.level)
                        target = module_path(self.root, dotted)
                        if target:
                            return self.find(target, alias.name, depth + 1)
        return None

    def base(self, info: ClassInfo, base: ast.expr) -> ClassInfo | None:
        node = base.value if isinstance(base, ast.Subscript) else base
        if isinstance(node, ast.Name):
            return self.find(info.path, node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = self._imported_module(info, node.value.id)
            return self.find(module, node.attr) if module else None
        return None

    def _imported_module(self, info: ClassInfo, alias_name: str) -> str | None:
        for stmt in info.module.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == alias_name:
                        return module_path(self.root, alias.name)
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == alias_name:
                        dotted = absolute_name(info.path, stmt.module, stmt.level)
                        return module_path(self.root, f"{dotted}.{alias.name}")
        return None

    def mro(self, info: ClassInfo, depth: int = 0) -> list[ClassInfo]:
        """Python's C3 order over the bases found in storage/ (others, such as ABC or
        Generic, and Protocol classes, whose members are declarations, are left out)."""
        parents = [
            parent
            for base in info.node.bases
            if (parent := self.base(info, base)) is not None and not is_protocol(parent.node)
        ]
        if depth > 32:  # an import cycle in broken code must not hang the audit
            return [info]
        sequences = [self.mro(parent, depth + 1) for parent in parents] + [parents]
        order = [info]
        while sequences := [seq for seq in sequences if seq]:
            heads = (seq[0] for seq in sequences)
            tails = {_key(c) for seq in sequences for c in seq[1:]}
            head = next((c for c in heads if _key(c) not in tails), sequences[0][0])
            order.append(head)
            sequences = [[c for c in seq if _key(c) != _key(head)] for seq in sequences]
        return order


def _key(info: ClassInfo) -> tuple[str, str]:
    return info.path, info.node.name


def is_abstract(func: Function) -> bool:
    return any(name_of(decorator) == "abstractmethod" for decorator in func.decorator_list)


def is_stub(func: Function) -> bool:
    """Abstract, or a body that does nothing: docstring, `...`, `pass`, NotImplementedError."""
    if is_abstract(func):
        return True
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    if not body:
        return True
    if len(body) != 1:
        return False
    only = body[0]
    if isinstance(only, ast.Pass):
        return True
    if isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant):
        return only.value.value is Ellipsis
    if isinstance(only, ast.Raise) and only.exc is not None:
        exc = only.exc.func if isinstance(only.exc, ast.Call) else only.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def abstract_methods(chain: list[ClassInfo]) -> set[str]:
    """Names declared abstract anywhere in `chain` (a class and its bases)."""
    return {
        name
        for cls in chain
        for name, member in cls.members.items()
        if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and is_abstract(member)
    }


def first_definition(chain: list[ClassInfo], name: str) -> tuple[ClassInfo, ast.stmt] | None:
    for cls in chain:
        if name in cls.members:
            return cls, cls.members[name]
    return None


def public_classes(resolver: Resolver, path: str) -> list[ClassInfo]:
    """The classes a module exports: those in a literal `__all__`, else its public classes."""
    tree = resolver.module(path)
    if tree is None:
        return []
    exported: list[str] | None = None
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
            and isinstance(stmt.value, ast.List | ast.Tuple)
        ):
            exported = [
                e.value
                for e in stmt.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    names = (
        exported
        if exported is not None
        else [s.name for s in tree.body if isinstance(s, ast.ClassDef)]
    )
    found = [resolver.find(path, name) for name in names if not name.startswith("_")]
    return [info for info in found if info is not None]
