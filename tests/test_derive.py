"""Stage 2: exact gradient and Hessian, checked against hand derivatives and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from conftest import finite_difference_grad

from symgd.derive import differentiate, gradient, hessian
from symgd.parse import parse

x, y = sympy.symbols("x y", real=True)


def test_seed_000_hand_derivatives():
    assert gradient(x**2 + x * y + y**2, (x, y)) == (2 * x + y, 2 * y + x)


def test_hessian_is_symmetric_and_exact():
    expr = x**3 * y + sympy.sin(x * y)
    H = hessian(expr, (x, y))
    assert H == H.T
    assert sympy.simplify(H[0, 1] - sympy.diff(expr, x, y)) == 0
    assert sympy.simplify(H[0, 0] - (6 * x * y - y**2 * sympy.sin(x * y))) == 0


@pytest.mark.parametrize(
    "text",
    ["x^2 - 8x + 4", "0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2", "exp(-x) * sin(3y) + log(1 + x^2)", "sqrt(x^2 + y^2 + 1)"],
)
def test_gradient_agrees_with_finite_differences(text):
    parsed = parse(text)
    symbols = parsed.symbols
    grad = gradient(parsed.expr, symbols)
    f = sympy.lambdify([symbols], parsed.expr, "math")
    point = np.array([0.7, -1.3][: len(symbols)])
    exact = [float(g.subs(dict(zip(symbols, point)))) for g in grad]
    np.testing.assert_allclose(exact, finite_difference_grad(f, point), rtol=1e-7, atol=1e-8)


def test_abs_max_min_use_subgradients():
    assert gradient(sympy.Abs(x), (x,)) == (sympy.sign(x),)
    assert gradient(sympy.Abs(x), (x,))[0].subs(x, 0) == 0
    assert hessian(sympy.Abs(x), (x,)) == sympy.Matrix([[0]])
    assert gradient(sympy.Max(x, y), (x, y)) == (sympy.Heaviside(x - y), sympy.Heaviside(y - x))


def test_constant_gradient_and_unused_variable():
    assert gradient(3 * x, (x, y)) == (3, 0)


@pytest.mark.parametrize(
    "text",
    [
        "x^3*y^2*sin(x*y)",
        "exp(-x^2)*cos(y)/(1 + x^2)",
        "log(x^2 + 1, 3) + ln(2 + y) + log10(1 + x^2) + log2(3 + y^2)",
        "sqrt(x^2 + 2) + cbrt(x^2 + 1) + x^y",
        "tan(x/3) + cot(y + 2) + sec(x/4) + csc(y + 2)",
        "asin(x/3) + acos(y/4) + atan(x*y) + atan2(y, x + 3)",
        "sinh(x) + cosh(y) + tanh(x*y) + asinh(x) + acosh(y^2 + 2) + atanh(x/3)",
        "erf(x*y) + sigmoid(x) + softplus(y) + hypot(x, y)",
        "(x*y*(x + y)*(x - 2y))^2 * exp(x)",
        "2^x * x^x",
    ],
)
def test_differentiate_agrees_with_sympy_diff(text):
    parsed = parse(text)
    point = {s: v for s, v in zip(parsed.symbols, (0.7, 1.3))}
    for s in parsed.symbols:
        ours, theirs = differentiate(parsed.expr, s), sympy.diff(parsed.expr, s)
        assert float(ours.evalf(30, subs=point)) == pytest.approx(float(theirs.evalf(30, subs=point)), rel=1e-12)
