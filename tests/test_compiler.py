"""Stage 3: compiled callables for one point or many, constants broadcast, names that cannot steer code."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from symgd.compiler import common_parts, compile_scalar, compile_vector, lambdify_list

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


def test_lambdify_list_takes_numbers_and_arrays_per_variable():
    a = sympy.Symbol("a", real=True)
    f = lambdify_list((a, x), [a * x**2 + sympy.exp(a), x])
    xs = np.linspace(-2, 2, 7)
    value, same = f([np.float64(0.5), xs])
    np.testing.assert_allclose(value, 0.5 * xs * xs + np.exp(0.5), rtol=1e-15)
    assert same is xs  # a bare variable is passed through, not copied


@pytest.mark.parametrize(
    "exprs",
    [
        lambda a, b: [a * x**2 + b * x + 1, x**2, x],
        lambda a, b: [a * sympy.exp(-(x**2) / 2) + b * sympy.sin(3 * x), sympy.exp(-(x**2) / 2), sympy.sin(3 * x)],
        lambda a, b: [a * x * y + b, x * y, sympy.Integer(1)],
    ],
)
def test_known_parts_are_read_and_give_the_same_values(exprs):
    a, b = sympy.symbols("a b", real=True)
    exprs = exprs(a, b)
    parts = common_parts((a, b, x, y), exprs, without=(a, b))
    assert parts and all(not p.free_symbols & {a, b} for p in parts)
    names = [sympy.Dummy(real=True) for _ in parts]
    plain = lambdify_list((a, b, x, y), exprs)
    reading = lambdify_list((a, b, x, y, *names), exprs, known=dict(zip(parts, names)))
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(-3, 3, 50), rng.uniform(-3, 3, 50)
    values = lambdify_list((x, y), parts)([xs, ys])
    for got, want in zip(reading([1.25, -0.5, xs, ys, *values]), plain([1.25, -0.5, xs, ys])):
        np.testing.assert_array_equal(got, want)  # the same code, the parts read instead of computed
    wrong = reading([1.25, -0.5, xs, ys, *[v + 1.0 for v in values]])
    assert not np.array_equal(wrong[1], plain([1.25, -0.5, xs, ys])[1])  # and read they are


def test_common_parts_leave_out_the_parameters_and_single_uses():
    a = sympy.Symbol("a", real=True)
    assert common_parts((a, x), [a * x**2 + x], without=(a,)) == []  # x**2 used once: computed in place
    assert common_parts((a, x), [a * sympy.exp(a * x), sympy.exp(a * x)], without=(a,)) == []
    assert common_parts((a, x), [a * x**3, x**3], without=(a,)) == [x**3]
