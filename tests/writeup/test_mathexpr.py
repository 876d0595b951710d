"""The formula grammar: what parses, into which readings, and what is refused."""

from __future__ import annotations

import pytest

from grader.mathexpr import Bin, Call, Num, ParseError, Sym, Unary, canonical_symbol, parse, parse_readings, unparse


@pytest.mark.parametrize(
    ("text", "name"),
    [("W_1", "W_1"), ("W_{1}", "W_1"), ("W1", "W_1"), (r"\mathbf{W}_1", "W_1"), ("W^{(1)}", "W_1"),
     ("x_{l+1}", "x_l+1"), ("x_{l + 1}", "x_l+1"), (r"\boldsymbol{x}_l", "x_l"), ("t", "t"), (r"\delta", "delta")],
)
def test_symbol_spellings(text: str, name: str) -> None:
    assert canonical_symbol(text) == name


def test_products_transposes_and_hadamard() -> None:
    tree = parse(r"W_2^T (x_3 - t)")
    assert tree == Bin("@", Unary("T", Sym("W_2")), Bin("-", Sym("x_3"), Sym("t")))
    for op in (r"\circ", r"\odot", "*", r"\ast"):
        assert parse(f"a {op} b") == Bin("o", Sym("a"), Sym("b"))
    for op in (r"\cdot", r"\times", ""):
        assert parse(f"a {op} b") == Bin("@", Sym("a"), Sym("b"))
    for t in ("^T", "^{T}", r"^\top", r"^{\top}", r"^{\intercal}", r"^\mathsf{T}"):
        assert parse("x" + t) == Unary("T", Sym("x")), t


def test_functions_fractions_and_delimiters() -> None:
    assert parse(r"\sigma'(y_1)") == Call("dsigma", Sym("y_1"))
    assert parse(r"\sigma^{\prime}(y_1)") == Call("dsigma", Sym("y_1"))
    assert parse(r"\operatorname{diag}\left(x\right)") == Call("diag", Sym("x"))
    assert parse(r"\text{diag}(x) W") == Bin("@", Call("diag", Sym("x")), Sym("W"))
    assert parse("diag(x)") == parse(r"\mathrm{diag}(x)")
    assert parse(r"\frac{1}{2} x") == Bin("@", Bin("/", Num(1.0), Num(2.0)), Sym("x"))
    assert parse(r"\frac12 x") == parse(r"\frac{1}{2} x")
    assert parse(r"\left[ a \right] b") == parse("(a) b") == parse("{a} b")
    assert parse(r"$$ a + b. $$") == parse("a+b")


def test_readings_of_mixed_products() -> None:
    readings = [unparse(r) for r in parse_readings(r"a \circ b c")]
    assert readings == ["(a \u2218 b) c", "a \u2218 (b c)"]
    assert len(parse_readings("a b c")) == 1  # nothing to decide
    assert len(parse_readings(r"a \circ (b c)")) == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [(r"\partial L", "\\partial is not understood"), ("(a + b", "expected ')'"), ("a^{-1}", "superscript"),
     ("a +", "unexpected end of the formula"), ("x'", "prime"), ("a # b", "unexpected character"), ("tanh'(x)", "only \\sigma'")],
)
def test_refused(text: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment.replace("\\", "\\\\").replace("(", r"\(").replace(")", r"\)")):
        parse(text)
