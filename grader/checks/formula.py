"""`formula`: gradient formulas written in LaTeX, verified against autograd.

The rubric declares the symbols with symbolic shapes (``W_1: [n_hidden, n_in]``,
column vectors ``[n, 1]``), the forward computation in the same notation
(``x_2: \\sigma(y_1)``), and each target as ``{of, wrt}``. The check computes the true
derivative itself with ``torch.autograd`` (float64) on random inputs for every case of
``cases`` (sizes of the dimensions: non-square on purpose), and compares the student's
formula, parsed by :mod:`grader.mathexpr` and evaluated with the same inputs.

Semantics are broadcast-free: ``x_1^T`` is (1 x n_in); a product of shapes that do not
fit is an error naming the operation and both shapes, judged on the *symbolic* shapes,
so a formula that only works because two sizes happen to be equal fails. Scalars (and
1 x 1 results) scale anything.

What is accepted for a target:
- the gradient of a scalar (shaped like ``wrt``) or the Jacobian (``of`` dims then
  ``wrt`` dims, unit dimensions dropped);
- for a Jacobian that is zero off a diagonal (``dx_{l+1}/db_l``, ``dx_{l+1}/dW_l``), its
  nonzero entries as a matrix: ``x \\circ (1 - x)`` for ``diag(x \\circ (1 - x))``,
  ``(x \\circ (1 - x)) x_l^T`` for the (n_out x n_out x n_in) tensor;
- ``transpose_credit`` of the points for a formula right only up to a transpose (it is
  said so, "equals the transpose of dL/dW_1").

Where ``\\circ`` and matrix products are mixed without parentheses, every reading is tried
and the one that fits is taken (and named). A formula the grammar cannot read, or one
that uses symbols the rubric does not define, goes to manual review with its text: never
a silent zero.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, Tolerance, outcome, precheck
from grader.results import Status, TextView
from grader.mathexpr import (
    Call,
    Expr,
    Num,
    ParseError,
    Pow,
    Sym,
    Unary,
    canonical_symbol,
    parse,
    parse_readings,
    show_symbol,
    unparse,
)

if TYPE_CHECKING:
    import torch

ANSWER_CHILDREN = ("*",)  # one formula per target key (dW1, db1, ...)

Dim = Union[str, int]
Shape = Union[tuple[Dim, Dim], None]  # None: a scalar


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    of: str = Field(description="the symbol differentiated, e.g. L or x_{l+1}")
    wrt: str = Field(description="with respect to, e.g. W_1 or x_l")
    label: str | None = Field(None, description="how messages name it; default dL/dW_1")


class Spec(CheckSpecBase):
    kind: Literal["formula"]
    inputs: dict[str, list[Union[str, int]]] = Field(description="symbol -> symbolic shape, e.g. W_1: [n_hidden, n_in]")
    define: dict[str, str] = Field(default_factory=dict, description="the forward pass in LaTeX, in order, e.g. x_2: \\sigma(y_1)")
    targets: dict[str, Target] = Field(min_length=1, description="answer key -> the derivative it must be")
    cases: list[dict[str, int]] = Field(min_length=1, description="sizes of the dimensions, one mapping per numeric case")
    seed: int = Field(0, description="seed of the random inputs the formulas are evaluated on")
    transpose_credit: float = Field(0.0, ge=0, le=1, description="share of the points for a transposed (layout) answer")

    @model_validator(mode="after")
    def _consistent(self) -> "Spec":
        _Problem.build(self)  # raises ValueError naming the instructor's mistake
        return self


# --------------------------------------------------------------------------- shapes


class ShapeError(Exception):
    """The formula's shapes do not fit; the message names the operation and the shapes."""


class UnknownSymbol(Exception):
    pass


def show_shape(shape: Shape) -> str:
    if shape is None:
        return "a scalar"
    return "(" + " x ".join(str(d) for d in shape) + ")"


def _is_unit(shape: Shape) -> bool:
    return shape is not None and shape[0] == 1 and shape[1] == 1


@dataclass(frozen=True)
class _Val:
    shape: Shape
    t: torch.Tensor | None  # None during the symbolic pass


def _evaluate(expr: Expr, env: dict[str, _Val]) -> _Val:
    """Shapes (and values, where env has tensors) of an expression; ShapeError on a misfit."""
    if isinstance(expr, Num):
        if _symbolic(env):
            return _Val(None, None)
        import torch

        return _Val(None, torch.tensor(expr.value, dtype=torch.float64))
    if isinstance(expr, Sym):
        if expr.name not in env:
            raise UnknownSymbol(expr.name)
        return env[expr.name]
    if isinstance(expr, Unary):
        a = _evaluate(expr.arg, env)
        if expr.op == "neg":
            return _Val(a.shape, None if a.t is None else -a.t)
        shape = None if a.shape is None else (a.shape[1], a.shape[0])
        return _Val(shape, None if a.t is None else (a.t if a.t.dim() == 0 else a.t.T))
    if isinstance(expr, Pow):
        a = _evaluate(expr.base, env)
        return _Val(a.shape, None if a.t is None else a.t ** expr.exponent)
    if isinstance(expr, Call):
        return _call(expr, _evaluate(expr.arg, env))
    a = _evaluate(expr.left, env)
    b = _evaluate(expr.right, env)
    text = unparse(expr)
    if expr.op in ("+", "-", "o"):
        shape = _elementwise(a.shape, b.shape, text, expr.op)
        if a.t is None or b.t is None:
            return _Val(shape, None)
        return _Val(shape, a.t + b.t if expr.op == "+" else a.t - b.t if expr.op == "-" else a.t * b.t)
    if expr.op == "/":
        if b.shape is not None and not _is_unit(b.shape) and b.shape != a.shape:
            raise ShapeError(f"{text}: {show_shape(a.shape)} divided by {show_shape(b.shape)} does not fit")
        shape = a.shape if a.shape is not None else b.shape
        if a.t is None or b.t is None:
            return _Val(shape, None)
        den = b.t.reshape(()) if (_is_unit(b.shape) and a.shape != b.shape) else b.t
        return _Val(shape, a.t / den)
    return _matmul(a, b, text)


def _symbolic(env: dict[str, _Val]) -> bool:
    return any(v.t is None for v in env.values())


def _elementwise(sa: Shape, sb: Shape, text: str, op: str) -> Shape:
    if sa is None:
        return sb
    if sb is None or sa == sb:
        return sa
    what = {"+": "added", "-": "subtracted", "o": "multiplied element-wise"}[op]
    return _raise(f"{text}: {show_shape(sa)} and {show_shape(sb)} cannot be {what} (the shapes differ)")


def _raise(message: str) -> Shape:
    raise ShapeError(message)


def _matmul(a: _Val, b: _Val, text: str) -> _Val:
    sa, sb = a.shape, b.shape
    if sa is None or sb is None or (sa[1] != sb[0] and (_is_unit(sa) or _is_unit(sb))):
        shape = sb if (sa is None or _is_unit(sa)) and sb is not None else sa
        if a.t is None or b.t is None:
            return _Val(shape, None)
        ta = a.t.reshape(()) if (sa is not None and _is_unit(sa) and shape != sa) else a.t
        tb = b.t.reshape(()) if (sb is not None and _is_unit(sb) and shape != sb) else b.t
        return _Val(shape, ta * tb)
    if sa[1] != sb[0]:
        hint = ""
        if sa == sb and sa[1] == 1:
            hint = " (for an element-wise product, write \\circ)"
        raise ShapeError(f"{text}: {show_shape(sa)} times {show_shape(sb)} does not fit{hint}")
    shape = (sa[0], sb[1])
    if a.t is None or b.t is None:
        return _Val(shape, None)
    return _Val(shape, a.t @ b.t)


def _call(expr: Call, a: _Val) -> _Val:
    if expr.fn == "diag":
        s = a.shape
        if s is None or _is_unit(s):
            return a
        if s[1] == 1 or s[0] == 1:
            n = s[0] if s[1] == 1 else s[1]
            return _Val((n, n), None if a.t is None else a.t.reshape(-1).diag())
        if s[0] == s[1]:
            return _Val((s[0], 1), None if a.t is None else a.t.diagonal().reshape(-1, 1))
        raise ShapeError(f"{unparse(expr)}: diag of a {show_shape(s)} matrix (it takes a vector or a square matrix)")
    if a.t is None:
        return a
    import torch  # the symbolic pass (rubric loading) never gets here
    fns = {
        "sigma": torch.sigmoid,
        "dsigma": lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x)),
        "exp": torch.exp,
        "log": torch.log,
        "tanh": torch.tanh,
    }
    return _Val(a.shape, fns[expr.fn](a.t))


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class _Form:
    """One accepted form of a target: its symbolic shape and its values per case."""

    what: str  # "dL/dW_1", "the nonzero entries J[i, i, k] of dx_{l+1}/dW_l"
    shape: Shape
    values: tuple[torch.Tensor, ...]


@dataclass(frozen=True)
class _Problem:
    """The spec compiled: canonical symbols, parsed forward pass, case inputs."""

    shapes: dict[str, Shape]
    define: tuple[tuple[str, Expr], ...]
    targets: dict[str, tuple[str, str, str]]  # key -> (of, wrt, label)
    cases: tuple[dict[str, int], ...]
    seed: int

    @classmethod
    def build(cls, spec: "Spec") -> "_Problem":
        shapes: dict[str, Shape] = {}
        for name, dims in spec.inputs.items():
            if len(dims) != 2:
                raise ValueError(f"inputs.{name}: give a 2-D shape (a column vector is [n, 1]), got {dims}")
            shapes[_canon(name, "inputs")] = (dims[0], dims[1])
        env = {k: _Val(s, None) for k, s in shapes.items()}
        define: list[tuple[str, Expr]] = []
        for name, text in spec.define.items():
            sym = _canon(name, "define")
            try:
                expr = parse(text)
                env[sym] = _evaluate(expr, env)
            except (ParseError, ShapeError) as err:
                raise ValueError(f"define.{name}: {err}") from None
            except UnknownSymbol as err:
                raise ValueError(f"define.{name}: unknown symbol {err}") from None
            define.append((sym, expr))
            shapes[sym] = env[sym].shape
        names = {d for s in shapes.values() if s is not None for d in s if isinstance(d, str)}
        for i, case in enumerate(spec.cases):
            missing = sorted(names - set(case))
            if missing:
                raise ValueError(f"cases[{i}] gives no size for {', '.join(missing)}")
        targets = {}
        for key, t in spec.targets.items():
            of, wrt = _canon(t.of, f"targets.{key}.of"), _canon(t.wrt, f"targets.{key}.wrt")
            for sym in (of, wrt):
                if sym not in shapes:
                    raise ValueError(f"targets.{key}: {show_symbol(sym)} is neither an input nor defined")
            if wrt not in {_canon(n, "inputs") for n in spec.inputs}:
                raise ValueError(f"targets.{key}.wrt: {show_symbol(wrt)} must be an input")
            targets[key] = (of, wrt, t.label or f"d{show_symbol(of)}/d{show_symbol(wrt)}")
        return cls(shapes, tuple(define), targets, tuple(spec.cases), spec.seed)

    def inputs(self, case_index: int) -> dict[str, torch.Tensor]:
        import torch

        gen = torch.Generator().manual_seed(self.seed * 1000 + case_index)
        case = self.cases[case_index]
        out = {}
        for sym, shape in self.shapes.items():
            if any(sym == d for d, _ in self.define):
                continue
            assert shape is not None
            size = tuple(case[d] if isinstance(d, str) else int(d) for d in shape)
            out[sym] = torch.randn(size, generator=gen, dtype=torch.float64)
        return out

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, _Val]:
        env = {k: _Val(self.shapes[k], v) for k, v in inputs.items()}
        for sym, expr in self.define:
            env[sym] = _evaluate(expr, env)
        return env

    def forms(self, key: str) -> list[_Form]:
        """The accepted forms of one target, computed with autograd on every case."""
        import torch

        of, wrt, label = self.targets[key]
        s_of, s_wrt = self.shapes[of], self.shapes[wrt]
        assert s_wrt is not None
        scalar = s_of is None or _is_unit(s_of)
        jac_dims = list(s_wrt) if scalar else [d for d in (*s_of, *s_wrt) if d != 1]  # type: ignore[misc]
        full: list[torch.Tensor] = []
        for i in range(len(self.cases)):
            inputs = self.inputs(i)
            x = inputs[wrt].requires_grad_(True)
            y = self.forward(inputs)[of].t
            assert y is not None
            if scalar:
                (g,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
                full.append(torch.zeros_like(x) if g is None else g.detach())
            else:
                rows = []
                flat = y.reshape(-1)
                for j in range(flat.numel()):
                    (g,) = torch.autograd.grad(flat[j], x, retain_graph=True, allow_unused=True)
                    rows.append(torch.zeros_like(x) if g is None else g.detach())
                sizes = [self._size(d, i) for d in jac_dims]
                full.append(torch.stack(rows).reshape(sizes))
        out: list[_Form] = []
        if len(jac_dims) == 2:
            out.append(_Form(label, (jac_dims[0], jac_dims[1]), tuple(full)))
        if not scalar and len(jac_dims) in (2, 3) and jac_dims[0] == jac_dims[1] and all(_diagonal(j) for j in full):
            if len(jac_dims) == 2:
                vals = tuple(torch.diagonal(j).reshape(-1, 1) for j in full)
                out.append(_Form(f"the diagonal of {label} (its nonzero entries)", (jac_dims[0], 1), vals))
            else:
                vals = tuple(torch.diagonal(j, dim1=0, dim2=1).T for j in full)
                out.append(_Form(f"the nonzero entries J[i, i, k] of {label}", (jac_dims[0], jac_dims[2]), vals))
        if not out:
            shown = "(" + " x ".join(str(d) for d in jac_dims) + ")"
            out.append(_Form(f"{label}, a {shown} tensor", None, ()))
        return out

    def _size(self, dim: Dim, case_index: int) -> int:
        return self.cases[case_index][dim] if isinstance(dim, str) else int(dim)

    def describe_cases(self) -> str:
        return "; ".join(", ".join(f"{k}={v}" for k, v in c.items()) for c in self.cases)


def _diagonal(j: torch.Tensor) -> bool:
    import torch

    n = j.shape[0]
    mask = ~torch.eye(n, dtype=torch.bool)
    off = j[mask] if j.dim() == 2 else j[mask, :]
    return bool((off == 0).all())


def _canon(name: str, where: str) -> str:
    try:
        return canonical_symbol(name)
    except ParseError as err:
        raise ValueError(f"{where}: {name!r} is not a symbol ({err})") from None


# --------------------------------------------------------------------------- grading


@dataclass(frozen=True)
class _Verdict:
    rank: int  # 4 correct, 3 transpose, 2 right shape wrong values, 1 wrong shape, 0 shape error
    message: str
    credit: float
    reading: str = ""


def _judge(expr: Expr, problem: _Problem, forms: list[_Form], transpose_credit: float, tol: Tolerance) -> _Verdict:
    try:
        sym = _evaluate(expr, {k: _Val(s, None) for k, s in problem.shapes.items()})
    except ShapeError as err:
        return _Verdict(0, f"the shapes do not fit: {err}", 0.0)
    best: _Verdict | None = None
    for form in forms:
        if form.shape is None:
            continue
        for transposed in (False, True):
            want = form.shape if not transposed else (form.shape[1], form.shape[0])
            if sym.shape != want:
                continue
            bad = _compare(expr, problem, form, transposed, tol)
            if bad is None:
                v = (_Verdict(3, f"equals the transpose of {form.what}, not {form.what} itself", transpose_credit)
                     if transposed else _Verdict(4, f"equals {form.what} on {len(problem.cases)} random cases", 1.0))
            else:
                v = _Verdict(2, f"has the right shape {show_shape(sym.shape)} but wrong values: {bad}", 0.0)
            if best is None or v.rank > best.rank:
                best = v
    if best is not None:
        return best
    main = forms[0]
    shown = show_shape(main.shape) if main.shape is not None else main.what
    return _Verdict(1, f"has shape {show_shape(sym.shape)}; {main.what} has shape {shown}", 0.0)


def _compare(expr: Expr, problem: _Problem, form: _Form, transposed: bool, tol: Tolerance) -> str | None:
    import torch

    for i, expected in enumerate(form.values):
        env = problem.forward(problem.inputs(i))
        got = _evaluate(expr, {k: _Val(v.shape, None if v.t is None else v.t.detach()) for k, v in env.items()}).t
        assert got is not None
        want = expected.T if transposed else expected
        if got.dim() == 0:
            got = got.expand(want.shape)
        if got.shape != want.shape:
            return f"shape {tuple(got.shape)} where {tuple(want.shape)} was expected in case {i + 1}"
        close = torch.isclose(got, want, rtol=tol.rtol, atol=tol.atol)
        if not bool(close.all()):
            diff = (got - want).abs()
            idx = [int(v) for v in torch.nonzero(diff == diff.max())[0]]
            sizes = ", ".join(f"{k}={v}" for k, v in problem.cases[i].items())
            return (f"with {sizes}, {int((~close).sum())} of {want.numel()} entries differ, the greatest by "
                    f"{float(diff.max()):.3g} at {idx}")
    return None


MAX_FORMULA_CHARS = 500
"""The longest text read as one formula: the longest gradient of a course homework is about 60 characters;
a longer text is left to a TA unparsed (the parser's cost and depth grow with it)."""


@dataclass(frozen=True)
class _TargetResult:
    key: str
    status: Literal["correct", "wrong", "manual", "missing"]
    credit: float
    message: str


_COMPILED: dict[int, tuple[Any, _Problem, dict[str, list[_Form]]]] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(spec: Spec) -> tuple[_Problem, dict[str, list[_Form]]]:
    """The spec's problem, and a cache of its targets' accepted forms, built once per spec
    object (a class is graded against one plan: every submission's formula check used to
    rebuild the problem and rerun autograd on every case, a few ms each). The forms are
    only read (compared against) afterwards, so one copy serves every worker thread."""
    with _COMPILED_LOCK:
        hit = _COMPILED.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1], hit[2]
    problem = _Problem.build(spec)
    entry: tuple[Any, _Problem, dict[str, list[_Form]]] = (spec, problem, {})
    with _COMPILED_LOCK:
        if len(_COMPILED) >= 256:  # specs of other plans (tests, the service's reloads): never kept for long
            _COMPILED.clear()
        _COMPILED[id(spec)] = entry
    return problem, entry[2]


def _grade_one(key: str, text: Any, problem: _Problem, spec: Spec, tol: Tolerance,
               cache: dict[str, list[_Form]] | None = None) -> _TargetResult:
    if not isinstance(text, (str, int, float)) or isinstance(text, bool) or not str(text).strip():
        return _TargetResult(key, "missing", 0.0, f"{key}: not given")
    if isinstance(text, int) and text.bit_length() > 4 * MAX_FORMULA_CHARS:  # more digits than that, unprinted
        return _TargetResult(key, "manual", 0.0, f"{key}: a number too long to read as a formula; left for manual review")
    text = str(text)
    if len(text) > MAX_FORMULA_CHARS:
        return _TargetResult(key, "manual", 0.0, f"{key}: {len(text)} characters, too long to read as one formula "
                             f"(at most {MAX_FORMULA_CHARS}); left for manual review")
    try:
        return _grade_text(key, text, problem, spec, tol, cache)
    except RecursionError:  # parentheses nested hundreds deep: the parser and evaluator recurse
        return _TargetResult(key, "manual", 0.0, f"{key}: nested too deeply to read as a formula; left for manual review")


def _grade_text(key: str, text: str, problem: _Problem, spec: Spec, tol: Tolerance,
                cache: dict[str, list[_Form]] | None = None) -> _TargetResult:
    try:
        readings = parse_readings(text)
    except ParseError as err:
        return _TargetResult(key, "manual", 0.0, f"{key}: could not be read as a formula ({err}); left for manual review")
    forms = cache.get(key) if cache is not None else None
    if forms is None:
        forms = problem.forms(key)
        if cache is not None:
            cache[key] = forms
    verdicts = []
    for expr in readings:
        try:
            verdicts.append((_judge(expr, problem, forms, spec.transpose_credit, tol), expr))
        except UnknownSymbol as err:
            known = ", ".join(show_symbol(s) for s in problem.shapes)
            return _TargetResult(key, "manual", 0.0, f"{key}: uses {show_symbol(str(err))}, which the grader does not "
                                 f"know (it knows {known}); left for manual review")
    best, expr = max(verdicts, key=lambda v: v[0].rank)
    shown = unparse(expr)
    if len(readings) > 1 and best.rank > verdicts[0][0].rank:
        shown += " (read with this grouping: \\circ against matrix products is not fixed by convention)"
    status: Literal["correct", "wrong"] = "correct" if best.rank == 4 else "wrong"
    return _TargetResult(key, status, best.credit, f"{key} = {shown}: {best.message}")


def _match_keys(answer: dict[str, Any], targets: dict[str, tuple[str, str, str]]) -> tuple[dict[str, Any], list[str]]:
    """Student keys to target keys: exact, then case-insensitive; the rest are returned."""
    out: dict[str, Any] = {}
    rest: list[str] = []
    lower = {k.lower(): k for k in targets}
    for k, v in answer.items():
        key = k if k in targets else lower.get(str(k).lower())
        if key is not None and key not in out:
            out[key] = v
        else:
            rest.append(str(k))
    return out, rest


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    problem, cache = _compiled(spec)
    value = ctx.answer
    if isinstance(value, str) and len(problem.targets) == 1:
        value = {next(iter(problem.targets)): value}
    if not isinstance(value, dict):
        text = value if isinstance(value, str) else repr(value)
        return outcome(Status.MANUAL, f"{spec.answer}: expected one formula per key ({', '.join(problem.targets)}); "
                       "left for manual review", views=[TextView(label="formulas", text=text)])
    given, unknown = _match_keys(value, problem.targets)
    if not given:
        text = "\n".join(f"{k}: {v}" for k, v in value.items())
        return outcome(Status.MANUAL, f"{spec.answer}: none of the keys {', '.join(problem.targets)} is given "
                       f"(found {', '.join(unknown) or 'nothing'}); left for manual review",
                       views=[TextView(label="formulas", text=text)])
    tol = ctx.tolerance
    results = [_grade_one(k, given.get(k), problem, spec, tol, cache) for k in problem.targets]
    fraction = sum(r.credit for r in results) / len(results)
    parts = [r.message for r in results]
    if unknown:
        parts.append(f"not graded: {', '.join(unknown)} (keys: {', '.join(problem.targets)})")
    message = "; ".join(parts)
    details = {"targets": {r.key: {"status": r.status, "message": r.message} for r in results},
               "cases": problem.describe_cases()}
    manual = [r for r in results if r.status == "manual"]
    if manual:
        text = "\n".join(f"{r.key}: {given.get(r.key)}" for r in manual)
        return outcome(Status.MANUAL, message, fraction=fraction, details=details,
                       views=[TextView(label="formulas the grader could not verify", text=text)])
    if all(r.status == "correct" for r in results):
        return outcome(Status.PASS, message, details=details)
    return outcome(Status.PARTIAL if fraction > 0 else Status.FAIL, message, fraction=fraction, details=details)
