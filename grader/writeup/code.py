"""Student code from a write-up's code blocks, made into a module the sandbox can import.

A code block copied out of a PDF often carries the editor's line numbers (``6 # Create
the network``, ``10        self.conv1 = ...``) and, with them, indentation off by one.
The numbers are stripped where most lines of a block start with increasing numbers; an
indentation that then does not parse is snapped to the nearest multiple of four (or
two) and accepted only if Python then parses it: nothing is run to find out.

The module keeps what importing needs: imports, classes, functions, and the module-level
assignments they use. Script code (building the model, printing, asserting, moving to a
GPU) is dropped, since it would run at import. Names the code uses but never defines are
imported where the source is known: the torch family (``torch``, ``nn``, ``F``,
``optim``), ``np``, ``math``, and every top-level name of the assignment's support
modules (the course scaffold: ``from scaffold import CONV, FC``).
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["ModuleSource", "build_module", "clean_block", "module_names"]

_NUMBER = re.compile(r"^(\s*)(\d{1,4})(?: |\t|$)")

KNOWN_IMPORTS: Mapping[str, str] = MappingProxyType({
    "torch": "import torch",
    "nn": "import torch.nn as nn",
    "F": "import torch.nn.functional as F",
    "optim": "import torch.optim as optim",
    "np": "import numpy as np",
    "numpy": "import numpy",
    "math": "import math",
})


@dataclass(frozen=True)
class ModuleSource:
    source: str
    defines: tuple[str, ...]  # top-level classes and functions
    notes: tuple[str, ...]  # what was changed: numbers stripped, imports added, lines dropped


def clean_block(text: str) -> tuple[str | None, list[str], str | None]:
    """(source that parses, notes, or the syntax error): line numbers stripped, indentation repaired."""
    notes: list[str] = []
    lines = text.split("\n")
    numbered = _strip_numbers(lines)
    if numbered is not None:
        lines = numbered
        notes.append("line numbers stripped")
    source = textwrap.dedent("\n".join(lines)).strip("\n") + "\n"
    try:
        ast.parse(source)
        return source, notes, None
    except SyntaxError as err:
        first_error = f"line {err.lineno}: {err.msg}"
    for unit in (4, 2):
        repaired = _snap_indentation(source, unit)
        try:
            ast.parse(repaired)
        except SyntaxError:
            continue
        notes.append(f"indentation snapped to multiples of {unit} spaces")
        return repaired, notes, None
    return None, notes, first_error


def _strip_numbers(lines: list[str]) -> list[str] | None:
    content = [(i, _NUMBER.match(s)) for i, s in enumerate(lines) if s.strip()]
    hits = [(i, m) for i, m in content if m]
    if not content or len(hits) < 0.6 * len(content) or len(hits) < 2:
        return None
    nums = [int(m.group(2)) for _, m in hits]
    increasing = sum(1 for a, b in zip(nums, nums[1:]) if b > a)
    if increasing < 0.8 * (len(nums) - 1):
        return None
    out = list(lines)
    for i, m in hits:
        rest = lines[i][m.end():] if m.end() <= len(lines[i]) else ""
        out[i] = rest
    return out


def _snap_indentation(source: str, unit: int) -> str:
    """Every indentation rounded to the nearest multiple of ``unit`` (halves up)."""
    out = []
    for line in source.split("\n"):
        stripped = line.lstrip(" ")
        n = len(line) - len(stripped)
        if stripped:
            n = (n + unit // 2) // unit * unit
        out.append(" " * n + stripped)
    return "\n".join(out)


def module_names(source: str) -> set[str]:
    """The top-level names a module defines (for support modules such as the scaffold)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("_")}


def build_module(
    sources: Iterable[str], *, required: Iterable[str], support: Mapping[str, set[str]], origin: str
) -> ModuleSource | None:
    """A module from parsed code blocks that defines every name of ``required`` it can;
    None when no block defines any of them."""
    required = list(required)
    units: dict[str, str] = {}  # name -> source of its def/class (first definition wins)
    order: list[str] = []
    imports: list[str] = []
    assigns: dict[str, tuple[str, set[str]]] = {}
    dropped = 0
    for source in sources:
        tree = ast.parse(source)
        lines = source.split("\n")
        for node in tree.body:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            seg = "\n".join(lines[start - 1: node.end_lineno])
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if seg not in imports:
                    imports.append(seg)
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name not in units:
                    units[node.name] = seg
                    order.append(node.name)
            elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                  and node.targets[0].id not in assigns):
                assigns[node.targets[0].id] = (seg, _loaded(node.value))
            else:
                dropped += 1
    if not any(name in units for name in required):
        return None
    keep = _closure([n for n in required if n in units], units, assigns)
    body_names = [n for n in order if n in keep]
    kept_assigns = [n for n in assigns if n in keep and n not in units]
    defined = set(units) | set(assigns)
    if any(n not in keep for n in list(units) + list(assigns)):
        dropped += sum(1 for n in list(units) + list(assigns) if n not in keep)
    parts = imports + [assigns[n][0] for n in kept_assigns] + [units[n] for n in body_names]
    code = "\n\n".join(parts) + "\n"
    added = _missing_imports(code, defined, support)
    notes: list[str] = []
    if added:
        notes.append("imports added: " + "; ".join(added))
    if dropped:
        notes.append(f"{dropped} top-level statement(s) dropped (script code that would run at import)")
    missing = [n for n in required if n not in units]
    if missing:
        notes.append("not defined in the write-up: " + ", ".join(missing))
    header = f"# {origin}: extracted from the write-up by the grader\n"
    if added:
        header += "\n".join(added) + "\n"
    source = header + "\n" + code
    ast.parse(source)
    return ModuleSource(source=source, defines=tuple(body_names), notes=tuple(notes))


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _free(source: str) -> set[str]:
    """Names a def or class reads but never binds itself (a rough scope analysis: enough to
    tell module-level helpers from local variables)."""
    tree = ast.parse(source)
    bound: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            bound.add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
    return _loaded(tree) - bound


def _closure(names: list[str], units: dict[str, str], assigns: dict[str, tuple[str, set[str]]]) -> set[str]:
    """The defs and module-level constants that ``names`` need; an assignment that uses a def
    (``net = LeNet5()``) is script code, never needed."""
    keep: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        if name in assigns and name not in units and assigns[name][1] & set(units):
            continue
        keep.add(name)
        used = _free(units[name]) if name in units else assigns[name][1] if name in assigns else set()
        todo.extend(n for n in used if (n in units or n in assigns) and n not in keep)
    return keep


def _missing_imports(code: str, defined: set[str], support: Mapping[str, set[str]]) -> list[str]:
    tree = ast.parse(code)
    bound = set(defined) | set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    free = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound and node.id not in free:
            free.append(node.id)
    lines: list[str] = []
    from_support: dict[str, list[str]] = {}
    for name in free:
        if name in KNOWN_IMPORTS:
            continue
        for module, names in sorted(support.items()):
            if name in names:
                from_support.setdefault(module, []).append(name)
                break
    wanted: set[str] = set(free)
    if ("nn" in wanted or "F" in wanted or "optim" in wanted) and "torch" not in bound:
        wanted.add("torch")
    lines.extend(line for name, line in KNOWN_IMPORTS.items() if name in wanted)
    for module, imported in from_support.items():
        lines.append(f"from {module} import {', '.join(sorted(imported))}")
    return lines
