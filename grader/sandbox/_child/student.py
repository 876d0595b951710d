"""The student's side of a probe: loading the student's modules (a .py file, or a notebook
whose code cells in order form the module), the context a probe receives, and turning a
student's exception into a message and a traceback of the student's own frames.

Runs in the sandboxed child only, after every isolation layer is in place.
"""

from __future__ import annotations

import importlib.util
import io
import json
import linecache
import pathlib
import re
import sys
import tokenize
import traceback
import types
from collections.abc import Mapping, Sequence

from .codec import type_name
from .sourceonly import SourceOnlyLoader

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
    except Exception:  # a frame walk is best effort; the message below still stands
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


# --------------------------------------------------------------------------------------
# Loading the student's modules


def load_student_module(name: str, workdir: str, notes: list[str] | None = None) -> tuple[types.ModuleType, list[str]]:
    """Import the student's `name` from `workdir` (name.py, else name.ipynb), registered in
    sys.modules; returns the module and notes (skipped magics, which file was used). The
    notes are also appended to `notes` as they are found, so that they survive an import
    that fails in a later cell."""
    base = pathlib.Path(workdir)
    py, nb = base / f"{name}.py", base / f"{name}.ipynb"
    notes = notes if notes is not None else []
    if py.is_file():
        if nb.is_file():
            notes.append(f"both {name}.py and {name}.ipynb were submitted; {name}.py was used")
        spec = importlib.util.spec_from_file_location(name, py, loader=SourceOnlyLoader(name, str(py)))  # never a .pyc
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module, notes
    if not nb.is_file():
        raise StudentFileMissing(f"{name}.py (or {name}.ipynb) was not submitted")
    cells, cell_notes = notebook_cells(nb.read_text(encoding="utf-8", errors="replace"), nb.name)
    notes += cell_notes
    module = types.ModuleType(name)
    module.__file__ = str(nb)
    sys.modules[name] = module
    try:
        for number, source in cells:
            filename = f"{nb}[cell {number}]"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - the student's code, sandboxed
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module, notes


def _digest(value: object) -> str:
    """A digest of plain data (hidden data sets), to run a notebook once per data set."""
    import hashlib

    import numpy as np

    h = hashlib.sha256()

    def walk(v: object) -> None:
        if type(v) is dict:
            h.update(b"{")
            for k in sorted(v, key=str):
                h.update(str(k).encode() + b":")
                walk(v[k])
            h.update(b"}")
        elif type(v) in (list, tuple):
            h.update(b"[")
            for item in v:  # type: ignore[attr-defined]
                walk(item)
            h.update(b"]")
        elif isinstance(v, np.ndarray):
            h.update(f"a{v.dtype.str}{v.shape}".encode() + np.ascontiguousarray(v).tobytes())
        else:
            h.update(repr(v).encode())

    walk(value)
    return h.hexdigest()


class ProbeContext:
    """What a probe receives: the device, the student's modules, the support data files."""

    def __init__(
        self,
        *,
        device: str,
        workdir: str,
        support_dir: str,
        support_names: Sequence[str],
        support_modules: Mapping[str, types.ModuleType],
        notebooks: Mapping[str, Mapping[str, object]] | None = None,
        limits: bool = True,
    ) -> None:
        self.device = device
        self._workdir = workdir
        self._support_dir = pathlib.Path(support_dir)
        self._support_names = frozenset(support_names)
        self._support_modules = dict(support_modules)
        self._loaded: dict[str, types.ModuleType] = {}
        self._notebooks = dict(notebooks or {})
        self._runs: dict[str, object] = {}
        self._limits = limits
        self.notes: list[str] = []

    def module(self, name: str) -> types.ModuleType:
        """The student's module `name` (imported once per child), or a course module such
        as the scaffold; StudentFileMissing when the student has no such file."""
        if type(name) is not str or not name.isidentifier():
            raise ValueError(f"not a module name: {name!r}")
        if name in self._support_modules:
            return self._support_modules[name]
        if name in self._notebooks:
            return self.notebook(name).module  # type: ignore[attr-defined, no-any-return]
        if name not in self._loaded:
            notes: list[str] = []
            try:
                self._loaded[name], _ = load_student_module(name, self._workdir, notes)
            finally:  # a cell that fails the import does not lose the notes on earlier cells
                for note in notes:
                    self._note(note)
        return self._loaded[name]

    def notebook(self, name: str, data: Mapping[str, object] | None = None) -> object:
        """The run of the student's notebook `name` (name.ipynb, else name.py) executed cell
        by cell as the rubric's `notebooks.<name>` says (once per child, per data); with
        `data` ({file name: content}), hidden data is first written over those files of the
        working folder, in the format their names say, and the notebook runs afresh."""
        from .notebook import NotebookConfig, run_notebook, write_data

        if type(name) is not str or not name.isidentifier():
            raise ValueError(f"not a module name: {name!r}")
        key = name if not data else name + "\x00" + _digest(data)
        if key in self._runs:
            return self._runs[key]
        from .notebook import find_notebook

        base = pathlib.Path(self._workdir)
        config = NotebookConfig.from_plain(self._notebooks.get(name, {}))
        listing = [p.name for p in base.iterdir() if p.is_file()]
        found, note = find_notebook(listing, name, config.files)
        if found is None:
            raise StudentFileMissing(f"{name}.ipynb was not submitted")
        path = base / found
        if note:
            self._note(note)
        if found == f"{name}.ipynb" and (base / f"{name}.py").is_file():
            self._note(f"both {name}.ipynb and {name}.py were submitted; {name}.ipynb was run")
        saved: dict[pathlib.Path, bytes | None] = {}
        for file, content in (data or {}).items():
            target = base / str(file)
            if "/" in str(file) or str(file).startswith(".") or not str(file):
                raise ValueError(f"hidden data file name {file!r} is not a plain file name")
            saved[target] = target.read_bytes() if target.is_file() else None
            write_data(str(target), content)
        try:
            names = frozenset(p.name for p in base.iterdir() if p.is_file())
            run = run_notebook(str(path), name, config, workdir=self._workdir, data_names=names, limits=self._limits)
        finally:
            for target, old in saved.items():
                if old is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(old)
        if not data:
            for note in run.notes:
                self._note(note)
        self._runs[key] = run
        return run

    def figures(self, limit: int = 20) -> list[dict[str, object]]:
        """The matplotlib figures the student's code (a module's functions, as a probe
        called them) has left open, as plain data (PNG bytes and what they hold, as a
        notebook's `figures()`), then closed: for a `figure` check on a function that plots."""
        from .notebook import Figure, _close, _open_figures, describe_axes, render_png

        out: list[dict[str, object]] = []
        for number, fig in enumerate(_open_figures(), start=1):
            if len(out) < limit:
                png, width, height, note = render_png(fig)
                out.append(Figure(f"figure {number}", None, png, width, height, describe_axes(fig), note).plain())
            _close(fig)
        return out

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def data_path(self, name: str) -> pathlib.Path:
        """The path of a support data file of the assignment (read-only)."""
        if name not in self._support_names:
            raise FileNotFoundError(f"{name!r} is not a support file of this assignment")
        return self._support_dir / name

    def __repr__(self) -> str:
        return f"ProbeContext(device={self.device!r})"
