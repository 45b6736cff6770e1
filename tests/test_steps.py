"""Step-by-step derivatives: every rule shown, every step equal to sympy's derivative of its part."""

from __future__ import annotations

import pytest
import sympy

import symgd
from symgd.errors import SymgdError
from symgd.steps import explain

x = sympy.Symbol("x", real=True)


def _equal(a, b) -> bool:
    return sympy.simplify(a - b) == 0


@pytest.mark.parametrize(
    ("formula", "rules"),
    [
        ("x^2*sin(x)", {"product rule", "power rule", "trigonometric rule"}),
        ("x/(x^2 + 1)", {"quotient rule", "sum rule", "power rule"}),
        ("(x + 1)^2/((x - 1)*(x + 2))", {"quotient rule", "product rule", "power rule"}),
        ("sin(cos(x^2))", {"trigonometric rule", "power rule"}),
        ("exp(-x^2)*log(x)", {"product rule", "exponential rule", "logarithm rule", "constant multiple rule"}),
        ("sqrt(1 + x^2)", {"power rule", "sum rule"}),
        ("atan(2x)/cosh(x)", {"quotient rule", "inverse trigonometric rule", "hyperbolic rule"}),
        ("asin(x)^3", {"power rule", "inverse trigonometric rule"}),
        ("2^x", {"exponential rule"}),
        ("x^x", {"general power rule"}),
        ("tanh(sinh(3x))", {"hyperbolic rule", "constant multiple rule"}),
        ("3x^2 - 8x + 4", {"sum rule", "constant multiple rule", "power rule"}),
    ],
)
def test_every_step_agrees_with_sympy(formula, rules):
    ex = explain(formula)
    assert rules <= {s.rule for s in ex.steps}
    for step in ex.steps:
        assert step.checked
        assert _equal(step.result, sympy.diff(step.expr, x)), step
    # the final answer is sympy's derivative of the whole formula
    assert _equal(ex.result, sympy.diff(symgd.Objective(formula).expr, x))
    assert ex.steps[0].expr == ex.expr


def test_nested_chain_shows_every_layer():
    ex = explain("sin(cos(x^2))")
    assert [str(s.expr) for s in ex.steps] == ["sin(cos(x**2))", "cos(x**2)", "x**2"]
    assert [s.depth for s in ex.steps] == [0, 1, 2]
    assert all("chain rule" in s.formula for s in ex.steps[:2])
    # hand-derived: cos(cos x²) · (−sin x²) · 2x
    assert _equal(ex.result, -2 * x * sympy.sin(x**2) * sympy.cos(sympy.cos(x**2)))


def test_rendering_names_the_rules():
    text = str(explain("x^2*sin(x)"))
    assert text.splitlines()[0] == "d/dx [x**2*sin(x)]"
    assert "by the product rule: (u·v)' = u'·v + u·v' with u = x**2, v = sin(x)" in text
    assert text.splitlines()[-1] == "so d/dx [x**2*sin(x)] = x**2*cos(x) + 2*x*sin(x)"


def test_partial_derivative_and_errors():
    ex = explain("x^2*y + y", "y")
    assert _equal(ex.result, x**2 + 1)
    with pytest.raises(SymgdError, match="say which variable"):
        explain("x*y")
    with pytest.raises(SymgdError, match="no variable 'z'"):
        explain("x", "z")


def test_constant_and_identity():
    assert explain("x").steps[0].rule == "identity rule"
    assert explain("y + 0*x", "y").result == 1
    assert explain("5 + 0*x + y", "y", variables=["x", "y"]).result == 1
