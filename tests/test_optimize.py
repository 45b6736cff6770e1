"""minimize / maximize end to end, against closed forms and scipy."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symgd
from symgd import ArgumentError, Objective


def test_spec_result_fields():
    res = symgd.minimize("x**2 + x*y + y**2", [1, 2], lr=0.1)
    assert res.variables == ("x", "y")
    assert res.x.shape == (2,) and res.grad.shape == (2,)
    assert isinstance(res.fun, float) and isinstance(res.nit, int)
    assert res.status == "converged" and res.success and isinstance(res.message, str)
    h = res.history
    assert h.x.shape == (res.nit + 1, 2) and h.fun.shape == (res.nit + 1,) and h.grad.shape == (res.nit + 1, 2)
    np.testing.assert_array_equal(h.x[0], [1.0, 2.0])
    np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-8)


def test_quadratic_against_closed_form():
    # f = 1/2 x^T A x - b^T x has its minimum at A^-1 b
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    res = symgd.minimize("1.5x^2 + x*y + y^2 - x + y", [0, 0], lr=0.2, tol=1e-12, max_iter=5000)
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-11)


def test_agrees_with_scipy_on_a_smooth_function():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    text = "(x - 1)^2 + 2(y + 0.5)^2 + 0.1*sin(x*y)"
    obj = Objective(text)
    ours = symgd.minimize(obj, [0, 0], lr=0.1, tol=1e-10, max_iter=10_000)
    ref = scipy_optimize.minimize(obj.value, [0, 0], jac=obj.grad, method="BFGS", tol=1e-12)
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-8)


def test_maximize_fence():
    res = symgd.maximize("100*l - l**2", 57, lr=0.1)
    assert res.maximize and res.x[0] == pytest.approx(50, abs=1e-8) and res.fun == pytest.approx(2500)


def test_default_start_is_ones_and_reproducible():
    a = symgd.minimize("(x - 3)^2 + (y + 2)^2", max_iter=3, tol=0)
    b = symgd.minimize("(x - 3)^2 + (y + 2)^2", max_iter=3, tol=0)
    np.testing.assert_array_equal(a.history.x[0], [1.0, 1.0])
    np.testing.assert_array_equal(a.history.x, b.history.x)


def test_accepts_objective_sympy_and_constants():
    x = sympy.Symbol("x")
    assert symgd.minimize(x**2 - 4 * x, 0, lr=0.25).x[0] == pytest.approx(2)
    res = symgd.minimize("a*(x - c)^2", 0, constants={"a": 2, "c": 3}, lr=0.1)
    assert res.variables == ("x",) and res.x[0] == pytest.approx(3)
    obj = Objective("x^2 + y")
    assert symgd.minimize(obj, {"x": 1, "y": 0}, variables=["y", "x"], max_iter=1, tol=0).variables == ("y", "x")


def test_diverges_with_the_seed_learning_rate():
    with pytest.warns(symgd.LearningRateWarning, match=r"exceeds 2/λmax = 1, the largest stable"):
        res = symgd.minimize("x**2-8*x+4", lr=1.06)
    assert res.status == "diverged" and "smaller learning rate" in res.message


def test_unknown_optimizer_lists_the_valid_ones():
    with pytest.raises(ArgumentError, match="unknown optimizer 'sgdd'; choose one of: gd"):
        symgd.minimize("x^2", optimizer="sgdd")


def test_optimizer_object():
    res = symgd.minimize("x^2", 1.0, optimizer=symgd.optimizers.gd(0.25), max_iter=1, tol=0)
    assert res.x[0] == 0.5


def test_corner_is_reported_once_with_the_subgradient():
    res = symgd.minimize("abs(x - 1) + y^2", [3, 1], lr=0.5, max_iter=50)
    assert res.status == "converged"
    assert res.message.count("Note:") == 1
    assert "f has a corner" in res.message and "subgradient" in res.message
    np.testing.assert_allclose(res.x, [1.0, 0.0], atol=1e-8)


def test_smooth_run_has_no_corner_note():
    assert "corner" not in symgd.minimize("x^2 + abs(y)", [1, 0.3], lr=0.1, max_iter=3, tol=0).message


@pytest.mark.parametrize(
    ("formula", "x0", "fault"),
    [
        ("log(x)", -1.0, "undefined"),
        ("sqrt(x)", -4.0, "undefined"),
        ("1/x", 0.0, "undefined"),
        ("exp(1000*x)", 1.0, "undefined"),
        ("sqrt(x)", 1.0, "diverged"),  # descends to x < 0, outside the domain
    ],
)
def test_numeric_faults_are_statuses(formula, x0, fault):
    res = symgd.minimize(formula, x0, lr=4.0)  # filterwarnings=error: a numpy warning would fail here
    assert res.status == fault and not res.success


def test_result_knows_its_objective_for_verify():
    res = symgd.minimize("0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2", -11.26, lr=0.2)
    assert res.objective.variables == ("x",)
    report = res.verify()
    assert "local minimum only" in str(report)
    bare = symgd.descend(lambda x: float(x @ x), lambda x: 2 * x, [1.0], symgd.optimizers.gd(0.25))
    with pytest.raises(ArgumentError, match="pass the formula or Objective"):
        bare.verify()


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_the_learning_rate_check_never_starves_the_run(monkeypatch, backend):
    # the Hessian (for the optional lr warning) comes after everything the run needs, so a
    # Hessian that exhausts the formula's time budget costs the warning, not the run
    import time as clock

    from symgd import derive

    def slow_hessian(*args, **kwargs):
        clock.sleep(0.5)
        raise AssertionError("the time budget should have stopped this")

    monkeypatch.setattr(derive, "hessian", slow_hessian)
    obj = symgd.Objective("(x - 3)^2 + 2(y + 1)^2", limits=symgd.Limits(time_budget=0.3))
    res = symgd.minimize(obj, [0.0, 0.0], lr=0.05, max_iter=5000, tol=1e-6, backend=backend)
    assert res.success
