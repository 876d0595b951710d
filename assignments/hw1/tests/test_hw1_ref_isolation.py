"""The sandbox contract of the HW1 reference package: what may import what."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
import textwrap

import pytest

from grader.packs import Pack

HW1 = Pack.at(__file__).root


def _imported_roots(path: pathlib.Path) -> set[str]:
    """Top-level names of every module a file imports (anywhere in it); '.' for relative."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.add("." if node.level else str(node.module).split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            roots.add("<dynamic import>")
    return roots


@pytest.mark.parametrize("init", ["reference/__init__.py"])
def test_package_inits_hold_only_a_docstring(init: str) -> None:
    tree = ast.parse((HW1 / init).read_text(encoding="utf-8"))
    assert len(tree.body) == 1, f"{init} must contain only a docstring"
    assert isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
    assert isinstance(tree.body[0].value.value, str)


def test_probes_import_only_stdlib_numpy_torch() -> None:
    roots = _imported_roots(HW1 / "probes.py")
    allowed = set(sys.stdlib_module_names) | {"numpy", "torch", "__future__"}
    assert roots <= allowed, f"probes.py imports {sorted(roots - allowed)}"
    assert "reference" not in roots and "." not in roots and "grader" not in roots


def test_scaffold_imports_only_torch() -> None:
    roots = _imported_roots(HW1 / "support" / "scaffold.py")
    assert roots <= {"torch", "__future__"}, f"scaffold.py imports {sorted(roots - {'torch', '__future__'})}"


@pytest.mark.parametrize("name", ["problem1", "problem2", "problem3", "problem4", "lab1", "lab3"])
def test_solutions_other_than_lab2_do_not_import_the_package(name: str) -> None:
    # They can then be loaded by path like a student's file (see test_ref_probes).
    roots = _imported_roots(HW1 / "reference" / f"{name}.py")
    assert "reference" not in roots and "." not in roots and "<dynamic import>" not in roots


def test_lab2_imports_the_scaffold_as_specified() -> None:
    tree = ast.parse((HW1 / "reference" / "lab2.py").read_text(encoding="utf-8"))
    froms = [(n.level, n.module, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert (2, "support.scaffold", ["CONV", "FC"]) in froms  # the pack's scaffold, relatively
    assert [(lvl, m) for lvl, m, _ in froms if lvl] == [(2, "support.scaffold")]


def test_import_checker_sees_a_reference_import(tmp_path: pathlib.Path) -> None:
    # The checker above must be able to fail.
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom reference.hw1 import lab1\ndef f():\n    import importlib\n    return importlib.import_module('x')\n")
    assert _imported_roots(bad) == {"os", "reference", "importlib", "<dynamic import>"}


LOAD_BY_PATH = textwrap.dedent(
    """
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("hw1_probes_elsewhere", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.closed_form) and callable(module.build_model)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("reference", "grader") or m.startswith("_grader_pack_"))
    print("LEAKED:" + ",".join(leaked))
    """
)


def test_loading_probes_by_path_loads_no_reference_module() -> None:
    # cwd is the pack's folder, so `reference` *would* be importable if anything tried.
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_BY_PATH, str(HW1 / "probes.py")],
        cwd=HW1,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "LEAKED:\n" in proc.stdout, proc.stdout
