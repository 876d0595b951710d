"""A small grammar for matrix expressions as students write them in LaTeX or plain text.

    (W_2^T (x_3 - t)) \\circ (x_2 \\circ (1 - x_2)) x_1^T
    diag(x_{l+1} * (1 - x_{l+1})) W_l
    \\frac{1}{2} \\left(t - x_3\\right)^T (t - x_3)

What is understood: products by juxtaposition (and ``\\cdot``, ``\\times``), the
element-wise product ``\\circ`` / ``\\odot`` / ``*`` / ``\\ast``, ``+``, ``-``, division
(``/``, ``\\frac{a}{b}``), transposes (``^T``, ``^{T}``, ``^\\top``, ``^{\\intercal}``),
integer powers, ``\\sigma(...)``, ``\\sigma'(...)``, ``diag(...)`` (also as
``\\operatorname{diag}``, ``\\mathrm{diag}``, ``\\text{diag}``), ``exp``, ``log``, ``tanh``,
parentheses of every kind with or without ``\\left``/``\\right``, symbols with
subscripts (``W_1``, ``W1``, ``w_{21}``, ``x_{l+1}``, ``W^{(1)}`` as ``W_1``), wrappers
that only change the typeface (``\\mathbf``, ``\\boldsymbol``, ``\\bm``, ``\\vec``), and
numbers. An upright word that is no known function (``\\mathrm{Sigmoid}``) and a
blackboard-bold letter (``\\mathbb{I}``) are one symbol each, named as written, so a
formula using them is reported as using them. Anything else (``\\partial``, ``\\sum``, ...) is a :class:`ParseError`: a formula
the grader cannot read goes to a person, it is never guessed.

The order of the element-wise product against matrix products is not fixed by any
convention (``a \\circ b c`` is read both ways in textbooks), so :func:`parse_readings`
returns every distinct reading: left to right at equal precedence (the first), element-
wise products first, matrix products first. The checker decides which one the student
meant by which one is consistent; the grammar only lists them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Union

__all__ = [
    "Bin",
    "Call",
    "Expr",
    "Num",
    "ParseError",
    "Pow",
    "Sym",
    "Unary",
    "canonical_symbol",
    "parse",
    "parse_readings",
    "symbols",
    "unparse",
]

Mode = Literal["left", "hadamard_first", "product_first"]
MODES: tuple[Mode, ...] = ("left", "hadamard_first", "product_first")


class ParseError(ValueError):
    """Text that is not a formula of this grammar; the message says where and why."""


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Sym:
    name: str  # canonical: "W_1", "x_l+1", "t", "delta"


@dataclass(frozen=True)
class Unary:
    op: Literal["neg", "T"]
    arg: "Expr"


@dataclass(frozen=True)
class Bin:
    op: Literal["+", "-", "@", "o", "/"]  # "@" matrix product, "o" element-wise product
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Call:
    fn: Literal["sigma", "dsigma", "diag", "exp", "log", "tanh"]
    arg: "Expr"


@dataclass(frozen=True)
class Pow:
    base: "Expr"
    exponent: int


Expr = Union[Num, Sym, Unary, Bin, Call, Pow]


@dataclass(frozen=True)
class _Chain:
    """A run of factors joined by product operators, before precedence is decided."""

    items: tuple["_Proto", ...]
    ops: tuple[str, ...]  # len(items) - 1 of "@", "o", "/"


@dataclass(frozen=True)
class _PUnary:
    op: Literal["neg", "T"]
    arg: "_Proto"


@dataclass(frozen=True)
class _PBin:
    op: Literal["+", "-"]
    left: "_Proto"
    right: "_Proto"


@dataclass(frozen=True)
class _PCall:
    fn: str
    arg: "_Proto"


@dataclass(frozen=True)
class _PPow:
    base: "_Proto"
    exponent: int


_Proto = Union[Num, Sym, _PUnary, _PBin, _PCall, _PPow, _Chain]

# --------------------------------------------------------------------------- tokens

_UNICODE = MappingProxyType({
    "\u2218": r" \circ ", "\u2299": r" \odot ", "\u00b7": r" \cdot ", "\u22c5": r" \cdot ", "\u00d7": r" \times ",
    "\u03c3": r" \sigma ", "\u1d40": "^T", "\u22a4": r"\top ", "\u2212": "-", "\u2013": "-", "\u2032": "'",
    "\u03b4": r" \delta ", "\u2019": "'",
})

_TOKEN = re.compile(
    r"(?P<ws>\s+|\\[,;:! ]|~|&)"
    r"|(?P<num>\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<cmd>\\[A-Za-z]+)"
    r"|(?P<letter>[A-Za-z])"
    r"|(?P<sym>[-+*/^_'(){}\[\]|,.])"
)

_SKIP = frozenset({"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
                   "Biggl", "Biggr", "quad", "qquad", "displaystyle", "textstyle", "limits"})
_WRAPPERS = frozenset({"mathbf", "boldsymbol", "bm", "vec", "mathbfit", "mathbb", "mathit", "pmb", "mathnormal"})
_TEXT = frozenset({"operatorname", "mathrm", "text", "textrm", "rm", "textit", "mathsf", "textbf"})
_GREEK = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "eta", "theta", "lambda", "mu",
                    "nu", "xi", "rho", "tau", "phi", "varphi", "chi", "psi", "omega", "Delta", "Lambda", "Phi",
                    "Psi", "Omega", "Gamma", "Theta"})
_FUNCS = MappingProxyType({"sigma": "sigma", "sigmoid": "sigma", "diag": "diag", "exp": "exp", "log": "log", "ln": "log", "tanh": "tanh"})
_FUNC_WORDS = sorted(_FUNCS, key=len, reverse=True)
_TRANSPOSE = frozenset({"T", "top", "intercal", "mathsf{T}", "mathrm{T}", "text{T}", "rm{T}"})
_OPEN = MappingProxyType({"(": ")", "[": "]", "{": "}"})


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, cmd, letter, sym, end
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    for k, v in _UNICODE.items():
        text = text.replace(k, v)
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tok_text = m.group()
            if kind == "cmd":
                tok_text = tok_text[1:]
            if not (kind == "cmd" and tok_text in _SKIP):
                out.append(_Tok(kind, tok_text, m.start(), m.end()))
            elif tok_text in ("left", "right"):  # \left. and \right. open or close nothing
                after = len(text) - len(text[m.end():].lstrip())
                if text[after:after + 1] == ".":
                    pos = after + 1
                    continue
        pos = m.end()
    out.append(_Tok("end", "", len(text), len(text)))
    return out


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    # -- helpers
    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (text is None or tok.text == text)

    def expect(self, kind: str, text: str) -> None:
        tok = self.next()
        if tok.kind != kind or tok.text != text:
            raise ParseError(f"expected {text!r} at position {tok.start + 1}, found {self._show(tok)}")

    def _show(self, tok: _Tok) -> str:
        if tok.kind == "end":
            return "end of the formula"
        return repr("\\" + tok.text if tok.kind == "cmd" else tok.text)

    # -- grammar
    def parse(self) -> _Proto:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ParseError(f"unexpected {self._show(tok)} at position {tok.start + 1}")
        return node

    def expr(self) -> _Proto:
        node = self.term()
        while self.at("sym", "+") or self.at("sym", "-"):
            op = self.next().text
            node = _PBin(op, node, self.term())  # type: ignore[arg-type]
        return node

    def term(self) -> _Proto:
        if self.at("sym", "-"):
            self.next()
            return _PUnary("neg", self.chain())
        if self.at("sym", "+"):
            self.next()
        return self.chain()

    def chain(self) -> _Proto:
        items = [self.postfix()]
        ops: list[str] = []
        while True:
            tok = self.peek()
            if tok.kind == "cmd" and tok.text in ("circ", "odot", "ast"):
                self.next()
                ops.append("o")
            elif tok.kind == "sym" and tok.text == "*":
                self.next()
                ops.append("o")
            elif tok.kind == "cmd" and tok.text in ("cdot", "times"):
                self.next()
                ops.append("@")
            elif tok.kind == "sym" and tok.text == "/":
                self.next()
                ops.append("/")
            elif self.starts_atom(tok):
                ops.append("@")
            else:
                break
            items.append(self.postfix())
        if len(items) == 1:
            return items[0]
        return _Chain(tuple(items), tuple(ops))

    def starts_atom(self, tok: _Tok) -> bool:
        if tok.kind in ("num", "letter"):
            return True
        if tok.kind == "sym":
            return tok.text in "([{"
        if tok.kind == "cmd":
            return tok.text in _WRAPPERS or tok.text in _TEXT or tok.text in _GREEK or tok.text in (
                "sigma", "frac", "dfrac", "tfrac")
        return False

    def postfix(self) -> _Proto:
        node = self.atom()
        while True:
            if self.at("sym", "^"):
                self.next()
                node = self.superscript(node)
            elif self.at("sym", "_") and isinstance(node, Sym) and "_" not in node.name:
                self.next()
                node = Sym(f"{node.name}_{self.script_text()}")
            elif self.at("sym", "'"):
                tok = self.peek()
                raise ParseError(f"a prime (') at position {tok.start + 1} is only understood after \\sigma")
            else:
                return node

    def superscript(self, node: _Proto) -> _Proto:
        raw = self.script_text(keep_commands=True)
        norm = raw.replace("\\", "").replace(" ", "")
        if norm in _TRANSPOSE or norm in ("{T}",):
            return _PUnary("T", node)
        if re.fullmatch(r"\(\w+\)", norm) and isinstance(node, Sym) and "_" not in node.name:
            return Sym(f"{node.name}_{norm[1:-1]}")
        if re.fullmatch(r"\d+", norm):
            return _PPow(node, int(norm))
        raise ParseError(f"superscript ^{{{raw}}} is not understood (only ^T, ^{{(k)}} and whole powers are)")

    def script_text(self, *, keep_commands: bool = False) -> str:
        """The raw text of a sub/superscript: one token, or a braced group."""
        tok = self.next()
        if tok.kind == "sym" and tok.text == "{":
            depth = 1
            parts: list[str] = []
            while True:
                t = self.next()
                if t.kind == "end":
                    raise ParseError("a '{' is never closed")
                if t.kind == "sym" and t.text == "{":
                    depth += 1
                elif t.kind == "sym" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        break
                parts.append(("\\" + t.text) if (t.kind == "cmd" and keep_commands) else t.text)
            text = "".join(parts)
            if not text:
                raise ParseError("an empty sub- or superscript")
            return text
        if tok.kind == "cmd":
            if tok.text in _TEXT and self.at("sym", "{"):
                return tok.text + "{" + self.script_text() + "}"
            return ("\\" + tok.text) if keep_commands else tok.text
        if tok.kind in ("num", "letter") or (tok.kind == "sym" and tok.text in "*"):
            return tok.text
        raise ParseError(f"a sub- or superscript is missing at position {tok.start + 1}")

    def group(self) -> _Proto:
        """A parenthesized expression: ( ), [ ] or { }."""
        tok = self.next()
        close = _OPEN[tok.text]
        inner = self.expr()
        end = self.next()
        if end.kind != "sym" or end.text != close:
            raise ParseError(f"expected {close!r} to close {tok.text!r} at position {tok.start + 1}, found {self._show(end)}")
        return inner

    def braced(self) -> _Proto:
        """A LaTeX argument: {expr}, or a single token (\\frac12)."""
        if self.at("sym", "{"):
            return self.group()
        tok = self.next()
        if tok.kind == "num":
            return Num(float(tok.text))
        if tok.kind == "letter":
            return Sym(tok.text)
        raise ParseError(f"expected an argument at position {tok.start + 1}, found {self._show(tok)}")

    def call_arg(self) -> _Proto:
        if self.at("sym", "(") or self.at("sym", "[") or self.at("sym", "{"):
            return self.group()
        return self.postfix()

    def function(self, name: str) -> _Proto:
        fn = _FUNCS[name]
        prime = False
        if self.at("sym", "'"):
            self.next()
            prime = True
        elif self.at("sym", "^") and self.peek(1).kind == "cmd" and self.peek(1).text == "prime":
            self.next()
            self.next()
            prime = True
        elif (self.at("sym", "^") and self.peek(1).text == "{" and self.peek(2).kind == "cmd"
              and self.peek(2).text == "prime" and self.peek(3).text == "}"):
            for _ in range(4):
                self.next()
            prime = True
        if prime:
            if fn != "sigma":
                raise ParseError(f"{name}' is not understood (only \\sigma' is)")
            fn = "dsigma"
        return _PCall(fn, self.call_arg())

    def letters_word(self) -> str | None:
        """A function name spelled in plain letters (diag, sigma, exp) followed by an argument."""
        letters = ""
        k = 0
        prev_end = self.peek().start
        while self.peek(k).kind == "letter" and self.peek(k).start == prev_end:
            letters += self.peek(k).text
            prev_end = self.peek(k).end
            k += 1
        for word in _FUNC_WORDS:
            if letters.startswith(word) and len(word) == len(letters):
                after = self.peek(len(word))
                if after.kind == "sym" and after.text in "([{'":
                    return word
        return None

    def atom(self) -> _Proto:
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return Num(float(tok.text))
        if tok.kind == "letter":
            word = self.letters_word()
            if word is not None:
                for _ in word:
                    self.next()
                return self.function(word)
            self.next()
            name = tok.text
            nxt = self.peek()
            if nxt.kind == "num" and nxt.start == tok.end and re.fullmatch(r"\d+", nxt.text):  # x3 -> x_3
                self.next()
                name = f"{name}_{nxt.text}"
            return Sym(name)
        if tok.kind == "sym" and tok.text in "([{":
            return self.group()
        if tok.kind == "cmd":
            self.next()
            name = tok.text
            if name in ("frac", "dfrac", "tfrac"):
                two = self.peek()
                if two.kind == "num" and re.fullmatch(r"\d\d", two.text):  # \frac12
                    self.next()
                    return _Chain((Num(float(two.text[0])), Num(float(two.text[1]))), ("/",))
                num = self.braced()
                den = self.braced()
                return _Chain((num, den), ("/",))
            if name == "sigma":
                return self.function("sigma")
            if name in _GREEK:
                return Sym(name)
            if name == "mathbb" and self.at("sym", "{"):
                # blackboard bold is another symbol (an identity, an indicator), not the plain letter
                save = self.i
                word = self.script_text()
                if re.fullmatch(r"[A-Za-z0-9]", word):
                    return Sym(f"\\mathbb{{{word}}}")
                self.i = save
            if name in _WRAPPERS:
                return self.braced()
            if name in _TEXT:
                if not self.at("sym", "{"):
                    raise ParseError(f"\\{name} needs a {{...}} argument")
                save = self.i
                word = self.script_text()
                if word in _FUNCS:
                    return self.function(word)
                if re.fullmatch(r"[A-Za-z]{2,}", word):
                    # an upright word that is no known function (\mathrm{Sigmoid}, \operatorname{ReLU}):
                    # one symbol named as written, so the feedback says "uses Sigmoid"
                    return Sym(word)
                self.i = save
                return self.braced()
            raise ParseError(f"\\{name} is not understood in a formula")
        raise ParseError(f"unexpected {self._show(tok)} at position {tok.start + 1}")


# --------------------------------------------------------------------------- readings


def _resolve(node: _Proto, mode: Mode) -> Expr:
    if isinstance(node, (Num, Sym)):
        return node
    if isinstance(node, _PUnary):
        return Unary(node.op, _resolve(node.arg, mode))
    if isinstance(node, _PBin):
        return Bin(node.op, _resolve(node.left, mode), _resolve(node.right, mode))
    if isinstance(node, _PCall):
        return Call(node.fn, _resolve(node.arg, mode))  # type: ignore[arg-type]
    if isinstance(node, _PPow):
        return Pow(_resolve(node.base, mode), node.exponent)
    items = [_resolve(i, mode) for i in node.items]
    ops = list(node.ops)
    if mode == "left":
        return _fold(items, ops)
    tight = {"o"} if mode == "hadamard_first" else {"@", "/"}
    groups: list[Expr] = []
    outer_ops: list[str] = []
    run_items = [items[0]]
    run_ops: list[str] = []
    for op, item in zip(ops, items[1:]):
        if op in tight:
            run_items.append(item)
            run_ops.append(op)
        else:
            groups.append(_fold(run_items, run_ops))
            outer_ops.append(op)
            run_items, run_ops = [item], []
    groups.append(_fold(run_items, run_ops))
    return _fold(groups, outer_ops)


def _fold(items: list[Expr], ops: list[str]) -> Expr:
    node = items[0]
    for op, item in zip(ops, items[1:]):
        node = Bin(op, node, item)  # type: ignore[arg-type]
    return node


def _strip(text: str) -> str:
    text = text.strip()
    for a, b in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if text.startswith(a) and text.endswith(b) and len(text) >= len(a) + len(b):
            text = text[len(a): len(text) - len(b)].strip()
    return text.rstrip(" .,;")


def parse_readings(text: str) -> list[Expr]:
    """Every distinct reading of ``text``, the left-to-right one first; ParseError if none."""
    proto = _Parser(_strip(text)).parse()
    out: list[Expr] = []
    for mode in MODES:
        tree = _resolve(proto, mode)
        if tree not in out:
            out.append(tree)
    return out


def parse(text: str) -> Expr:
    """The left-to-right reading of ``text`` (for formulas the instructor writes)."""
    return parse_readings(text)[0]


def canonical_symbol(text: str) -> str:
    """The canonical name of one symbol as written: ``W_{2}``, ``W2``, ``\\mathbf{W}_2`` are ``W_2``."""
    tree = parse(text)
    if not isinstance(tree, Sym):
        raise ParseError(f"{text!r} is not a single symbol")
    return tree.name


def symbols(expr: Expr) -> list[str]:
    """The symbols an expression uses, in order of first appearance."""
    out: list[str] = []

    def walk(e: Expr) -> None:
        if isinstance(e, Sym):
            if e.name not in out:
                out.append(e.name)
        elif isinstance(e, Unary):
            walk(e.arg)
        elif isinstance(e, Bin):
            walk(e.left)
            walk(e.right)
        elif isinstance(e, Call):
            walk(e.arg)
        elif isinstance(e, Pow):
            walk(e.base)

    walk(expr)
    return out


# --------------------------------------------------------------------------- printing


def show_symbol(name: str) -> str:
    base, _, sub = name.partition("_")
    if not sub:
        return base
    return f"{base}_{sub}" if len(sub) == 1 else f"{base}_{{{sub}}}"


_OP_TEXT = MappingProxyType({"+": " + ", "-": " - ", "@": " ", "o": " \u2218 ", "/": " / "})


def unparse(expr: Expr) -> str:
    """A compact, readable form: ``W_2^T (x_3 - t) \u2218 x_2``; parentheses wherever a
    reader could hesitate (every product of products is bracketed)."""
    if isinstance(expr, Num):
        v = expr.value
        return str(int(v)) if math.isfinite(v) and v == int(v) else repr(v)  # "1e999" reads as inf
    if isinstance(expr, Sym):
        return show_symbol(expr.name)
    if isinstance(expr, Unary):
        if expr.op == "neg":
            return "-" + _wrap(expr.arg, atom_only=True)
        return _wrap(expr.arg, atom_only=True) + "^T"
    if isinstance(expr, Pow):
        return _wrap(expr.base, atom_only=True) + f"^{expr.exponent}"
    if isinstance(expr, Call):
        name = {"sigma": "\u03c3", "dsigma": "\u03c3'", "diag": "diag"}.get(expr.fn, expr.fn)
        return f"{name}({unparse(expr.arg)})"
    left = _wrap(expr.left, atom_only=expr.op not in "+-", left=True, parent=expr.op)
    right = _wrap(expr.right, atom_only=expr.op != "+")
    return left + _OP_TEXT[expr.op] + right


def _wrap(expr: Expr, *, atom_only: bool, left: bool = False, parent: str = "") -> str:
    text = unparse(expr)
    if isinstance(expr, (Num, Sym, Call, Pow)) or (isinstance(expr, Unary) and expr.op == "T"):
        return text
    if not atom_only:
        return text
    if isinstance(expr, Bin) and left and expr.op == parent == "@":
        return text  # a b c reads left to right
    return f"({text})"
