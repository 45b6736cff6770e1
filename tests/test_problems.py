"""Every optimizer on every standard test function, against the known closed-form minima.

Problems (start -> known minimum):

    rosenbrock  (1-x)² + 100(y-x²)²                  (-1.2, 1) -> (1, 1), f = 0
    himmelblau  (x²+y-11)² + (x+y²-7)²               (1, 1)    -> one of (3, 2), (-2.805118, 3.131312),
                                                                (-3.779310, -3.283186), (3.584428, -1.848127), f = 0
    beale       (1.5-x+xy)² + (2.25-x+xy²)² + (2.625-x+xy³)²   (1, 1) -> (3, 0.5), f = 0
    booth       (x+2y-7)² + (2x+y-5)²                 (0, 0)    -> (1, 3), f = 0
    saddle      x² - y² on the box [-1, 1] × [-2, 2]  (0.5, 0.5) -> (0, 2), f = -4 (a corner of the box;
                                                                "converged" there means the gradient projected
                                                                on the box is within tol)

Settings: lr / max_iter / tol per optimizer and problem, and what is asserted ("tol" 1e-8 unless given).

* ok: status "converged", |x - x*|∞ <= 10·tol and |f - f*| <= max(1e-9, 2·tol²). Near a minimum
  |x - x*| <= |grad|/λmin and f - f* <= |grad|²/(2·λmin), and λmin >= 0.3 at every minimum here; on
  the saddle's box f - f* = x² <= (tol/2)².
* HONEST(d): the optimizer genuinely cannot get there in the budget, so it must say so: status
  "max_iter", success False, nit = max_iter, a message saying it stopped "without converging",
  |grad| > tol, f below its start value, and x within d of the minimum (measured, with margin).

[n] is the number of iterations measured; the whole file runs in about 7 s (pytest --durations).

  optimizer  rosenbrock              himmelblau          beale                booth                saddle
  gd         0.0013/30000/1e-6 ok    0.01/1000 ok        0.01/10000/1e-6 ok   0.1/1000 ok          0.1/1000 ok
             [24668] (2/λmax is      [71]                [3845]               [101]                [83]
             0.00133 at the start: a larger lr draws LearningRateWarning)
  momentum   0.002/5000 ok [2078]    0.01/1000 ok [416]  0.01/1000 ok [377]   0.01/1000 ok [371]   0.01/1000 ok
  nesterov   0.001/10000 ok [4178]   0.01/1000 ok [88]   0.01/1000 ok [275]   0.01/1000 ok [252]   0.01/1000 ok
  adagrad    0.5/20000/1e-6 ok       1.0/1000 ok [29]    0.5/3000 ok [1099]   1.0/1000 ok [407]    0.5/100 ok [4]
             [16585]
  rmsprop    E(0.01,0.999)/20000     E(0.02,0.998)/1000  E(0.02,0.998)/10000  E(0.02,0.998)/10000  E(0.02,0.998)
             /1e-6 ok [15685]        /1e-6 ok [154]      /1e-6 ok [6624]      /1e-6 ok [6202]      /1000/1e-6 ok
             E(a, r) = exponential_decay(a, r), a·r^k: at a constant rate RMSprop hovers about lr around
             the minimum (once s tracks g² its step is about lr·sign(g)), so it needs a decaying rate.
  adam       0.1/5000 ok [1987]      0.1/1000 ok [411]   0.1/1000 ok [409]    0.1/1000 ok [420]    0.1/1000 ok
  amsgrad    0.1/3000 HONEST(0.6)    0.1/1000 ok [434]   0.1/5000 ok [2925]   0.1/5000 ok [3330]   0.1/1000 ok
             ends near (0.72, 0.51): the running max of v_hat keeps the huge gradients of the valley's
             walls from the first steps, so its steps along the flat valley floor stay tiny.
  adamw      0.05/3000/1e-3          0.05/3000/1e-3      0.05/3000/1e-3       0.05/3000/1e-3       0.05/1000/1e-3
             HONEST(0.1) [0.049]     HONEST(2e-3)        HONEST(3e-2)         HONEST(2e-2)         ok [82]
                                     [6.5e-4]            [0.014]              [0.0072]
             weight_decay 0.01 (the default): the decoupled pull lr·wd·x must be cancelled by Adam's
             normalised step, which is about ±lr unless the gradient keeps changing sign, so at a constant
             rate AdamW hovers near the minimum and its gradient does not fall below tol.
  newton     1.0/100 ok [6]          1.0/100 ok [9]      1.0/100 ok [44]      1.0/100 ok [1]       1.0/100 ok [2]
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import pytest

import symgd
from symgd.schedules import exponential_decay

HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)]


class Problem(NamedTuple):
    formula: str
    x0: tuple[float, float]
    minima: list[tuple[float, float]]
    fun: float
    bounds: list[tuple[float, float]] | None = None


PROBLEMS = {
    "rosenbrock": Problem("(1-x)^2 + 100(y-x^2)^2", (-1.2, 1.0), [(1.0, 1.0)], 0.0),
    "himmelblau": Problem("(x^2+y-11)^2 + (x+y^2-7)^2", (1.0, 1.0), HIMMELBLAU_MINIMA, 0.0),
    "beale": Problem("(1.5-x+x*y)^2 + (2.25-x+x*y^2)^2 + (2.625-x+x*y^3)^2", (1.0, 1.0), [(3.0, 0.5)], 0.0),
    "booth": Problem("(x+2y-7)^2 + (2x+y-5)^2", (0.0, 0.0), [(1.0, 3.0)], 0.0),
    "saddle": Problem("x^2 - y^2", (0.5, 0.5), [(0.0, 2.0), (0.0, -2.0)], -4.0, bounds=[(-1, 1), (-2, 2)]),
}


class Case(NamedTuple):
    lr: object  # a number or a schedule
    max_iter: int
    tol: float = 1e-8
    honest_within: float | None = None  # None: must converge; else: reports max_iter, ends this close


def rms_schedule():
    return exponential_decay(0.02, 0.998)


SETTINGS: dict[str, dict[str, Case]] = {
    "gd": {
        "rosenbrock": Case(0.0013, 30_000, 1e-6),
        "himmelblau": Case(0.01, 1000),
        "beale": Case(0.01, 10_000, 1e-6),
        "booth": Case(0.1, 1000),
        "saddle": Case(0.1, 1000),
    },
    "momentum": {
        "rosenbrock": Case(0.002, 5000),
        **{p: Case(0.01, 1000) for p in ("himmelblau", "beale", "booth", "saddle")},
    },
    "nesterov": {
        "rosenbrock": Case(0.001, 10_000),
        **{p: Case(0.01, 1000) for p in ("himmelblau", "beale", "booth", "saddle")},
    },
    "adagrad": {
        "rosenbrock": Case(0.5, 20_000, 1e-6),
        "himmelblau": Case(1.0, 1000),
        "beale": Case(0.5, 3000),
        "booth": Case(1.0, 1000),
        "saddle": Case(0.5, 100),
    },
    "rmsprop": {
        "rosenbrock": Case(exponential_decay(0.01, 0.999), 20_000, 1e-6),
        "himmelblau": Case(rms_schedule(), 1000, 1e-6),
        "beale": Case(rms_schedule(), 10_000, 1e-6),
        "booth": Case(rms_schedule(), 10_000, 1e-6),
        "saddle": Case(rms_schedule(), 1000, 1e-6),
    },
    "adam": {
        "rosenbrock": Case(0.1, 5000),
        **{p: Case(0.1, 1000) for p in ("himmelblau", "beale", "booth", "saddle")},
    },
    "amsgrad": {
        "rosenbrock": Case(0.1, 3000, honest_within=0.6),
        "himmelblau": Case(0.1, 1000),
        "beale": Case(0.1, 5000),
        "booth": Case(0.1, 5000),
        "saddle": Case(0.1, 1000),
    },
    "adamw": {
        "rosenbrock": Case(0.05, 3000, 1e-3, honest_within=0.1),
        "himmelblau": Case(0.05, 3000, 1e-3, honest_within=2e-3),
        "beale": Case(0.05, 3000, 1e-3, honest_within=3e-2),
        "booth": Case(0.05, 3000, 1e-3, honest_within=2e-2),
        "saddle": Case(0.05, 1000, 1e-3),
    },
    "newton": {p: Case(1.0, 100) for p in PROBLEMS},
}


@functools.cache
def objective(name: str) -> symgd.Objective:
    """Each problem derived and compiled once for the whole file."""
    return symgd.Objective(PROBLEMS[name].formula)


def nearest(x, minima):
    distances = [np.max(np.abs(np.asarray(x) - m)) for m in minima]
    k = int(np.argmin(distances))
    return np.array(minima[k]), distances[k]


def test_the_table_covers_every_optimizer_and_problem():
    assert set(SETTINGS) == set(symgd.optimizers.OPTIMIZERS)
    assert all(set(row) == set(PROBLEMS) for row in SETTINGS.values())


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("optimizer", list(SETTINGS))
def test_optimizer_on_problem(optimizer, problem):
    p, case = PROBLEMS[problem], SETTINGS[optimizer][problem]
    obj = objective(problem)
    res = symgd.minimize(obj, list(p.x0), optimizer=optimizer, lr=case.lr, max_iter=case.max_iter, tol=case.tol,
                         bounds=p.bounds)  # fmt: skip
    target, distance = nearest(res.x, p.minima)
    if case.honest_within is None:
        assert res.status == "converged" and res.success, res.message
        assert res.nit <= case.max_iter
        assert distance <= 10 * case.tol, (res.x, target)
        assert res.fun == pytest.approx(p.fun, abs=max(1e-9, 2 * case.tol**2))
        assert np.linalg.norm(res.grad if p.bounds is None else [2 * res.x[0], 0.0]) <= case.tol
    else:
        assert res.status == "max_iter" and not res.success
        assert res.nit == case.max_iter
        assert "without converging" in res.message and f"tol = {case.tol:g}" in res.message
        assert np.linalg.norm(res.grad) > case.tol
        assert res.fun < obj.value(list(p.x0))
        assert distance <= case.honest_within, (res.x, target)
    if p.bounds is not None:
        (xlo, xhi), (ylo, yhi) = p.bounds
        assert np.all((xlo <= res.history.x[:, 0]) & (res.history.x[:, 0] <= xhi))
        assert np.all((ylo <= res.history.x[:, 1]) & (res.history.x[:, 1] <= yhi))


@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_known_minima_agree_with_scipy(problem):
    """The references themselves, cross-checked: scipy from the same start ends at a known minimum."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    p, obj = PROBLEMS[problem], objective(problem)
    ref = scipy_optimize.minimize(obj.value, p.x0, jac=obj.grad, method="L-BFGS-B", bounds=p.bounds,
                                  options={"gtol": 1e-10, "ftol": 1e-15})  # fmt: skip
    _, distance = nearest(ref.x, p.minima)
    assert distance <= 1e-4 and ref.fun == pytest.approx(p.fun, abs=1e-8)
    for m in p.minima:  # and the known minima are stationary (inside the box) with the known value
        assert obj.value(m) == pytest.approx(p.fun, abs=1e-9)
        if p.bounds is None:
            assert np.linalg.norm(obj.grad(m)) <= 1e-4
            assert np.all(np.linalg.eigvalsh(obj.hess(m)) > 0)
