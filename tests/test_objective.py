"""The SPEC's Objective: one to many variables, single points and batches."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from conftest import finite_difference_grad

import symgd
from symgd import ArgumentError, FormulaError, Objective


def test_spec_example():
    obj = Objective("x**2 + x*y + y**2")
    assert obj.variables == ("x", "y")
    assert isinstance(obj.expr, sympy.Expr)
    x, y = obj.symbols
    assert obj.gradient == (2 * x + y, x + 2 * y)
    assert obj.hessian == sympy.Matrix([[2, 1], [1, 2]])
    assert obj.value([1, 2]) == 7.0
    np.testing.assert_array_equal(obj.grad([1, 2]), [4.0, 5.0])
    np.testing.assert_array_equal(obj.hess([1, 2]), [[2.0, 1.0], [1.0, 2.0]])


def test_batches_of_points():
    obj = Objective("x**2 + x*y + y**2")
    pts = np.array([[1.0, 0.0, -1.0, 2.0], [2.0, 0.0, 1.0, 2.0]])
    np.testing.assert_array_equal(obj.value(pts), [7.0, 0.0, 1.0, 12.0])
    grads = obj.grad(pts)
    assert grads.shape == (2, 4)
    np.testing.assert_array_equal(grads[:, 0], [4.0, 5.0])
    hess = obj.hess(pts)
    assert hess.shape == (2, 2, 4)
    np.testing.assert_array_equal(hess[:, :, 3], [[2.0, 1.0], [1.0, 2.0]])


def test_one_variable_accepts_a_plain_number():
    obj = Objective("x^2 - 8x + 4")
    assert obj.value(44) == 44**2 - 8 * 44 + 4
    np.testing.assert_array_equal(obj.grad(44), [80.0])
    np.testing.assert_array_equal(obj.value(np.array([[1.0, 2.0, 3.0]])), [-3.0, -8.0, -11.0])


def test_points_by_name():
    obj = Objective("x - 2*y", variables=["y", "x"])
    assert obj.variables == ("y", "x")
    assert obj.value({"x": 1, "y": 3}) == -5.0
    assert obj.value([3, 1]) == -5.0
    with pytest.raises(ArgumentError, match="no value for 'x'"):
        obj.value({"y": 1})
    with pytest.raises(ArgumentError, match="unknown variable 'z'"):
        obj.value({"x": 1, "y": 1, "z": 0})


@pytest.mark.parametrize("bad", [[1.0], [1, 2, 3], np.zeros((3, 2)), "ab", [[1, 2], [3]]])
def test_wrong_points_are_clear_errors(bad):
    with pytest.raises(ArgumentError):
        Objective("x + y").value(bad)


def test_many_variables_against_finite_differences():
    obj = Objective("x1*x2*x3 - sin(x4) * exp(x5/3) + x6^4")
    rng = np.random.default_rng(0)
    p = rng.normal(size=obj.n)
    np.testing.assert_allclose(obj.grad(p), finite_difference_grad(obj.value, p), rtol=1e-7, atol=1e-7)
    H = obj.hess(p)
    np.testing.assert_allclose(H, H.T)
    fd_hess = np.array([finite_difference_grad(lambda q, i=i: obj.grad(q)[i], p) for i in range(obj.n)])
    np.testing.assert_allclose(H, fd_hess, rtol=1e-6, atol=1e-6)


def test_from_a_sympy_expression():
    a, b = sympy.symbols("a b")  # not declared real: symgd makes them real
    obj = Objective(sympy.Abs(a) + b**2)
    assert obj.variables == ("a", "b")
    np.testing.assert_array_equal(obj.grad([-3, 2]), [-1.0, 4.0])


def test_derivatives_are_derived_once():
    obj = Objective("x^3")
    assert obj.gradient is obj.gradient
    assert obj.hessian is obj.hessian
    assert obj.compiled_grad is obj.compiled_grad


def test_no_warning_leaks_at_a_domain_fault():
    obj = Objective("log(x) + sqrt(x)")
    assert np.isnan(obj.value(-1.0))  # filterwarnings=error would fail on a RuntimeWarning


def test_formula_errors_are_symgd_errors():
    with pytest.raises(symgd.SymgdError):
        Objective("x +")
    with pytest.raises(FormulaError):
        Objective(42)


def test_corners_come_from_abs_max_min():
    x, y = sympy.symbols("x y", real=True)
    assert set(Objective("abs(x - 1) + max(x, y)").corners) == {x - 1, x - y, y - x}
    obj = Objective("abs(x - 1) + y^2")
    assert obj.first_corner(np.array([[3.0, 2.0, 1.0], [0.0, 0.0, 0.0]])) == 2
    assert obj.first_corner(np.array([[3.0], [0.0]])) is None
    assert Objective("x^2").first_corner(np.zeros((1, 3))) is None


def test_complex_derivative_is_refused():
    with pytest.raises(FormulaError, match="derivative is complex-valued"):
        _ = Objective("(-1)^x").gradient
