"""What the grader's two products (the student kit, grader.kit, and the Gradescope package,
grader.gradescope_package) both need to ship the engine: the templates they fill, the
engine's own files and requirements, and the pyproject that installs it."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Iterator


TEMPLATES = Path(__file__).resolve().parent / "kit_templates"


SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")  # the grader's and the kit's (pyproject's requires-python)


_SKIP_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})


class KitError(Exception):
    """What cannot be built from this rubric (shown as one line, exit code 2)."""


def render_template(name: str, **values: str) -> str:
    """A kit template with every @@KEY@@ replaced (@@ ... @@ collides with neither bash
    nor GitHub's ${{ }} expressions); a placeholder left unfilled is an error."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    left = sorted(set(re.findall(r"@@([A-Z_]+)@@", text)))
    if left:
        raise KitError(f"template {name}: no value for {', '.join(left)}")
    return text


def installed_torch_version() -> str:
    return importlib.metadata.version("torch").split("+", 1)[0]


def engine_distribution() -> tuple[str, list[str]]:
    """(version, runtime requirements) of the installed distribution that provides `grader`."""
    names = importlib.metadata.packages_distributions().get("grader") or []
    for name in names:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        reqs = [r for r in (dist.requires or []) if "extra ==" not in r and "extra==" not in r]
        return dist.version, reqs
    raise KitError("the grader is not installed as a distribution (pip install -e .), so its requirements are unknown")


def engine_files() -> Iterator[tuple[Path, str]]:
    """(file, path relative to the grader package's parent) of the engine's source, less
    the template of new packs (`grade new-assignment` is the course's, not a kit's)."""
    pkg = Path(__file__).resolve().parent
    yield from ((src, rel) for src, rel in package_tree(pkg, pkg.name) if not rel.startswith(f"{pkg.name}/pack_template/"))


def package_tree(root: Path, prefix: str) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and not (_SKIP_PARTS & set(rel.parts)) \
                and path.suffix not in (".pyc", ".tmp"):
            yield path, f"{prefix}/{rel.as_posix()}"


def pyproject_toml(*, name: str, version: str, requirements: list[str], packages: list[str],
               package_dir: str | None, description: str) -> str:
    lines = [
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {json.dumps(name)}",
        f"version = {json.dumps(version)}",
        f"description = {json.dumps(description)}",
        f'requires-python = ">={SUPPORTED_PYTHONS[0]},<3.{int(SUPPORTED_PYTHONS[-1].split(".")[1]) + 1}"',
        "dependencies = [" + ", ".join(json.dumps(r) for r in requirements) + "]",
        "",
        "[project.scripts]",
        'grade = "grader.cli:main"',
        "",
        "[tool.setuptools.packages.find]",
    ]
    if package_dir:
        lines.append(f"where = [{json.dumps(package_dir)}]")
    lines.append("include = [" + ", ".join(json.dumps(p) for p in packages) + "]")
    lines += ["", "[tool.setuptools.package-data]", '"*" = ["*", "*/*", "*/*/*"]', ""]
    return "\n".join(lines)
