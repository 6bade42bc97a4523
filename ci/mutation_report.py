"""The mutation score per module, from the results mutmut left in mutants/ (`nox -s mutate`).

    python -m ci.mutation_report [--markdown] [storage/url.py ...]

For each module of ``[tool.mutmut] only_mutate`` in pyproject.toml (or those named), the
number of mutants, how many the tests killed (a timeout counts as killed: the tests did
notice), how many survived, and how many of those are listed as equivalent in
ci/equivalent_mutants.toml (no observable change, with the reason for each group). Then every
surviving mutant that is not listed, which is the work left: `mutmut show NAME` shows one.

The score is killed / all mutants; "score (non-equivalent)" leaves the listed equivalents
out of the count, which is the figure the goals speak of. A mutant mutmut did not check
(no test reaches it, or the run was interrupted) counts as not killed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "ci" / "equivalent_mutants.toml"
#: mutmut's exit codes that mean the tests noticed the mutant
KILLED = {1, 3, 36, 37, 24, -24, 152, 255}
SURVIVED = 0


@dataclass
class ModuleScore:
    """One module's counts; `survivors` are the surviving mutants not listed as equivalent."""

    path: str
    total: int = 0
    killed: int = 0
    survived: int = 0
    equivalent: int = 0
    unchecked: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 0.0

    @property
    def honest_score(self) -> float:
        counted = self.total - self.equivalent
        return 100.0 * self.killed / counted if counted else 0.0


def modules(root: Path = ROOT) -> list[str]:
    """The modules pyproject.toml has mutmut mutate."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    only: list[str] = config["tool"]["mutmut"]["only_mutate"]
    return only


def equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Mutant name -> why it is equivalent, from the file's ``[[equivalent]]`` groups (each
    a `reason` and the `mutants` it explains)."""
    if not path.is_file():
        return {}
    groups = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    return {str(name): str(group["reason"]) for group in groups for name in group["mutants"]}


def score(module: str, listed: dict[str, str], root: Path = ROOT) -> ModuleScore:
    """`module`'s counts from mutmut's mutants/<module>.meta (an empty score when missing)."""
    result = ModuleScore(module)
    meta = root / "mutants" / f"{module}.meta"
    if not meta.is_file():
        return result
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    for name, code in sorted(codes.items()):
        result.total += 1
        if code in KILLED:
            result.killed += 1
        elif code == SURVIVED:
            result.survived += 1
            if name in listed:
                result.equivalent += 1
            else:
                result.survivors.append(name)
        else:
            result.unchecked += 1
            result.survivors.append(f"{name} (not checked: exit code {code})")
    return result


def table(scores: list[ModuleScore]) -> str:
    """A Markdown table of `scores` with a total row."""
    total = ModuleScore(
        "**total**",
        total=sum(s.total for s in scores),
        killed=sum(s.killed for s in scores),
        survived=sum(s.survived for s in scores),
        equivalent=sum(s.equivalent for s in scores),
        unchecked=sum(s.unchecked for s in scores),
    )
    lines = [
        "| module | mutants | killed | survived | equivalent | score | score (non-equivalent) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in [*scores, total]:
        name = s.path if s is total else f"`{s.path}`"
        lines.append(
            f"| {name} | {s.total} | {s.killed} | {s.survived} | {s.equivalent} "
            f"| {s.score:.1f} % | {s.honest_score:.1f} % |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("modules", nargs="*", help="module paths (default: every mutated one)")
    parser.add_argument("--markdown", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    known = modules()
    wanted: list[str] = args.modules or known
    unknown = [m for m in wanted if m not in known]
    if unknown:
        parser.error(
            f"not mutated: {', '.join(unknown)}; pyproject.toml [tool.mutmut] only_mutate "
            f"has {', '.join(known)}"
        )
    listed = equivalents()
    scores = [score(m, listed) for m in wanted]
    if not any(s.total for s in scores):
        sys.stderr.write("no mutation results in mutants/: run `nox -s mutate` first\n")
        return 1
    out = [table(scores)]
    if not args.markdown:
        survivors = [name for s in scores for name in s.survivors]
        out.append("")
        if survivors:
            out.append(f"{len(survivors)} surviving mutants (not listed in {EQUIVALENTS.name}):")
            out.extend(f"  {name}" for name in survivors)
            out.append("show one with: mutmut show NAME")
        else:
            out.append(f"no surviving mutants besides those listed in {EQUIVALENTS.name}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
