"""Stage 3: compiled callables for one point or many, constants broadcast, names that cannot steer code."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from symgd.compiler import compile_scalar, compile_vector

x, y = sympy.symbols("x y", real=True)


def test_scalar_one_point_and_many():
    f = compile_scalar((x, y), x**2 + x * y)
    assert f(np.array([1.0, 2.0])) == 3.0
    assert isinstance(f(np.array([1.0, 2.0])), float)
    out = f(np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]]))
    np.testing.assert_array_equal(out, [1.0, 6.0, 6.0])
    assert out.dtype == np.float64


def test_constant_function_broadcasts():
    f = compile_scalar((x,), sympy.Integer(7))
    assert f(np.array([3.0])) == 7.0
    np.testing.assert_array_equal(f(np.zeros((1, 4))), [7.0] * 4)


def test_vector_with_constant_components():
    g = compile_vector((x, y), (2 * x + y, sympy.Integer(3)))
    np.testing.assert_array_equal(g(np.array([1.0, 1.0])), [3.0, 3.0])
    out = g(np.array([[0.0, 1.0], [2.0, 3.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[2.0, 5.0], [3.0, 3.0]])


@pytest.mark.parametrize("name", ["lambda", "sin", "beta", "numpy", "x0", "_Dummy_1", "return", "import"])
def test_any_variable_name_is_safe(name):
    s = sympy.Symbol(name, real=True)
    f = compile_scalar((s, x), sympy.sin(s) + 2 * x)
    assert f(np.array([0.5, 1.0])) == pytest.approx(np.sin(0.5) + 2)


def test_huge_exact_numbers_become_floats():
    f = compile_scalar((x,), sympy.Integer(10) ** 30 * x + x ** (sympy.Integer(10) ** 20))
    assert f(np.array([1.0])) == pytest.approx(1e30 + 1)
