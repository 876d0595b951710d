"""Reading values out of write-up text: numbers, vectors, matrices, assignments, tables.

Numbers in any common notation: ``-0.25``, ``+1``, ``1.0e-4``, ``1E-4``, ``1x10^-4``,
``1×10^{-4}``, ``1.0058 \\times 10^{-4}``, ``1.0058 \\cdot 10^{-4}``, ``\\frac{1}{4}``,
``352,800`` (a thousands separator only where the groups are of three digits), the
Unicode minus. Vectors as ``[a, b, c]``, ``(a, b, c)``, ``[a \\quad b \\quad c]^T``, a
``bmatrix`` column or row; matrices as LaTeX ``bmatrix``/``pmatrix``/``array``,
``[[...], [...]]`` lists, or plain-text rows of numbers. Everything here is pure text in,
plain data out, and never guesses: a value that cannot be read is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Assignment",
    "as_plain",
    "assignments",
    "find_matrices",
    "find_vectors",
    "name_key",
    "numbers_in",
    "parse_number",
    "row_numbers",
    "split_cells",
    "tidy_number",
]

_NUM = r"(?:[-+])?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TIMES_TEN = (r"\s*(?:\\times|\\cdot|\u00d7|\u00b7|\*|x)\s*10\s*\^\s*(?:\{\s*([-+]?\s?\d+)\s*\}|\(\s*([-+]?\d+)\s*\)|"
              r"([-+]?\d+))")
_NUMBER = re.compile(rf"(?<![\w.])({_NUM})(?:{_TIMES_TEN})?(?![\w.]*\d)")
_FRAC = re.compile(r"([-+]?)\s*\\[dt]?frac\s*\{\s*(\d+(?:\.\d+)?)\s*\}\s*\{\s*(\d+(?:\.\d+)?)\s*\}")
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def tidy_number(x: float) -> int | float:
    """An integral float as an int (``-1.0`` -> ``-1``), other floats unchanged."""
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else x


def as_plain(text: str) -> str:
    """LaTeX decorations removed: math delimiters, spacing, \\left/\\right, \\text{}, bold wrappers."""
    s = text
    s = re.sub(r"\\(?:text|textrm|mathrm|mathbf|boldsymbol|bm|mathit|operatorname|textbf|emph)\s*\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?\s*(?=[(\[\]).|]|\\[{}])", "", s)
    s = re.sub(r"\\(?:quad|qquad|,|;|:|!|\s)", " ", s)
    s = s.replace("$", " ").replace("~", " ").replace("\\{", "{").replace("\\}", "}")
    s = s.replace("\\ldots", " ").replace("\\dots", " ").replace("\\cdots", " ")
    return s


def parse_number(text: str) -> float | None:
    """The number ``text`` is, whole (surrounding spaces, $ and a final period allowed)."""
    s = as_plain(text).strip().rstrip(".").strip()
    if not s:
        return None
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    m = _FRAC.fullmatch(s)
    if m:
        value = float(m.group(2)) / float(m.group(3))
        return -value if m.group(1) == "-" else value
    m = _NUMBER.fullmatch(s)
    if m is None:
        return None
    return _value(m)


def _value(m: re.Match[str]) -> float | None:
    try:
        base = float(m.group(1).replace(" ", ""))
    except ValueError:
        return None
    exp = m.group(2) or m.group(3) or m.group(4)
    if exp is not None:
        return base * 10.0 ** int(exp.replace(" ", ""))
    return base


def numbers_in(text: str) -> list[tuple[float, int, int]]:
    """Every number in ``text`` with its span, in order (fractions included)."""
    s = as_plain(text)
    out: list[tuple[float, int, int]] = []
    taken: list[tuple[int, int]] = []
    for m in _FRAC.finditer(s):
        v = float(m.group(2)) / float(m.group(3))
        out.append((-v if m.group(1) == "-" else v, m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in _NUMBER.finditer(s):
        if any(a <= m.start() < b for a, b in taken):
            continue
        w = _value(m)
        if w is not None:
            out.append((w, m.start(), m.end()))
    out.sort(key=lambda t: t[1])
    return out


def split_cells(line: str) -> list[str]:
    """Cells of a table row: by tabs, by ``|`` (Markdown), by ``&`` (LaTeX), else by spaces."""
    s = line.strip()
    if "\t" in s:
        cells = [c.strip() for c in s.split("\t")]
    elif s.startswith("|") or s.count("|") >= 2:
        cells = [c.strip() for c in s.strip("|").split("|")]
    elif "&" in s:
        cells = [c.strip() for c in s.rstrip("\\").split("&")]
    else:
        cells = s.split()
    return [c for c in cells if c != ""]


def row_numbers(line: str) -> list[float] | None:
    """The numbers of a row made only of numbers (``-1  +1  -3.5  -1``, ``[0, 0, -0.25],``)."""
    s = as_plain(line).strip()
    s = re.sub(r"\\\\\s*$", "", s)
    s = s.strip("[](),;|&").strip()
    s = re.sub(r"^\[+|\]+,?$", "", s).strip()
    if not s:
        return None
    parts = [p for p in re.split(r"\s*[,;&|\t]\s*|\s+", s) if p]
    if len(parts) < 2:
        return None
    out = []
    for p in parts:
        v = parse_number(p.strip("[]()"))
        if v is None:
            return None
        out.append(v)
    return out


# --------------------------------------------------------------------------- vectors and matrices

_ENV = re.compile(r"\\begin\{(?P<env>[bpvBV]?matrix|array|smallmatrix)\}(?:\{[^}]*\})?(?P<body>.*?)\\end\{(?P=env)\}", re.S)


def find_matrices(text: str) -> list[tuple[list[list[float]], int, int]]:
    """Matrices written in LaTeX environments or as ``[[...], [...]]``, with their spans."""
    out: list[tuple[list[list[float]], int, int]] = []
    for m in _ENV.finditer(text):
        rows: list[list[float]] = []
        for raw in re.split(r"\\\\", m.group("body")):
            if not raw.strip() or raw.strip() in ("\\hline",):
                continue
            cells = [c for c in raw.replace("\\hline", "").split("&")]
            vals = [parse_number(c) for c in cells]
            if any(v is None for v in vals):
                rows = []
                break
            rows.append([float(v) for v in vals])  # type: ignore[arg-type]
        if rows:
            out.append((rows, m.start(), m.end()))
    for m in re.finditer(r"\[\s*\[.*?\]\s*\]", text, re.S):
        inner = re.findall(r"\[([^\[\]]*)\]", m.group())
        rows = []
        for r in inner:
            vals = [parse_number(c) for c in r.split(",") if c.strip()]
            if not vals or any(v is None for v in vals):
                rows = []
                break
            rows.append([float(v) for v in vals])  # type: ignore[arg-type]
        if rows:
            out.append((rows, m.start(), m.end()))
    out.sort(key=lambda t: t[1])
    return out


def find_vectors(text: str) -> list[tuple[list[float], int, int]]:
    """Vectors: bracketed lists of two or more numbers, or one-row/one-column matrices."""
    out = []
    for rows, a, b in find_matrices(text):
        if len(rows) == 1 or all(len(r) == 1 for r in rows):
            out.append(([v for r in rows for v in r], a, b))
    s = as_plain(text)
    for m in re.finditer(r"[\[(]([^\[\]()]*)[\])]", s):
        body = m.group(1)
        parts = [p for p in re.split(r"\s*[,;]\s*|\s+", body.strip()) if p]
        if len(parts) < 2:
            continue
        vals = [parse_number(p) for p in parts]
        if any(v is None for v in vals):
            continue
        if any(a <= m.start() < b for _, a, b in out):
            continue
        out.append(([float(v) for v in vals], m.start(), m.end()))  # type: ignore[arg-type]
    out.sort(key=lambda t: t[1])
    return out


# --------------------------------------------------------------------------- assignments


@dataclass(frozen=True)
class Assignment:
    names: tuple[str, ...]  # as written, LaTeX decorations removed ("w_{21}" -> "w_21")
    value: str  # the text of the value


def _top_level_split(s: str, seps: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def assignments(text: str) -> list[Assignment]:
    """``name = value`` statements, chains (``w_1 = w_2 = -1``) and tuples
    (``(w_0, w_1) = (1, 2)``): one Assignment per statement."""
    maths = re.findall(r"\$\$?([^$]+)\$\$?", text)
    if len(maths) > 1:  # "$w^* = [...]$ with $MSE = ...$": one statement per math segment
        return [a for m in maths for a in assignments(m)]
    s = as_plain(text)
    s = re.sub(r"\b(?:and|with|where|so)\b", ",", s)
    out: list[Assignment] = []
    for piece in _top_level_split(s, ",;\n"):
        if "=" not in piece:
            continue
        sides = [p.strip() for p in re.split(r"(?<![<>!=])=(?!=)", piece)]
        if len(sides) < 2 or not sides[-1]:
            continue
        names = tuple(_bare_name(n) for n in sides[:-1] if n)
        if names:
            out.append(Assignment(names, sides[-1]))
    # tuples: "(w_0, w_1, w_2) = (-1, -1, -1)" is split by the commas above; read it whole
    for m in re.finditer(r"[(\[]([^()\[\]=]+)[)\]]\s*=\s*[(\[]([^()\[\]=]+)[)\]]", s):
        names = tuple(n.strip() for n in m.group(1).split(","))
        values = [v.strip() for v in m.group(2).split(",")]
        if len(names) == len(values) >= 2:
            out.extend(Assignment((n,), v) for n, v in zip(names, values))
    return out


def _bare_name(name: str) -> str:
    """The name an assignment binds, without the words before it ("20 epochs: w" -> "w")."""
    name = name.rsplit(":", 1)[-1].strip()
    if " " in name and "{" not in name:
        name = name.split()[-1]
    return name


def name_key(name: str) -> str:
    """A name for matching: ``w_{21}``, ``$w_{2,1}$``, ``W21`` -> ``w21``; ``W^*`` -> ``w``."""
    s = as_plain(name)
    s = re.sub(r"\^\s*\{?\s*(\*|\\ast|\\star|T|\\top)\s*\}?", "", s)
    s = re.sub(r"\\(hat|tilde|bar|vec|mathbf|boldsymbol)\s*", "", s)
    s = re.sub(r"[\s{}_,$*\\]", "", s)
    return s.lower()
