"""Stage 4: the engine on hand-written callables (no sympy), against hand-computed steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symgd import ArgumentError, descend
from symgd.engine import GROWTH_LIMIT
from symgd.optimizers import gd


def quadratic():
    """f(x) = x^2 - 8x + 4, hand-derived."""
    return (lambda x: float(x[0] ** 2 - 8 * x[0] + 4)), (lambda x: np.array([2 * x[0] - 8]))


def test_first_steps_by_hand():
    f, g = quadratic()
    res = descend(f, g, [44.0], gd(0.2), max_iter=3, tol=0)
    # x1 = 44 - 0.2*80 = 28; x2 = 28 - 0.2*48 = 18.4; x3 = 18.4 - 0.2*28.8 = 12.64
    np.testing.assert_allclose(res.history.x[:, 0], [44.0, 28.0, 18.4, 12.64])
    np.testing.assert_allclose(
        res.history.fun, [44**2 - 352 + 4, 784 - 224 + 4, 18.4**2 - 147.2 + 4, 12.64**2 - 101.12 + 4]
    )
    np.testing.assert_allclose(res.history.grad[:, 0], [80.0, 48.0, 28.8, 17.28])
    assert res.nit == 3 and res.status == "max_iter" and res.success


def test_tol_zero_runs_exactly_max_iter_even_at_the_minimum():
    f, g = quadratic()
    res = descend(f, g, [4.0], gd(0.2), max_iter=25, tol=0)
    assert res.nit == 25 and len(res.history) == 26


def test_converges_and_reports_gradient_norm():
    f, g = quadratic()
    res = descend(f, g, [10.0], gd(0.2), tol=1e-6)
    assert res.status == "converged" and res.success
    assert abs(res.grad[0]) <= 1e-6 < abs(res.history.grad[-2, 0])
    assert res.x[0] == pytest.approx(4.0, abs=1e-6)
    assert "Converged" in res.message


def test_converged_at_start_takes_no_step():
    f, g = quadratic()
    res = descend(f, g, [4.0], gd(0.2))
    assert res.nit == 0 and res.status == "converged"


def test_max_iter_with_tol_is_not_success():
    f, g = quadratic()
    res = descend(f, g, [10.0], gd(0.001), max_iter=5)
    assert res.status == "max_iter" and not res.success
    assert "without converging" in res.message


def test_ascent():
    f = lambda x: float(100 * x[0] - x[0] ** 2)  # noqa: E731
    g = lambda x: np.array([100 - 2 * x[0]])  # noqa: E731
    res = descend(f, g, [57.0], gd(0.1), maximize=True, max_iter=2, tol=0)
    # x1 = 57 + 0.1*(-14) = 55.6, x2 = 55.6 + 0.1*(100 - 111.2) = 54.48
    np.testing.assert_allclose(res.history.x[:, 0], [57.0, 55.6, 54.48])
    assert res.best_iter == 2 and res.best_fun == pytest.approx(100 * 54.48 - 54.48**2)


def test_divergence_by_growth():
    f, g = quadratic()
    res = descend(f, g, [5.0], gd(1.06))
    assert res.status == "diverged" and not res.success
    assert res.nit < 1000
    assert res.fun - (-11.0) > GROWTH_LIMIT  # far worse than the start (f(5) = -11)
    assert "smaller learning rate" in res.message
    assert f"iteration {res.nit}" in res.message
    assert res.best_iter == 0 and res.best_fun == -11.0


def test_divergence_by_overflow_and_nan():
    res = descend(lambda x: float(np.exp(x[0])), lambda x: np.exp(x), [0.0], gd(1.0), maximize=True)
    assert res.status == "diverged"
    # sqrt(x) from 1 with lr 4: x1 = 1 - 4 * 0.5 = -1, outside the domain.
    res = descend(lambda x: float(np.sqrt(x[0])), lambda x: 0.5 / np.sqrt(x), [1.0], gd(4.0))
    assert res.status == "diverged" and "domain" in res.message
    assert math.isnan(res.fun)


def test_unbounded_below():
    res = descend(lambda x: float(x[0] ** 3), lambda x: 3 * x**2, [1.0], gd(1.0))
    assert res.status == "diverged" and "unbounded below" in res.message


def test_undefined_start():
    res = descend(lambda x: float(np.log(x[0])), lambda x: 1 / x, [-1.0], gd(0.1))
    assert res.status == "undefined" and res.nit == 0 and "start point" in res.message


def test_callback_sees_every_iteration_and_can_stop():
    f, g = quadratic()
    seen = []

    def callback(intermediate):
        seen.append((intermediate.nit, intermediate.x[0], intermediate.fun))
        if intermediate.nit == 4:
            raise StopIteration

    res = descend(f, g, [10.0], gd(0.2), callback=callback)
    assert res.status == "callback" and res.nit == 4 and res.success
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert seen[0][1] == pytest.approx(10 - 0.2 * 12)


def test_trace_grows_past_its_first_allocation():
    f, g = quadratic()
    res = descend(f, g, [10.0], gd(1e-5), max_iter=10_000, tol=0)
    assert res.history.x.shape == (10_001, 1)
    x = 10.0
    for _ in range(10_000):
        x -= 1e-5 * (2 * x - 8)
    assert res.x[0] == pytest.approx(x, rel=1e-12)


def test_bad_arguments():
    f, g = quadratic()
    for kwargs in [{"max_iter": -1}, {"max_iter": 1.5}, {"tol": -1.0}, {"tol": "a"}]:
        with pytest.raises(ArgumentError):
            descend(f, g, [1.0], gd(0.1), **kwargs)
    with pytest.raises(ArgumentError, match="learning rate"):
        gd(-0.1)
    with pytest.raises(ArgumentError, match="2 variables"):
        descend(f, g, [1.0], gd(0.1), variables=["x", "y"])
