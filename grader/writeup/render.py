"""An extraction as an answers.yaml a TA can check, fix and grade.

Every extracted value is preceded by a comment saying where it was read (page and line)
and how sure the extraction is; what a graded check needs but was not found is listed at
the top. The YAML loads back (``grader.docio``) to exactly the extracted data.
"""

from __future__ import annotations

from typing import Any

import yaml

from grader.writeup.extract import LOW_CONFIDENCE, Extraction, Item

__all__ = ["render_yaml"]


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    elif text.endswith("..."):
        text = text[:-3].rstrip()
    return text


def _comment(ex: Extraction, item: Item, threshold: float = LOW_CONFIDENCE) -> str:
    span = ex.where(item.first) if item.first == item.last else f"{ex.where(item.first)}-{ex.where(item.last)}"
    flag = "  CHECK: not scored until a TA confirms it" if item.confidence < threshold else ""
    return f"# {span}, confidence {item.confidence:.2f}: {item.how}{flag}"


def render_yaml(ex: Extraction, *, assignment: str, review_below: float = LOW_CONFIDENCE) -> str:
    out = [
        f"# {assignment} answers read from {ex.filename} by `grade extract`.",
        "# Each value says where it was read and how sure the reading is (0 to 1; below "
        f"{review_below:g}: CHECK it, it is not scored until a TA confirms it).",
        "# Fix what is wrong, save this as answers.yaml in a folder (with the code files), and grade the folder.",
    ]
    for gap in ex.gaps:
        where = f" ({ex.where(gap.line)})" if gap.line else ""
        out.append(f"# NOT FOUND{where}: {gap.path}: {gap.reason}")
    for note in ex.notes:
        out.append(f"# note: {note}")
    for m in ex.modules:
        notes = f"; {'; '.join(m.notes)}" if m.notes else ""
        out.append(f"# code: {m.filename} ({', '.join(m.defines)}) from {ex.where(m.first)}-{ex.where(m.last)}{notes}")
    by_path = {i.path: i for i in ex.items}
    _emit(ex, ex.data(), "", 0, by_path, out, review_below)
    return "\n".join(out) + "\n"


def _emit(ex: Extraction, node: dict[str, Any], prefix: str, depth: int, by_path: dict[str, Item], out: list[str],
          threshold: float = LOW_CONFIDENCE) -> None:
    pad = "  " * depth
    if depth == 0:
        out.append("")
    for key, value in node.items():
        path = prefix + key
        item = by_path.get(path)
        if depth == 0 and out[-1] != "":
            out.append("")
        if item is not None:
            out.append(pad + _comment(ex, item, threshold))
        label = _flow(key)
        if isinstance(value, dict) and value:
            out.append(f"{pad}{label}:")
            _emit(ex, value, path + ".", depth + 1, by_path, out, threshold)
        elif isinstance(value, str) and ("\n" in value or len(value) > 70) and _literal_ok(value):
            out.append(f"{pad}{label}: |-")
            out.extend(f"{pad}  {line}".rstrip() for line in value.split("\n"))
        elif isinstance(value, list) and len(value) > 1 and all(isinstance(r, list) for r in value):
            out.append(f"{pad}{label}:")
            out.extend(f"{pad}  - {_flow(row)}" for row in value)
        else:
            out.append(f"{pad}{label}: {_flow(value)}")


def _literal_ok(value: str) -> bool:
    """A block literal keeps text as is, unless a line starts with a space (its indentation
    would change) or the text holds characters YAML does not allow in one."""
    lines = value.split("\n")
    return (not any(line.startswith((" ", "\t")) for line in lines) and value == value.strip()
            and all(ch == "\t" or ch >= " " for line in lines for ch in line))
