"""The grader's layers only point down (issue 17): no import cycle among its modules, and no
module imports one of a higher layer. Read from the source (every `import`, at module level
or inside a function, except those under `if TYPE_CHECKING:`, which only annotate); that
each module also imports alone in a fresh interpreter is tests/engine/test_imports_alone.py.

A new module goes in the lowest layer whose modules it needs; a new top-level module or
package that is in no layer fails `test_every_module_has_a_layer`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[2] / "grader"

# Lowest first. A module may import its own layer's and lower layers' modules.
LAYERS: list[tuple[str, ...]] = [
    # plain data and rules that know nothing of rubrics, students or processes
    ("grader", "grader.exits", "grader.atomic", "grader.digest", "grader.results", "grader.device", "grader.docio", "grader.numeric",
     "grader.mathexpr", "grader.diagnose", "grader.packaging", "grader.oraclememo"),
    # what comes in (submissions, answers), where student code runs, the check kinds
    ("grader.submission", "grader.answers", "grader.sandbox", "grader.checks", "grader.packs", "grader.late"),
    # the rubric (validated, compiled to a plan); reading write-ups into answers
    ("grader.rubric", "grader.validate", "grader.writeup"),
    # grading one submission; reporters
    ("grader.engine", "grader.mistakes", "grader.report"),
    # products over the engine: the student kit, class mode, the service
    ("grader.kit", "grader.gradescope_package", "grader.classmode", "grader.service", "grader.packcheck"),
    # commands, then the command line
    ("grader.commands",),
    ("grader.cli", "grader.__main__"),
]


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(GRADER.rglob("*.py")):
        parts = list(p.relative_to(GRADER.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, group in enumerate(LAYERS):
        for prefix in group:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    return rank


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path) -> set[str]:
    """The grader modules `module` imports (each with the packages whose __init__ that runs)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_pkg else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            for a in node.names:
                names.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    out: set[str] = set()
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if not name or name == module:
            continue
        parts = name.split(".")
        out.update(a for a in (".".join(parts[:i]) for i in range(2, len(parts) + 1)) if a in MODULES and a not in own)
    out.discard(module)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if _layer(m) < 0] == []


def test_no_module_imports_a_higher_layer() -> None:
    upward = sorted(f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)})"
                    for m, targets in GRAPH.items() for t in targets if _layer(t) > _layer(m))
    assert upward == []


def test_no_import_cycle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            strong(v)
    assert cycles == []


@pytest.mark.parametrize(("module", "target"), [("grader.numeric.compare", "grader.checks"),
                                                ("grader.checks.formula", "grader.writeup"),
                                                ("grader.commands.extract", "grader.cli"),
                                                ("grader.kit", "grader.cli")])
def test_the_old_tangles_stay_untied(module: str, target: str) -> None:
    assert not any(t == target or t.startswith(target + ".") for t in GRAPH[module])
