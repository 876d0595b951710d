"""Running a notebook as a notebook: code cells top to bottom in one namespace, a failing
cell reported by cell and line while the cells that do not depend on it still run, and
every figure the cells draw (or the notebook saved) captured as a bounded PNG.

Runs in the sandboxed child on the student's notebook, and in the grader's process on the
instructor's reference notebook (trusted); it imports nothing of `grader`. What leaves the
child is plain data only: `NotebookRun.value` converts a name's value, `figures()` gives
PNG bytes as uint8 arrays and counts; the namespace itself never leaves.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import json
import linecache
import os
import re
import resource
import signal
import sys
import tokenize
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .codec import type_name
from .student import NotebookError, describe_exception, notebook_cells, safe_text

DEFAULT_ALIASES = ("/content/drive/MyDrive", "/content/drive/My Drive", "/content", "/kaggle/input", "/kaggle/working")
MAX_NOTEBOOK_BYTES = 32 << 20  # read at most this much of a notebook file
MAX_FIGURES = 20
MAX_SIDE_PX = 1600  # a captured figure is drawn at a dpi that keeps both sides within this
MAX_PNG_BYTES = 2 << 20
MAX_SAVED_IMAGE_B64 = 4 << 20  # base64 characters of one saved image/png output
MAX_PLOTLY_JSON = 8 << 20  # characters of one plotly output (JSON or HTML) parsed
MAX_TRACES = 20
MAX_POINTS = 200_000  # values in one plotly trace (a surface: rows x columns)
MAX_NOTES = 30
MAX_CELLS = 1000  # cells reported by notebook.cells


class CellTimeout(BaseException):
    """A cell ran past its wall-clock limit (BaseException: a student's `except Exception`
    does not swallow it)."""


class NameUnavailable(NameError):
    """A name a probe asked for that the executed notebook does not hold; the message says
    why (which cell's failure, or that no cell defines it). Reported as a NameError, the
    word students know."""


NameUnavailable.__qualname__ = "NameError"


@dataclass(frozen=True)
class NotebookConfig:
    """How one notebook of an assignment runs (the rubric's `notebooks.<module>`)."""

    cell_wall_s: float = 60.0
    cell_memory_mb: int | None = None
    wall_s: float = 600.0
    path_aliases: tuple[str, ...] = DEFAULT_ALIASES
    max_figures: int = MAX_FIGURES
    files: tuple[str, ...] = ()  # other names the student's file may have ("*lab1*.ipynb")

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> NotebookConfig:
        aliases = data.get("path_aliases")
        return cls(
            cell_wall_s=float(data.get("cell_wall_s", 60.0)),
            cell_memory_mb=int(data["cell_memory_mb"]) if data.get("cell_memory_mb") else None,
            wall_s=float(data.get("wall_s", 600.0)),
            path_aliases=tuple(aliases) if aliases is not None else DEFAULT_ALIASES,
            max_figures=int(data.get("max_figures", MAX_FIGURES)),
            files=tuple(str(f) for f in data.get("files") or ()),
        )


@dataclass
class CellReport:
    cell: int
    status: str  # ok | error | timeout | memory | not_run
    message: str = ""

    def plain(self) -> dict[str, Any]:
        return {"cell": self.cell, "status": self.status, "message": self.message}


@dataclass
class Figure:
    source: str
    cell: int | None
    png: bytes | None
    width: int = 0
    height: int = 0
    axes: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def plain(self) -> dict[str, Any]:
        import numpy as np

        return {
            "source": self.source,
            "cell": self.cell,
            "png": np.frombuffer(self.png, dtype=np.uint8).copy() if self.png else None,
            "width": self.width,
            "height": self.height,
            "axes": self.axes,
            "note": self.note,
        }


def find_notebook(files: Sequence[str], module: str, patterns: Sequence[str]) -> tuple[str | None, str | None]:
    """(the student's file for a notebook module, a note): `<module>.ipynb`, else
    `<module>.py`, else the first (sorted) top-level .ipynb/.py file whose name matches one
    of `patterns` (case-insensitive shell patterns, "*lab1*.ipynb"). The engine and the
    child both decide with this, so what is graded is what the page names."""
    import fnmatch

    top = sorted(f for f in files if "/" not in f)
    for name in (f"{module}.ipynb", f"{module}.py"):
        if name in top:
            return name, None
    for pattern in patterns:
        found = [f for f in top if f.lower().endswith((".ipynb", ".py")) and fnmatch.fnmatch(f.lower(), pattern.lower())]
        if found:
            note = None
            if len(found) > 1:
                note = f"{len(found)} files could be {module}: {', '.join(found[:5])}; {found[0]} was run"
            return found[0], note
    return None, None


# --------------------------------------------------------------------------------------
# Source analysis


def defined_names(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the notebook's namespace."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name.split(".")[0]) for a in stmt.names if a.name != "*"}
    names: set[str] = set()
    for sub in ast.walk(stmt):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) and sub is not stmt:
            continue
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name.split(".")[0]) for a in sub.names if a.name != "*"}
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
    return names


def read_names(tree: ast.Module) -> set[str]:
    """Every name a cell reads (loads) anywhere, functions' bodies included: a function
    that uses a missing global fails when called, so the cell depends on it."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


_PATH_CHARS = re.compile(r"^[^\x00\n]{1,400}$")


def rewrite_aliases(source: str, aliases: Sequence[str], data_names: frozenset[str]) -> tuple[str, list[tuple[int, str, str]]]:
    """Rewrite string literals that start with an absolute path alias (a Colab drive folder)
    to the same file in the working folder: a data file by its name, a folder as `.`.
    Returns the new source and (line, old, new) for each rewrite."""
    if not aliases or not any(a in source for a in aliases):
        return source, []
    edits: list[tuple[tuple[int, int], tuple[int, int], str, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source, []
    for tok in tokens:
        if tok.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if type(value) is not str or not _PATH_CHARS.match(value):
            continue
        new = _alias_target(value, aliases, data_names)
        if new is None:
            continue
        edits.append((tok.start, tok.end, repr(new), value))
    if not edits:
        return source, []
    lines = source.splitlines(keepends=True)
    done: list[tuple[int, str, str]] = []
    for (srow, scol), (erow, ecol), text, old in sorted(edits, reverse=True):
        if srow != erow:
            continue  # a multi-line literal is no path
        line = lines[srow - 1]
        lines[srow - 1] = line[:scol] + text + line[ecol:]
        done.append((srow, old, text[1:-1]))
    return "".join(lines), sorted(done)


def _alias_target(value: str, aliases: Sequence[str], data_names: frozenset[str]) -> str | None:
    for alias in sorted(aliases, key=len, reverse=True):
        base = alias.rstrip("/")
        if value != base and not value.startswith(base + "/"):
            continue
        rest = value[len(base):].strip("/")
        name = rest.rsplit("/", 1)[-1] if rest else ""
        if name and name in data_names:
            return name
        if name and "." in name:
            return name  # a file: the working folder's file of that name (or a clear FileNotFoundError)
        return "./" if value.endswith("/") else "."
    return None


# --------------------------------------------------------------------------------------
# The environment's matplotlib


def use_capture_backend() -> bool:
    """Make matplotlib headless with a `show()` that hands figures to the running notebook
    (Jupyter's inline behaviour); True when matplotlib is importable. Called in the zygote
    before pyplot is imported, and on the trusted side before a reference notebook runs."""
    try:
        import importlib

        import matplotlib

        importlib.import_module(f"{__package__}.mplcapture")  # now: a child cannot read this folder
    except ImportError:
        return False
    backend = f"module://{__package__}.mplcapture"
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].switch_backend(backend)
    else:
        matplotlib.use(backend)
    return True


def _capture_sink() -> list[Callable[[], None]]:
    """The capture backend's sink, where it was loaded (before the child was sandboxed:
    this package's folder is not readable there); else a list nothing reads (figures are
    then captured at the end of each cell only)."""
    module = sys.modules.get(f"{__package__}.mplcapture")
    sink = getattr(module, "SINK", None)
    return sink if isinstance(sink, list) else []


def _open_figures() -> list[Any]:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    try:
        return [pyplot.figure(n) for n in pyplot.get_fignums()]
    except Exception:  # noqa: BLE001 - the student's pyplot state may be anything
        return []


def _close(fig: Any) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    with contextlib.suppress(Exception):  # the student's pyplot state may be anything
        pyplot.close(fig)


def describe_axes(fig: Any) -> list[dict[str, Any]]:
    """What a figure holds, per axes: its projection and how many lines, 3-D surfaces,
    images and other collections; title and labels (bounded text)."""
    out: list[dict[str, Any]] = []
    for ax in list(getattr(fig, "axes", []))[:50]:
        try:
            collections = list(ax.collections)
            surfaces = sum(1 for c in collections if type(c).__name__ in ("Poly3DCollection",))
            out.append({
                "projection": safe_text(getattr(ax, "name", ""), 40),
                "lines": len(ax.lines),
                "surfaces": surfaces,
                "images": len(ax.images),
                "collections": len(collections) - surfaces,
                "title": safe_text(ax.get_title(), 200),
                "xlabel": safe_text(ax.get_xlabel(), 200),
                "ylabel": safe_text(ax.get_ylabel(), 200),
            })
        except Exception as exc:  # noqa: BLE001 - a student's artist may raise anything
            out.append({"projection": "", "lines": 0, "surfaces": 0, "images": 0, "collections": 0,
                        "title": "", "xlabel": "", "ylabel": "", "error": safe_text(exc, 200)})
    return out


def render_png(fig: Any) -> tuple[bytes | None, int, int, str]:
    """(PNG bytes, width, height, note): the figure drawn at a dpi that keeps it within
    MAX_SIDE_PX, or None and why not."""
    try:
        w_in, h_in = (float(v) for v in fig.get_size_inches())
        dpi = float(fig.get_dpi())
        if not (w_in > 0 and h_in > 0 and dpi > 0):
            return None, 0, 0, "the figure has no size"
        dpi = min(dpi, MAX_SIDE_PX / w_in, MAX_SIDE_PX / h_in)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        data = buf.getvalue()
    except Exception as exc:  # noqa: BLE001 - drawing the student's figure may fail
        return None, 0, 0, f"the figure could not be drawn: {type(exc).__name__}: {safe_text(exc, 200)}"
    if len(data) > MAX_PNG_BYTES:
        return None, 0, 0, f"the figure's PNG is larger than {MAX_PNG_BYTES >> 20} MB"
    width, height = png_size(data)
    return data, width, height, ""


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24 or data[12:16] != b"IHDR":
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --------------------------------------------------------------------------------------
# Saved outputs: image/png and plotly


def _numbers(value: Any, limit: int) -> Any:
    """A plotly array (a list, nested lists, or plotly 6's {dtype, bdata, shape}) as a
    float numpy array, or None when it is not numbers or too large."""
    import numpy as np

    if type(value) is dict and type(value.get("bdata")) is str and type(value.get("dtype")) is str:
        dtype = value["dtype"]
        if dtype not in ("f8", "f4", "i1", "i2", "i4", "u1", "u2", "u4"):
            return None
        if len(value["bdata"]) > limit * 12:
            return None
        try:
            arr = np.frombuffer(base64.b64decode(value["bdata"], validate=True), dtype=np.dtype(dtype).newbyteorder("<"))
        except (ValueError, TypeError):
            return None
        shape = value.get("shape")
        if isinstance(shape, str):
            try:
                dims = [int(s) for s in shape.split(",")]
                arr = arr.reshape(dims)
            except ValueError:
                return None
        return arr.astype(float) if arr.size <= limit else None
    if type(value) is not list:
        return None
    count = 0

    def walk(v: Any, depth: int) -> Any:
        nonlocal count
        if depth > 3:
            raise ValueError
        if type(v) is list:
            return [walk(x, depth + 1) for x in v]
        count += 1
        if count > limit:
            raise ValueError
        if v is None:
            return float("nan")
        if type(v) in (int, float) and type(v) is not bool:
            return float(v)
        raise ValueError

    try:
        arr = np.asarray(walk(value, 0), dtype=float)
    except (ValueError, TypeError):
        return None
    return arr


def _plotly_traces_from_html(html: str) -> Any:
    index = html.find("Plotly.newPlot(")
    if index < 0:
        return None
    decoder = json.JSONDecoder()
    rest = html[index + len("Plotly.newPlot("):]
    # first argument: the div id (a string literal); then the data array
    comma = rest.find(",")
    if comma < 0:
        return None
    start = rest[comma + 1:].lstrip()
    try:
        value, _ = decoder.raw_decode(start)
    except (ValueError, RecursionError):
        return None
    return {"data": value} if type(value) is list else None


def render_plotly(spec: Any) -> tuple[bytes | None, int, int, list[dict[str, Any]], str]:
    """Draw a plotly figure's traces (scatter, scatter3d, surface) with matplotlib, bounded;
    (png, w, h, axes, note), with png None and why when it cannot be rendered."""
    if type(spec) is not dict or type(spec.get("data")) is not list:
        return None, 0, 0, [], "a plotly output without traces could not be rendered"
    traces = spec["data"][:MAX_TRACES]
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MplFigure
    except ImportError:
        return None, 0, 0, [], "a plotly output could not be rendered (no matplotlib)"
    fig = MplFigure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    three_d = any(type(t) is dict and t.get("type") in ("scatter3d", "surface", "mesh3d") for t in traces)
    if three_d:
        try:
            import mpl_toolkits.mplot3d  # type: ignore[import-untyped]  # noqa: F401 - registers the 3d projection
        except ImportError:
            return None, 0, 0, [], "a 3-D plotly output could not be rendered"
    ax: Any = fig.add_subplot(projection="3d" if three_d else None)
    drawn = 0
    skipped: list[str] = []
    for trace in traces:
        kind = trace.get("type", "scatter") if type(trace) is dict else None
        if type(kind) is not str:
            skipped.append("?")
            continue
        try:
            if kind == "surface":
                z = _numbers(trace.get("z"), MAX_POINTS)
                if z is None or z.ndim != 2 or z.size == 0:
                    raise ValueError
                import numpy as np

                x = _numbers(trace.get("x"), MAX_POINTS)
                y = _numbers(trace.get("y"), MAX_POINTS)
                rows, cols = z.shape
                if x is None or x.ndim != 1 or len(x) != cols:
                    x = np.arange(cols, dtype=float)
                if y is None or y.ndim != 1 or len(y) != rows:
                    y = np.arange(rows, dtype=float)
                xx, yy = np.meshgrid(x, y)
                ax.plot_surface(xx, yy, z, cmap="viridis")
            elif kind in ("scatter", "scattergl", "scatter3d"):
                x = _numbers(trace.get("x"), MAX_POINTS)
                y = _numbers(trace.get("y"), MAX_POINTS)
                if y is None or y.ndim != 1:
                    raise ValueError
                if x is None or x.ndim != 1 or len(x) != len(y):
                    import numpy as np

                    x = np.arange(len(y), dtype=float)
                mode = trace.get("mode") if type(trace.get("mode")) is str else "lines"
                style = "-" if "lines" in mode else "o"
                if kind == "scatter3d" and three_d:
                    z = _numbers(trace.get("z"), MAX_POINTS)
                    if z is None or z.ndim != 1 or len(z) != len(y):
                        raise ValueError
                    ax.plot(x, y, z, style)
                elif three_d:
                    ax.plot(x, y, 0, style)
                else:
                    ax.plot(x, y, style)
            else:
                skipped.append(kind[:30])
                continue
            drawn += 1
        except (ValueError, TypeError, MemoryError):
            skipped.append(kind[:30])
    if not drawn:
        return None, 0, 0, [], f"a plotly output could not be rendered (traces: {', '.join(skipped) or 'none'})"
    layout: dict[str, Any] = spec["layout"] if type(spec.get("layout")) is dict else {}
    title = layout.get("title")
    if type(title) is dict:
        title = title.get("text")
    if type(title) is str:
        ax.set_title(title[:200])
    png, w, h, note = render_png(fig)
    if skipped:
        note = (note + "; " if note else "") + f"plotly traces not drawn: {', '.join(skipped)}"
    return png, w, h, describe_axes(fig), ("re-drawn from the notebook's plotly output" + (f"; {note}" if note else ""))


def saved_figures(nb: Any, limit: int) -> list[Figure]:
    """The figures a notebook carries in its saved outputs (bounded; validated later by
    the grader as any other PNG)."""
    out: list[Figure] = []
    cells = nb.get("cells") if type(nb) is dict else None
    if type(cells) is not list:
        return out
    for number, cell in enumerate(cells, start=1):
        if type(cell) is not dict or cell.get("cell_type") != "code" or type(cell.get("outputs")) is not list:
            continue
        for output in cell["outputs"][:50]:
            if len(out) >= limit:
                return out
            data = output.get("data") if type(output) is dict else None
            if type(data) is not dict:
                continue
            where = f"saved output of cell {number}"
            plotly = data.get("application/vnd.plotly.v1+json")
            html = data.get("text/html")
            if type(html) is list and all(type(p) is str for p in html):
                html = "".join(html)
            png = data.get("image/png")
            if type(png) is list and all(type(p) is str for p in png):
                png = "".join(png)
            if plotly is not None or (type(html) is str and "Plotly.newPlot(" in html[:MAX_PLOTLY_JSON]):
                if plotly is None:
                    spec = _plotly_traces_from_html(str(html)[:MAX_PLOTLY_JSON])
                else:
                    spec = plotly
                image, w, h, axes, note = render_plotly(spec)
                out.append(Figure(where, number, image, w, h, axes, note))
            elif type(png) is str:
                if len(png) > MAX_SAVED_IMAGE_B64:
                    out.append(Figure(where, number, None, note="a saved image larger than 3 MB was not read"))
                    continue
                try:
                    raw = base64.b64decode("".join(png.split()), validate=True)
                except ValueError:
                    out.append(Figure(where, number, None, note="a saved image that is not valid base64"))
                    continue
                w, h = png_size(raw)
                out.append(Figure(where, number, raw if w else None, w, h, [], "" if w else "a saved image that is not a PNG"))
    return out


# --------------------------------------------------------------------------------------
# Running


def _cell_filename(nb_path: str, number: int) -> str:
    return f"{nb_path}[cell {number}]"


def _values_plain(value: Any, depth: int = 0) -> Any:
    """A value of the student's namespace as plain data (numbers, str, lists, dicts, numpy
    arrays); torch tensors and pandas objects become arrays. Raises TypeError naming what
    cannot be converted."""
    import numpy as np

    if depth > 20:
        raise TypeError("a value nested more than 20 levels deep")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufcU":
            raise TypeError(f"a numpy array of dtype {value.dtype}")
        return np.array(value, copy=True)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().to("cpu").numpy().copy()
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)):
        return _values_plain(value.to_numpy(), depth + 1)
    if kind in (list, tuple):
        return [_values_plain(v, depth + 1) for v in value]
    if kind is dict:
        return {str(k): _values_plain(v, depth + 1) for k, v in value.items()}
    raise TypeError(f"a {kind.__name__}, which is not plain data")


class NotebookRun:
    """One execution of a notebook: its namespace (kept here, never sent), a report per
    cell, why each missing name is missing, the notes and the captured figures."""

    def __init__(self, display: str, module: types.ModuleType) -> None:
        self.display = display
        self.module = module
        self.namespace: dict[str, Any] = module.__dict__
        self.reports: list[CellReport] = []
        self.missing_because: dict[str, str] = {}  # name -> the failure that left it undefined
        self.defined_anywhere: set[str] = set()
        self.notes: list[str] = []
        self._figures: list[Figure] = []
        self.saved: list[Figure] = []
        self.max_figures = MAX_FIGURES

    def has(self, name: str) -> bool:
        return name in self.namespace

    def get(self, name: str) -> Any:
        """The object bound to `name` (for a probe in the same process), or NameUnavailable."""
        if type(name) is not str or not name.isidentifier():
            raise ValueError(f"not a name: {name!r}")
        if name in self.namespace:
            return self.namespace[name]
        if name in self.missing_because:
            raise NameUnavailable(f"{name} was not defined: {self.missing_because[name]}")
        raise NameUnavailable(f"{name} is not defined anywhere in {self.display}")

    def value(self, name: str, attr: str | None = None) -> Any:
        """`name` (then `.attr`, dotted) as plain data."""
        obj = self.get(name)
        for part in (attr.split(".") if attr else []):
            if not part.isidentifier() or part.startswith("__"):
                raise ValueError(f"not an attribute name: {part!r}")
            obj = obj[part] if type(obj) is dict else getattr(obj, part)
        try:
            return _values_plain(obj)
        except TypeError as exc:
            raise TypeError(f"{name}{'.' + attr if attr else ''} is {exc}") from None

    def figures(self) -> list[dict[str, Any]]:
        """Every captured figure (drawn by the cells, then saved in the notebook), plain."""
        return [f.plain() for f in (self._figures + self.saved)[: self.max_figures]]

    def cells(self) -> list[dict[str, Any]]:
        """Per code cell (at most MAX_CELLS): its status and message."""
        return [r.plain() for r in self.reports[:MAX_CELLS]]

    # -- capture

    def capture(self, cell: int, figs: Sequence[Any]) -> None:
        for fig in figs:
            if len(self._figures) >= self.max_figures:
                _close(fig)
                continue
            png, w, h, note = render_png(fig)
            self._figures.append(Figure(f"cell {cell}", cell, png, w, h, describe_axes(fig), note))
            _close(fig)


class _Shown:
    """What IPython.display's HTML/Markdown/Image/Latex return: kept, never rendered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


def _ipython_shim(show: Callable[[Any], None]) -> dict[str, types.ModuleType]:
    """`IPython` and `IPython.display` as a notebook sees them in Jupyter, where the
    environment has no IPython: `display(fig)` captures a figure, `clear_output()` and the
    rich-output classes do nothing, `get_ipython()` is None. Students' training loops call
    these; without them every such cell would fail."""
    ipython = types.ModuleType("IPython")
    shown = types.ModuleType("IPython.display")

    def display(*objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            show(obj)

    def clear_output(*args: Any, **kwargs: Any) -> None:
        return None

    for name in ("HTML", "Markdown", "Image", "Latex", "Math", "JSON", "SVG"):
        setattr(shown, name, type(name, (_Shown,), {}))
    shown.display = display  # type: ignore[attr-defined]
    shown.clear_output = clear_output  # type: ignore[attr-defined]
    ipython.display = shown  # type: ignore[attr-defined]
    ipython.get_ipython = lambda: None  # type: ignore[attr-defined]
    ipython.version_info = (0, 0, 0, "grader")  # type: ignore[attr-defined]  # read by matplotlib where IPython is loaded
    return {"IPython": ipython, "IPython.display": shown}


def _read_notebook(path: str, display: str) -> tuple[Any, str]:
    with open(path, "rb") as fh:
        raw = fh.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{display} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    text = raw.decode("utf-8", errors="replace")
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"{display} is not a valid notebook (invalid JSON: {type(exc).__name__})") from None
    return nb, text


def run_notebook(
    path: str,
    name: str,
    config: NotebookConfig,
    *,
    workdir: str,
    data_names: frozenset[str] = frozenset(),
    limits: bool = True,
    before_cell: Callable[[], None] | None = None,
) -> NotebookRun:
    """Execute the code cells of `path` (a .ipynb, or a .py run as one cell) top to bottom
    in a fresh module `name`. With `limits` (in the sandbox), each cell runs under a
    wall-clock alarm and a lowered address-space limit."""
    display = os.path.basename(path)
    module = types.ModuleType(name)
    module.__file__ = path
    run = NotebookRun(display, module)
    run.max_figures = config.max_figures
    if path.endswith(".py"):
        with open(path, "rb") as fh:
            source = fh.read(MAX_NOTEBOOK_BYTES).decode("utf-8", errors="replace")
        cells = [(1, source)]
    else:
        nb, text = _read_notebook(path, display)
        cells, notes = notebook_cells(text, display)
        run.notes += notes
        run.saved = saved_figures(nb, config.max_figures)

    sink = _capture_sink()

    def shown() -> None:
        run.capture(current[0], _open_figures())

    current = [0]
    sink.append(shown)

    def display_one(obj: Any) -> None:
        if type(obj).__name__ == "Figure" and hasattr(obj, "savefig"):
            run.capture(current[0], [obj])

    shims: dict[str, types.ModuleType] = {}
    try:
        import IPython  # type: ignore[import-not-found, unused-ignore]  # noqa: F401 - the real one, where installed
    except ImportError:
        shims = {k: v for k, v in _ipython_shim(display_one).items() if k not in sys.modules}
        sys.modules.update(shims)
    module.__dict__["display"] = getattr(sys.modules.get("IPython.display"), "display", None) or (lambda *o, **k: None)
    poisoned: dict[str, str] = {}
    try:
        for number, source in cells:
            current[0] = number
            source, rewrites = rewrite_aliases(source, config.path_aliases, data_names)
            for line, old, new in rewrites:
                run.notes.append(f"{display} cell {number} line {line}: the path {old!r} was read as {new!r} in the working folder")
            filename = path if path.endswith(".py") else _cell_filename(path, number)  # a .py keeps its name
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            where = f"{display} cell {number}" if not path.endswith(".py") else display
            try:
                tree = ast.parse(source, filename)
            except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
                message, _ = describe_exception(exc, workdir)
                run.reports.append(CellReport(number, "error", message))
                run.notes.append(f"{where} did not run: {message}")
                continue
            statements = [(stmt.lineno, defined_names(stmt)) for stmt in tree.body]
            for _, names in statements:
                run.defined_anywhere |= names
            needs = sorted(n for n in read_names(tree) if n in poisoned and n not in run.namespace)
            if needs:
                message = f"not run: it uses {', '.join(needs[:5])}, not defined because of {poisoned[needs[0]]}"
                run.reports.append(CellReport(number, "not_run", message))
                run.notes.append(f"{where} {message}")
                for _, names in statements:
                    for n in names:
                        poisoned.setdefault(n, poisoned[needs[0]])
                continue
            if before_cell is not None:
                before_cell()
            status, failure = _exec_cell(tree, filename, module.__dict__, config if limits else None)
            with contextlib.suppress(Exception):  # capture is best effort; the cell's result stands
                run.capture(number, _open_figures())
            if status == "ok":
                for _, names in statements:
                    for n in names:
                        poisoned.pop(n, None)
                run.reports.append(CellReport(number, "ok"))
                continue
            assert failure is not None
            message, _ = describe_exception(failure, workdir)
            if status == "timeout":
                message = f"{where}: stopped after {config.cell_wall_s:g} s (the time limit of one cell)"
            elif status == "memory":  # numpy's _ArrayMemoryError is a MemoryError to the student
                message = message.replace(f"{type_name(failure)}:", "MemoryError:", 1)
                message = f"{message} (the memory limit of one cell)" if where in message else f"{where}: {message} (the memory limit of one cell)"
            run.reports.append(CellReport(number, status, message))
            run.notes.append(message if message.startswith(display) else f"{where}: {message}")
            failed_line = _failing_line(failure, filename)
            start = _statement_start(tree, failed_line) if failed_line is not None else 0
            for lineno, names in statements:
                if lineno >= start:
                    for n in names:
                        poisoned[n] = message if message.startswith(display) else f"{where}: {message}"
    finally:
        if sink and sink[-1] is shown:
            sink.pop()
        for shim_name, shim in shims.items():
            if sys.modules.get(shim_name) is shim:
                del sys.modules[shim_name]
    run.missing_because = {n: why for n, why in poisoned.items() if n not in run.namespace}
    if len(run.notes) > MAX_NOTES:
        run.notes = run.notes[:MAX_NOTES] + [f"... and {len(run.notes) - MAX_NOTES} more notes on {display}"]
    return run


def _statement_start(tree: ast.Module, line: int) -> int:
    """The first line of the top-level statement holding `line`."""
    start = 0
    for stmt in tree.body:
        if stmt.lineno <= line:
            start = stmt.lineno
    return start


def _failing_line(exc: BaseException, filename: str) -> int | None:
    """The line of the cell's own (top-level) frame where `exc` passed."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
            break
        tb = tb.tb_next
    return found


def _exec_cell(tree: ast.Module, filename: str, namespace: dict[str, Any], config: NotebookConfig | None) -> tuple[str, BaseException | None]:
    """Run one cell; (status, exception)."""
    code = compile(tree, filename, "exec", dont_inherit=True)
    old_handler: Any = None
    old_as: tuple[int, int] | None = None
    if config is not None:

        def alarm(signum: int, frame: Any) -> None:
            raise CellTimeout()

        old_handler = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, config.cell_wall_s)
        if config.cell_memory_mb:
            old_as = resource.getrlimit(resource.RLIMIT_AS)
            used = _address_space()
            soft = used + (config.cell_memory_mb << 20)
            hard = old_as[1]
            if hard == resource.RLIM_INFINITY or soft < hard:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    try:
        exec(code, namespace)  # noqa: S102 - the student's code, sandboxed (or the trusted reference)
    except CellTimeout as exc:
        return "timeout", exc
    except MemoryError as exc:
        return "memory", exc
    except BaseException as exc:  # noqa: BLE001 - a cell's failure is a result
        return "error", exc
    finally:
        if config is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler if old_handler is not None else signal.SIG_DFL)
            if old_as is not None:
                try:
                    resource.setrlimit(resource.RLIMIT_AS, old_as)
                except (ValueError, OSError):
                    pass
    return "ok", None


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------------------
# Hidden data in the handout's format


def write_data(path: str, data: Any) -> None:
    """Write `data` where the student's code reads it, in the format its name says:
    .mat (scipy.io.savemat: a dict of arrays), .npz (numpy.savez: a dict of arrays),
    .csv (one 2-D array, or a dict of equal-length columns with a header line)."""
    import numpy as np

    ext = path.rsplit(".", 1)[-1].lower()
    if ext == "mat":
        import scipy.io  # type: ignore[import-untyped]

        if type(data) is not dict:
            raise ValueError(f"{os.path.basename(path)}: .mat data is a mapping of variable names to arrays")
        scipy.io.savemat(path, {str(k): np.asarray(v) for k, v in data.items()})
    elif ext == "npz":
        if type(data) is not dict:
            raise ValueError(f"{os.path.basename(path)}: .npz data is a mapping of names to arrays")
        arrays: dict[str, Any] = {str(k): np.asarray(v) for k, v in data.items()}
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
    elif ext == "csv":
        if type(data) is dict:
            columns = [np.asarray(v).reshape(-1) for v in data.values()]
            if len({len(c) for c in columns}) > 1:
                raise ValueError(f"{os.path.basename(path)}: columns of different lengths")
            table = np.column_stack(columns) if columns else np.zeros((0, 0))
            np.savetxt(path, table, delimiter=",", header=",".join(str(k) for k in data), comments="")
        else:
            np.savetxt(path, np.atleast_2d(np.asarray(data)), delimiter=",")
    else:
        raise ValueError(f"{os.path.basename(path)}: data files are .mat, .npz or .csv")
