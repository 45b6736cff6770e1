"""Checking hand derivatives, critical points and their kinds, verifying a descent: against hand values."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import sympy
from conftest import DATA

import symgd
from symgd.calculus import Partial, derivatives, show, verify
from symgd.errors import SymgdError
from symgd.steps import explain


def _table():
    rows = []
    for line in (DATA / "derivative_checks.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            formula, hand, verdict, *hint = [part.strip() for part in line.split("|")]
            rows.append(pytest.param(formula, hand, verdict, hint[0] if hint else "", id=f"{formula} -> {hand}"))
    return rows


@pytest.mark.parametrize(("formula", "hand", "verdict", "hint"), _table())
def test_derivative_table(formula, hand, verdict, hint):
    report = symgd.check_derivative(formula, {"x": hand})
    assert report.ok is (verdict == "right"), str(report)
    if verdict == "wrong":
        point = report.counterexample
        assert point is not None
        check = report.checks[0]
        # the counterexample is genuine: the hand derivative and the true one differ there
        obj = symgd.Objective(formula)
        at = {s: point[s.name] for s in obj.symbols}
        hand_value = float(symgd.parse.parse(hand, obj.variables).expr.xreplace(at).evalf(30))
        assert hand_value == pytest.approx(check.given_value, rel=1e-9)
        assert not math.isclose(hand_value, check.expected_value, rel_tol=1e-9, abs_tol=1e-9)
        # the reported true value is the derivative there (compiled gradient, not the checker)
        true = obj.grad(point)[obj.variables.index("x")]
        assert check.expected_value == pytest.approx(true, rel=1e-9)
        assert hint.lower() in check.hint.lower()


def test_expected_derivative_is_reported():
    report = symgd.check_derivative("x**2 - 8*x + 4", {"x": "2*x"})
    x = sympy.Symbol("x", real=True)
    assert not report.ok
    assert sympy.simplify(report.expected["x"] - (2 * x - 8)) == 0
    assert report.checks[0].given_value - report.checks[0].expected_value == pytest.approx(8)


def test_two_variables_and_hessian():
    good = symgd.check_derivative("x^2 + x*y + y^2", {"x": "2x + y", "y": "x + 2y"}, [["2", "1"], ["1", "2"]])
    assert good.ok and len(good.checks) == 6
    bad = symgd.check_derivative("x^2*y", hessian={("x", "y"): "x"})
    assert not bad.ok and bad.expected == {"x,y": 2 * sympy.Symbol("x", real=True)}
    assert set(bad.counterexample) == {"x", "y"}


def test_sequence_and_single_string_forms():
    assert symgd.check_derivative("x*y", ["y", "x"]).ok
    assert symgd.check_derivative("x^3", "3x^2").ok


@pytest.mark.parametrize(
    ("grad", "match"),
    [
        ({"z": "1"}, "no variable 'z'"),
        (["1", "2", "3"], "expected 2"),
        (None, "at least one"),
        ({"x": "2x+"}, "ends too early"),
    ],
)
def test_bad_input_raises(grad, match):
    with pytest.raises(SymgdError, match=match):
        symgd.check_derivative("x*y", grad)


def test_hand_derivatives_are_never_executed():
    with pytest.raises(SymgdError):
        symgd.check_derivative("x", {"x": "__import__('os').system('echo hi')"})


def _kinds(points):
    return sorted(p.kind for p in points)


def test_critical_points_of_the_textbook_functions():
    (p,) = symgd.critical_points("x**2 + x*y + y**2")
    assert (p.kind, p.point, p.fun) == ("minimum", (0, 0), 0.0)
    (p,) = symgd.critical_points("x^2 - y^2")
    assert p.kind == "saddle" and p.point == (0, 0)
    (p,) = symgd.critical_points("100*l - l**2")
    assert (p.kind, p.point, p.value) == ("maximum", (50,), 2500)


def test_degenerate_but_a_minimum():
    (p,) = symgd.critical_points("x^4")
    assert p.kind == "degenerate" and p.behaves_as == "minimum"
    (p,) = symgd.critical_points("-x^4")
    assert p.behaves_as == "maximum"
    (p,) = symgd.critical_points("x^3")
    assert p.kind == "degenerate" and p.behaves_as == "saddle"


def test_himmelblau_four_minima_one_maximum_four_saddles():
    points = symgd.critical_points("(x^2 + y - 11)^2 + (x + y^2 - 7)^2")
    assert _kinds(points) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    minima = sorted(tuple(p.x) for p in points if p.kind == "minimum")
    known = sorted([(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)])
    np.testing.assert_allclose(minima, known, atol=1e-5)
    (top,) = [p for p in points if p.kind == "maximum"]
    np.testing.assert_allclose(top.x, [-0.270845, -0.923039], atol=1e-5)
    assert top.fun == pytest.approx(181.617, abs=1e-3)


def test_exact_points_of_a_cubic():
    points = symgd.critical_points("x^3 - 3x")
    assert [(p.kind, p.point) for p in points] == [("maximum", (-1,)), ("minimum", (1,))]


def test_infinite_family_is_reported():
    (p,) = symgd.critical_points("(x - y)^2")
    assert p.family and p.behaves_as == "minimum"
    assert "infinitely many" in p.describe()
    assert "infinitely many" in symgd.critical_points("sin(x)").note


def test_numeric_fallback_on_a_transcendental_system():
    points = symgd.critical_points("cos(x) + x^2/10 + y^2", domain=(-5, 5), solve_time=0.5)
    assert points.method in ("exact", "numeric")
    for p in points:
        # independent check: cos'(x) + x/5 = 0 and y = 0
        assert -math.sin(p.x[0]) + p.x[0] / 5 == pytest.approx(0, abs=1e-8) and p.x[1] == pytest.approx(0, abs=1e-8)


def test_derivatives_shown_three_ways():
    obj = symgd.Objective("x^2*y + sin(x)")
    rows = derivatives(obj, hessian=True)
    assert [p.label for p in rows] == ["df/dx", "df/dy", "d2f/dx2", "d2f/dxdy", "d2f/dy2"]
    x = sympy.Symbol("x", real=True)
    assert show(Partial(("x",), sympy.sin(x)), "code") == "df_dx = numpy.sin(x)"
    assert show(Partial(("x", "y"), x), "latex") == r"\frac{\partial^2 f}{\partial x \partial y} = x"


def test_verify_names_the_nearest_critical_point():
    res = symgd.minimize("x^2 - y^2", x0=[1, 0], lr=0.1, max_iter=100)
    v = res.verify("x^2 - y^2")
    assert v.nearest.kind == "saddle" and v.distance < 1e-4
    assert "saddle" in str(v)
    res = symgd.minimize("0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2", x0=-5, lr=0.1)
    v = verify(res, "0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2")
    assert v.nearest.kind == "minimum" and v.nearest.x[0] == pytest.approx(-2.3224, abs=1e-4)
    assert "local minimum" in str(v)


def test_constant_factor_hint():
    report = symgd.check_derivative("x^3", {"x": "x^2"})
    assert "3 times yours" in report.checks[0].hint


def test_symbolic_work_is_time_bounded():
    start = time.perf_counter()
    points = symgd.critical_points("exp(x)*sin(y) + x^2*y^3", solve_time=0.3, domain=(-3, 3), starts=100)
    assert time.perf_counter() - start < 5
    assert points.method == "numeric" and "longer than 0.3 s" in points.note
    with pytest.raises(symgd.LimitError, match="time budget"):
        big = " + ".join(f"sin(x^{k} + cos({k}x))^{k}" for k in range(2, 60))
        explain(big, limits=symgd.Limits(time_budget=0.05))
