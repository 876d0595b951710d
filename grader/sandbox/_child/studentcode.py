"""Describing student code and its failures, for every module of the child: exceptions as a
message and a traceback of the student's own frames, bounded text, and a notebook's code
cells as source (magics and shell escapes skipped with a note).

Runs in the sandboxed child only, after every isolation layer is in place.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
import traceback

from .codec import type_name


MAX_NOTES = 20
_MAX_TEXT = 500
_MAX_FRAME = 200
_CELL_FILENAME = re.compile(r"^(?P<nb>.+\.ipynb)\[cell (?P<cell>\d+)\]$")
_ASSIGNED_ESCAPE = re.compile(r"^(?P<lhs>[A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*=\s*(?P<cmd>[!%].*)$")


class StudentFileMissing(ImportError):
    """The submission has no file for a module a probe asked for."""


class NotebookError(ValueError):
    """A notebook file that cannot be read as a notebook."""


# --------------------------------------------------------------------------------------
# Safe text from student objects


def safe_text(value: object, limit: int = _MAX_TEXT) -> str:
    """str(value), never raising, truncated; a broken __str__ gives a placeholder."""
    try:
        text = str(value)
    except BaseException as exc:  # noqa: BLE001 - a student's __str__ may raise anything
        return f"<{type_name(value)} whose str() raised {type_name(exc)}>"
    if type(text) is not str:
        text = str.__str__(text)
    if len(text) > limit:
        text = str.__getitem__(text, slice(0, limit)) + f"... [{len(text) - limit} more characters]"
    return text


def _exception_line(exc: BaseException) -> str:
    name = type_name(exc)
    if isinstance(exc, SystemExit):
        code = exc.code if type(exc.code) in (int, str, type(None)) else type_name(exc.code)
        return f"SystemExit: {code!r} (the code called sys.exit)"
    text = safe_text(exc)
    return f"{name}: {text}" if text else name


# --------------------------------------------------------------------------------------
# Locations in the student's files


def student_location(filename: object, lineno: object, workdir: str) -> str | None:
    """"lab1.py:12" or "lab1.ipynb cell 4, line 2" for a file of the submission, else None."""
    if type(filename) is not str or not filename.startswith(workdir + "/"):
        return None
    rel = filename[len(workdir) + 1 :]
    line = lineno if type(lineno) is int else "?"
    match = _CELL_FILENAME.match(rel)
    if match:
        return f"{match['nb']} cell {match['cell']}, line {line}"
    return f"{rel}:{line}"


def describe_exception(exc: BaseException, workdir: str) -> tuple[str, list[str]]:
    """(message, traceback): the message names the deepest student frame and the
    exception ("lab1.py:3: ZeroDivisionError: division by zero"); the traceback lists
    the student's frames only ("lab1.py:12 in closed_form"), then the exception line."""
    frames: list[tuple[str, str]] = []
    try:
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            code = frame.f_code
            where = student_location(code.co_filename, lineno, workdir)
            if where is not None:
                frames.append((where, safe_text(code.co_name, 80)))
    except Exception:  # noqa: BLE001 - a frame walk is best effort; the message below still stands
        pass
    line = _exception_line(exc)
    where = frames[-1][0] if frames else None
    if isinstance(exc, SyntaxError):
        syntax_where = student_location(getattr(exc, "filename", None), getattr(exc, "lineno", None), workdir)
        if syntax_where is not None:
            where = syntax_where
            msg = getattr(exc, "msg", None)
            line = f"{type_name(exc)}: {safe_text(msg) if msg is not None else ''}".rstrip(": ")
    lines = [f"{loc} in {func}"[:_MAX_FRAME] for loc, func in frames]
    if len(lines) > 20:
        lines = lines[:6] + [f"... {len(lines) - 18} more frames ..."] + lines[-12:]
    message = f"{where}: {line}" if where else line
    return message, lines + [line]


def classify(exc: BaseException) -> tuple[str, str | None]:
    """(status, limit) for an exception that ended a call or an import."""
    if isinstance(exc, StudentFileMissing):
        return "missing", None
    if isinstance(exc, MemoryError):
        return "memory", "memory_mb"
    if isinstance(exc, RuntimeError):
        text = safe_text(exc).lower()
        if "can't allocate memory" in text or "out of memory" in text or "not enough memory" in text:
            return "memory", "memory_mb"
    return "error", None


# --------------------------------------------------------------------------------------
# Notebooks


def _statement_starts(source: str) -> set[int] | None:
    """Line numbers (1-based) where a new statement may begin, or None if the cell
    cannot be tokenized (then every line is a candidate for a magic)."""
    starts: set[int] = set()
    new_statement = True
    skip = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NEWLINE:
                new_statement = True
            elif tok.type in skip or tok.type == tokenize.ENDMARKER:
                continue
            elif new_statement:
                starts.add(tok.start[0])
                new_statement = False
    except (tokenize.TokenError, SyntaxError):
        return None
    return starts


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def notebook_cells(text: str, display: str) -> tuple[list[tuple[int, str]], list[str]]:
    """The code cells of a notebook as (cell number, source), with magics and shell
    escapes replaced by `pass` (or `x = None` for `x = !cmd`), and a note for each."""
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"{display} is not a valid notebook (invalid JSON: {type(exc).__name__})") from None
    cells = nb.get("cells") if type(nb) is dict else None
    if type(cells) is not list:
        raise NotebookError(f"{display} is not a valid notebook (no list of cells)")
    out: list[tuple[int, str]] = []
    notes: list[str] = []
    for number, cell in enumerate(cells, start=1):
        if type(cell) is not dict or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if type(source) is list and all(type(part) is str for part in source):
            source = "".join(source)
        if type(source) is not str:
            raise NotebookError(f"{display} cell {number} has no readable source")
        lines = source.split("\n")
        first = next((ln.strip() for ln in lines if ln.strip()), "")
        if first.startswith("%%"):
            notes.append(f"{display} cell {number}: skipped cell magic `{_shorten(first)}` (the whole cell)")
            continue
        candidates = _statement_starts(source)
        for index, line in enumerate(lines):
            lineno = index + 1
            stripped = line.lstrip()
            if not stripped or (candidates is not None and lineno not in candidates):
                continue
            indent = line[: len(line) - len(stripped)]
            shown = _shorten(stripped.rstrip())
            assigned = _ASSIGNED_ESCAPE.match(stripped)
            if stripped[0] in "!%":
                kind = "shell escape" if stripped[0] == "!" else "magic"
                lines[index] = indent + "pass"
            elif assigned:
                kind = "shell escape" if assigned["cmd"].startswith("!") else "magic"
                lines[index] = indent + f"{assigned['lhs']} = None"
            else:
                continue
            notes.append(f"{display} cell {number} line {lineno}: skipped {kind} `{shown}`")
        out.append((number, "\n".join(lines)))
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES] + [f"... and {len(notes) - MAX_NOTES} more skipped magics or shell escapes"]
    return out, notes
