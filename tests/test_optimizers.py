"""Every update rule against steps computed independently, by hand, from the published formulas.

The references below are plain Python floats (no numpy, nothing from symgd):

* gd:        x -= lr*g
* momentum:  v = beta*v + g;  x -= lr*v                         (heavy ball, as in PyTorch)
* nesterov:  v = beta*v + g;  x -= lr*(g + beta*v)              (PyTorch's nesterov=True)
* adagrad:   G += g²;  x -= lr*g/(sqrt(G) + eps)                (Duchi et al. 2011)
* rmsprop:   s = rho*s + (1-rho)*g²;  x -= lr*g/(sqrt(s) + eps) (Tieleman & Hinton 2012)
* adam:      m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g²;
             x -= lr*(m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)    (Kingma & Ba 2015)
* amsgrad:   as adam with v_hat = running max of v/(1-b2^t)
* adamw:     x -= lr*(adam step + wd*x)                          (Loshchilov & Hutter 2019)
* newton:    solve H d = g;  x -= lr*d
* clipping:  g <- g*min(1, c/|g|) before the rule
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import symgd
from symgd import ArgumentError, descend, schedules
from symgd import optimizers as opt
from symgd.multistart import descend_many

# -- hand-written problems: value, gradient and Hessian for one point (n,) or k points (n, k)


def line_value(x):
    """f(x) = x² − 8x + 4 (minimum 4, f = −12)."""
    return x[0] ** 2 - 8 * x[0] + 4


def line_grad(x):
    return np.array([2 * x[0] - 8])


def line_hess(x):
    return np.full((1, 1, *np.shape(x)[1:]), 2.0)


def bowl_value(x):
    """f(x, y) = x² + 3y²."""
    return x[0] ** 2 + 3 * x[1] ** 2


def bowl_grad(x):
    return np.array([2 * x[0], 6 * x[1]])


def bowl_hess(x):
    H = np.zeros((2, 2, *np.shape(x)[1:]))
    H[0, 0], H[1, 1] = 2.0, 6.0
    return H


def rosen_value(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def rosen_hess(x):
    a, b = x[0], x[1]
    return np.array([[2 - 400 * (b - a**2) + 800 * a**2, -400 * a], [-400 * a, 200 + 0 * a]])


def run(value, grad, x0, step, hess=None, steps=3, **kwargs):
    """``steps`` steps exactly (tol = 0): the trace's points."""
    res = descend(lambda x: float(value(x)), grad, x0, step, hess=hess, max_iter=steps, tol=0, **kwargs)
    assert res.nit == steps and res.status == "max_iter" and res.success
    return res.history.x


# -- 1. first steps on f(x) = x² − 8x + 4 from x = 10 (g = 2x − 8), written out by hand


def test_gd_by_hand():
    # g0 = 12; x1 = 10 - 0.2*12 = 7.6; g1 = 7.2; x2 = 6.16; g2 = 4.32; x3 = 5.296
    xs = run(line_value, line_grad, [10.0], opt.gd(0.2))
    np.testing.assert_allclose(xs[:, 0], [10.0, 7.6, 6.16, 5.296], rtol=1e-14)


def test_momentum_by_hand():
    # v1 = 12, x1 = 10 - 0.1*12 = 8.8; g1 = 9.6, v2 = 0.9*12 + 9.6 = 20.4, x2 = 8.8 - 2.04 = 6.76;
    # g2 = 5.52, v3 = 0.9*20.4 + 5.52 = 23.88, x3 = 6.76 - 2.388 = 4.372
    xs = run(line_value, line_grad, [10.0], opt.momentum(lr=0.1, beta=0.9))
    np.testing.assert_allclose(xs[:, 0], [10.0, 8.8, 6.76, 4.372], rtol=1e-14)


def test_nesterov_by_hand():
    # v1 = 12, step along 12 + 0.9*12 = 22.8: x1 = 10 - 2.28 = 7.72
    # g1 = 7.44, v2 = 10.8 + 7.44 = 18.24, along 7.44 + 0.9*18.24 = 23.856: x2 = 7.72 - 2.3856 = 5.3344
    # g2 = 2.6688, v3 = 16.416 + 2.6688 = 19.0848, along 2.6688 + 17.17632 = 19.84512: x3 = 3.349888
    xs = run(line_value, line_grad, [10.0], opt.nesterov(lr=0.1, beta=0.9))
    np.testing.assert_allclose(xs[:, 0], [10.0, 7.72, 5.3344, 3.349888], rtol=1e-14)


def test_adagrad_by_hand():
    eps = 1e-10
    x1 = 10 - 0.5 * 12 / (math.sqrt(144) + eps)  # = 9.5
    g1 = 2 * x1 - 8  # = 11
    x2 = x1 - 0.5 * g1 / (math.sqrt(144 + g1**2) + eps)  # 9.5 - 5.5/sqrt(265)
    xs = run(line_value, line_grad, [10.0], opt.adagrad(lr=0.5), steps=2)
    np.testing.assert_allclose(xs[:, 0], [10.0, x1, x2], rtol=1e-14)
    assert x1 == pytest.approx(9.5) and x2 == pytest.approx(9.5 - 5.5 / math.sqrt(265))


def test_rmsprop_by_hand():
    eps = 1e-8
    s1 = 0.1 * 12**2  # 14.4
    x1 = 10 - 0.1 * 12 / (math.sqrt(s1) + eps)
    g1 = 2 * x1 - 8
    s2 = 0.9 * s1 + 0.1 * g1**2
    x2 = x1 - 0.1 * g1 / (math.sqrt(s2) + eps)
    xs = run(line_value, line_grad, [10.0], opt.rmsprop(lr=0.1, decay=0.9), steps=2)
    np.testing.assert_allclose(xs[:, 0], [10.0, x1, x2], rtol=1e-14)


def adam_by_hand(lr, steps, amsgrad=False, weight_decay=0.0, b1=0.9, b2=0.999, eps=1e-8):
    """Adam / AMSGrad / AdamW on x² − 8x + 4 from 10, scalar floats."""
    x, m, v, v_max, xs = 10.0, 0.0, 0.0, 0.0, [10.0]
    for t in range(1, steps + 1):
        g = 2 * x - 8
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        v_max = max(v_max, v_hat)
        x = x - lr * ((m_hat / (math.sqrt(v_max if amsgrad else v_hat) + eps)) + weight_decay * x)
        xs.append(x)
    return xs


def test_adam_by_hand():
    # step 1: m = 1.2, v = 0.144, m_hat = 12, v_hat = 144: x1 = 10 - 0.5*12/(12 + 1e-8)
    x1 = 10 - 0.5 * 12 / (12 + 1e-8)
    g1 = 2 * x1 - 8
    m2, v2 = 0.9 * 1.2 + 0.1 * g1, 0.999 * 0.144 + 0.001 * g1**2
    x2 = x1 - 0.5 * (m2 / (1 - 0.9**2)) / (math.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    xs = run(line_value, line_grad, [10.0], opt.adam(lr=0.5), steps=3)
    np.testing.assert_allclose(xs[:3, 0], [10.0, x1, x2], rtol=1e-14)
    np.testing.assert_allclose(xs[:, 0], adam_by_hand(0.5, 3), rtol=1e-14)


def test_amsgrad_keeps_the_largest_bias_corrected_second_moment():
    xs = run(line_value, line_grad, [10.0], opt.amsgrad(lr=0.5), steps=3)
    np.testing.assert_allclose(xs[:, 0], adam_by_hand(0.5, 3, amsgrad=True), rtol=1e-14)
    # the gradient shrinks (12, 11, ...), so v_hat falls below its first value 144 and the max matters:
    assert abs(xs[2, 0] - adam_by_hand(0.5, 3)[2]) > 1e-3


def test_adamw_decays_the_weights_decoupled():
    # x1 = 10 - 0.5*(12/(12 + 1e-8) + 0.1*10)
    xs = run(line_value, line_grad, [10.0], opt.adamw(lr=0.5, weight_decay=0.1), steps=3)
    assert xs[1, 0] == pytest.approx(10 - 0.5 * (12 / (12 + 1e-8) + 0.1 * 10), rel=1e-14)
    np.testing.assert_allclose(xs[:, 0], adam_by_hand(0.5, 3, weight_decay=0.1), rtol=1e-14)
    without = run(line_value, line_grad, [10.0], opt.adamw(lr=0.5, weight_decay=0.0), steps=3)
    np.testing.assert_allclose(without, run(line_value, line_grad, [10.0], opt.adam(lr=0.5), steps=3), rtol=0)


def test_newton_by_hand():
    # H = 2: x1 = 10 - 12/2 = 4, the minimum; then g = 0 and it stays
    xs = run(line_value, line_grad, [10.0], opt.newton(), hess=line_hess, steps=2)
    np.testing.assert_allclose(xs[:, 0], [10.0, 4.0, 4.0], rtol=1e-14)
    half = run(line_value, line_grad, [10.0], opt.newton(lr=0.5), hess=line_hess, steps=2)
    np.testing.assert_allclose(half[:, 0], [10.0, 7.0, 5.5], rtol=1e-14)  # x -= 0.5*(2x - 8)/2


# -- 2. the same rules in two variables, f = x² + 3y² from (2, -1): plain-Python references


def bowl_g(p):
    return [2 * p[0], 6 * p[1]]


def reference(rule, x0, steps=3, **h):
    """The first ``steps`` points of ``rule`` on x² + 3y², every coordinate by hand in floats."""
    x = list(x0)
    n = len(x)
    xs = [list(x)]
    v, s, m, v_max = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
    for t in range(1, steps + 1):
        g = bowl_g(x)
        if h.get("clip") is not None:
            norm = math.sqrt(sum(gi * gi for gi in g))
            g = [gi * min(1.0, h["clip"] / norm) for gi in g]
        lr = h["lr"]
        if rule == "gd":
            d = g
        elif rule in ("momentum", "nesterov"):
            v = [h["beta"] * vi + gi for vi, gi in zip(v, g)]
            d = v if rule == "momentum" else [gi + h["beta"] * vi for gi, vi in zip(g, v)]
        elif rule == "adagrad":
            s = [si + gi * gi for si, gi in zip(s, g)]
            d = [gi / (math.sqrt(si) + h["eps"]) for gi, si in zip(g, s)]
        elif rule == "rmsprop":
            s = [h["decay"] * si + (1 - h["decay"]) * gi * gi for si, gi in zip(s, g)]
            d = [gi / (math.sqrt(si) + h["eps"]) for gi, si in zip(g, s)]
        elif rule in ("adam", "amsgrad", "adamw"):
            b1, b2 = h["beta1"], h["beta2"]
            m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
            v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
            v_hat = [vi / (1 - b2**t) for vi in v]
            v_max = [max(a, b) for a, b in zip(v_max, v_hat)]
            second = v_max if rule == "amsgrad" else v_hat
            d = [(mi / (1 - b1**t)) / (math.sqrt(vi) + h["eps"]) for mi, vi in zip(m, second)]
            if rule == "adamw":
                d = [di + h["weight_decay"] * xi for di, xi in zip(d, x)]
        elif rule == "newton":
            d = [g[0] / 2, g[1] / 6]  # H = diag(2, 6)
        x = [xi - lr * di for xi, di in zip(x, d)]
        xs.append(list(x))
    return np.array(xs)


RULES = {
    "gd": {"lr": 0.1},
    "momentum": {"lr": 0.05, "beta": 0.7},
    "nesterov": {"lr": 0.05, "beta": 0.7},
    "adagrad": {"lr": 0.3, "eps": 1e-6},
    "rmsprop": {"lr": 0.05, "decay": 0.8, "eps": 1e-6},
    "adam": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
    "amsgrad": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
    "adamw": {"lr": 0.2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05},
    "newton": {"lr": 0.7},
}
X0 = (2.0, -1.0)


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_through_descend(name):
    options = RULES[name]
    xs = run(bowl_value, bowl_grad, X0, opt.OPTIMIZERS[name](**options), hess=bowl_hess)
    np.testing.assert_allclose(xs, reference(name, X0, **options), rtol=1e-13)


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_through_minimize_with_its_options(name):
    options = RULES[name]
    res = symgd.minimize("x^2 + 3y^2", list(X0), optimizer=name, max_iter=3, tol=0, **options)
    assert res.nit == 3 and res.status == "max_iter"
    np.testing.assert_allclose(res.history.x, reference(name, X0, **options), rtol=1e-13)
    np.testing.assert_allclose(res.history.fun, [p[0] ** 2 + 3 * p[1] ** 2 for p in res.history.x], rtol=1e-13)


def test_every_named_optimizer_is_covered():
    assert set(RULES) == set(opt.OPTIMIZERS)


@pytest.mark.parametrize("name", ["gd", "momentum", "adam"])
def test_clipping_by_norm(name):
    # from (3, 4): g = (6, 24), |g| = sqrt(612) ~ 24.7 > 1: the rule sees g/|g|
    options = {**RULES[name], "clip": 1.0}
    res = symgd.minimize("x^2 + 3y^2", [3.0, 4.0], optimizer=name, max_iter=3, tol=0, **options)
    np.testing.assert_allclose(res.history.x, reference(name, (3.0, 4.0), **options), rtol=1e-13)
    if name == "gd":
        g = math.sqrt(612)
        np.testing.assert_allclose(res.history.x[1], [3 - 0.1 * 6 / g, 4 - 0.1 * 24 / g], rtol=1e-14)
    # a clip longer than every gradient changes nothing
    loose = symgd.minimize("x^2 + 3y^2", [3.0, 4.0], optimizer=name, max_iter=3, tol=0, **{**options, "clip": 1e3})
    np.testing.assert_allclose(loose.history.x, reference(name, (3.0, 4.0), **RULES[name]), rtol=1e-13)


def test_clip_by_norm_block_scales_each_start_on_its_own():
    clip = opt.clip_by_norm(5.0)
    u = np.array([[3.0, 30.0, 0.0], [4.0, 40.0, 0.0]])  # norms 5, 50, 0
    out, _ = clip.update(u, clip.init(u, None), u, 0.0, u)
    np.testing.assert_allclose(out, [[3.0, 3.0, 0.0], [4.0, 4.0, 0.0]], rtol=1e-15)


# -- 3. schedules


def test_schedule_values():
    assert [schedules.constant(0.3)(k) for k in (0, 1, 100)] == [0.3, 0.3, 0.3]
    step = schedules.step_decay(0.2, rate=0.5, every=3)
    np.testing.assert_allclose([step(k) for k in range(7)], [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05], rtol=1e-15)
    expo = schedules.exponential_decay(0.1, rate=0.5)
    np.testing.assert_allclose([expo(k) for k in range(4)], [0.1, 0.05, 0.025, 0.0125], rtol=1e-15)
    inverse = schedules.inverse_time_decay(0.1, rate=0.5)
    np.testing.assert_allclose([inverse(k) for k in range(4)], [0.1, 0.1 / 1.5, 0.05, 0.1 / 2.5], rtol=1e-15)
    cosine = schedules.cosine_decay(0.1, steps=4, floor=0.1)
    # 0.1*(0.1 + 0.9*(1 + cos(pi*k/4))/2), then the floor 0.01 from step 4 on
    expected = [0.1, 0.1 * (0.1 + 0.45 * (1 + math.sqrt(0.5))), 0.055, 0.1 * (0.1 + 0.45 * (1 - math.sqrt(0.5))), 0.01]
    np.testing.assert_allclose([cosine(k) for k in range(5)], expected, rtol=1e-14)
    assert cosine(10) == pytest.approx(0.01, rel=1e-14)
    assert schedules.cosine_decay(0.1, steps=10)(10) == 0.0


def test_parse_schedule():
    assert schedules.parse_schedule("exponential:0.5", 0.1)(2) == pytest.approx(0.025, rel=1e-15)
    assert schedules.parse_schedule("inverse_time:1", 0.3)(2) == pytest.approx(0.1, rel=1e-15)
    assert schedules.parse_schedule("cosine:4", 0.1)(2) == pytest.approx(0.05, rel=1e-14)
    with pytest.raises(ArgumentError, match="unknown schedule 'linear'; choose one of: constant"):
        schedules.parse_schedule("linear", 0.1)
    with pytest.raises(ArgumentError, match="cannot read the schedule"):
        schedules.parse_schedule("step:half", 0.1)


@pytest.mark.parametrize(
    "make", [schedules.constant, schedules.exponential_decay, schedules.inverse_time_decay, schedules.step_decay]
)
@pytest.mark.parametrize("bad", [0.0, -0.1, math.inf, math.nan])
def test_schedules_refuse_bad_rates(make, bad):
    with pytest.raises(ArgumentError, match="learning rate must be a positive finite number"):
        make(bad)


def test_schedule_drives_the_steps_from_count_zero():
    # lr_k = 0.1 * 0.5**k: x1 = 10 - 0.1*12 = 8.8, x2 = 8.8 - 0.05*9.6 = 8.32, x3 = 8.32 - 0.025*8.64 = 8.104
    expected = [10.0, 8.8, 8.32, 8.104]
    xs = run(line_value, line_grad, [10.0], opt.gd(schedules.exponential_decay(0.1, rate=0.5)))
    np.testing.assert_allclose(xs[:, 0], expected, rtol=1e-14)
    res = symgd.minimize("x^2 - 8x + 4", 10, lr=schedules.exponential_decay(0.1, rate=0.5), max_iter=3, tol=0)
    np.testing.assert_allclose(res.history.x[:, 0], expected, rtol=1e-14)


def test_schedule_with_momentum():
    # lr_k = 0.1/(1 + k): v1 = 12, x1 = 10 - 0.1*12 = 8.8; g1 = 9.6, v2 = 0.5*12 + 9.6 = 15.6, x2 = 8.8 - 0.05*15.6
    res = symgd.minimize(
        "x^2 - 8x + 4", 10, optimizer="momentum", beta=0.5, lr=schedules.inverse_time_decay(0.1, 1.0), max_iter=2, tol=0
    )
    np.testing.assert_allclose(res.history.x[:, 0], [10.0, 8.8, 8.8 - 0.05 * 15.6], rtol=1e-14)


# -- 4. Newton


def test_newton_solves_a_positive_definite_quadratic_in_one_step():
    # grad = (6x + 2y - 1, 2x + 4y + 1) = 0  <=>  [[6, 2], [2, 4]] (x, y) = (1, -1): (x, y) = (0.3, -0.4)
    res = symgd.minimize("3x^2 + 2x*y + 2y^2 - x + y", [5.0, -7.0], optimizer="newton", lr=1.0)
    assert res.status == "converged" and res.nit == 1
    np.testing.assert_allclose(res.x, np.linalg.solve([[6.0, 2.0], [2.0, 4.0]], [1.0, -1.0]), atol=1e-14)
    np.testing.assert_allclose(res.x, [0.3, -0.4], atol=1e-14)


def test_newton_escapes_a_saddle():
    # f = x² - y², H = diag(2, -2). Plain Newton would jump to the saddle (0, 0); with |H| = diag(2, 2)
    # the step is (x, -y): x -> 0, y doubles, and f goes down.
    xs = run(lambda p: p[0] ** 2 - p[1] ** 2, lambda p: np.array([2 * p[0], -2 * p[1]]), [1.0, 0.1],
             opt.newton(), hess=lambda p: np.diag([2.0, -2.0]))  # fmt: skip
    np.testing.assert_allclose(xs, [[1.0, 0.1], [0.0, 0.2], [0.0, 0.4], [0.0, 0.8]], atol=1e-15)
    res = symgd.minimize("x^2 - y^2", [1.0, 0.1], optimizer="newton", lr=1.0, max_iter=10, tol=0)
    f = res.history.fun
    assert np.all(np.diff(f) < 0)
    assert np.all(np.diff(np.abs(res.history.x[:, 1])) > 0)
    assert np.linalg.norm(res.x) > 1  # not at the saddle (0, 0)
    unbounded = symgd.minimize("x^2 - y^2", [1.0, 0.1], optimizer="newton", lr=1.0)
    assert unbounded.status == "diverged" and "unbounded below" in unbounded.message


def test_newton_needs_the_hessian():
    with pytest.raises(ArgumentError, match="Hessian"):
        descend(line_value, line_grad, [1.0], opt.newton())


# -- 5. the Armijo line search


def test_line_search_takes_the_longest_armijo_step_on_rosenbrock():
    lr, c = 1.0, 1e-4  # 750 times the stable rate 2/λmax ~ 0.0013 at the start
    res = symgd.minimize("(1-x)^2 + 100(y-x^2)^2", [-1.2, 1.0], lr=lr, line_search=True, max_iter=60, tol=0)
    h = res.history
    for k in range(res.nit):
        x, g, f = h.x[k], h.grad[k], h.fun[k]
        np.testing.assert_allclose(g, rosen_grad(x), rtol=1e-12, atol=1e-12)  # cancellation in 200(y - x²)
        d = -lr * g
        s = h.x[k + 1] - x
        t = s[0] / d[0]
        assert t == pytest.approx(s[1] / d[1], rel=1e-12)  # along -g
        j = round(-math.log2(t))
        assert t == pytest.approx(0.5**j, rel=1e-12)  # a halving of the full step
        slack = 1e-12 * abs(f)  # rounding: the library multiplies in another order
        assert rosen_value(h.x[k + 1]) <= f + c * float(g @ s) + slack  # Armijo on the step taken
        if j > 0:  # and the one twice as long failed it
            assert rosen_value(x + 2 * s) > f + c * float(g @ (2 * s)) - slack
    assert np.all(np.diff(h.fun) < 0)


def test_line_search_makes_gd_converge_where_plain_gd_diverges():
    rosen = "(1-x)^2 + 100(y-x^2)^2"
    with pytest.warns(symgd.LearningRateWarning):
        plain = symgd.minimize(rosen, [-1.2, 1.0], lr=0.01)
    assert plain.status == "diverged" and not plain.success
    res = symgd.minimize(rosen, [-1.2, 1.0], lr=0.01, line_search=True, tol=1e-4, max_iter=20_000)
    assert res.status == "converged" and res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-3)


def test_line_search_with_newton():
    res = symgd.minimize("(1-x)^2 + 100(y-x^2)^2", [-1.2, 1.0], optimizer="newton", lr=1.0, line_search=True)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-8)
    assert np.all(np.diff(res.history.fun) <= 0)


# -- 6. batches: (n, k) arrays step every column as a run of its own would


BATCH_LR = {"gd": 0.001, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.1, "rmsprop": 0.001, "adam": 0.01,
            "amsgrad": 0.01, "adamw": 0.01, "newton": 0.5}  # fmt: skip
STARTS = np.array([[-1.2, 0.0, 1.5, 0.5], [1.0, 0.5, 2.0, -0.5]])


def batch_value(x):
    return rosen_value(x)


def batch_hess(x):
    if x.ndim == 1:
        return rosen_hess(x)
    a, b = x[0], x[1]
    return np.array([[2 - 400 * (b - a**2) + 800 * a**2, -400 * a], [-400 * a, np.full_like(a, 200.0)]])


@pytest.mark.parametrize("name", list(opt.OPTIMIZERS))
@pytest.mark.parametrize("keep_all", [False, True])
def test_batched_steps_equal_single_runs(name, keep_all):
    step = opt.OPTIMIZERS[name](lr=BATCH_LR[name])
    many = descend_many(batch_value, rosen_grad, STARTS, step, hess=batch_hess, max_iter=20, tol=0, keep_all=keep_all)
    assert many.x.shape == STARTS.shape and list(many.status) == ["max_iter"] * 4
    for j in range(STARTS.shape[1]):
        one = descend(lambda x: float(rosen_value(x)), rosen_grad, STARTS[:, j], step, hess=rosen_hess, max_iter=20,
                      tol=0)  # fmt: skip
        np.testing.assert_allclose(many.x[:, j], one.x, rtol=1e-12)
        assert many.fun[j] == pytest.approx(one.fun, rel=1e-12)
        assert many.nit[j] == one.nit == 20
        if keep_all:
            np.testing.assert_allclose(many.history_x[:, :, j], one.history.x, rtol=1e-12)
            np.testing.assert_allclose(many.history_fun[:, j], one.history.fun, rtol=1e-12)


@pytest.mark.parametrize("name", ["gd", "newton"])
def test_batched_line_search_equals_single_runs(name):
    step = opt.OPTIMIZERS[name](lr=1.0, line_search=True)
    many = descend_many(batch_value, rosen_grad, STARTS, step, hess=batch_hess, max_iter=15, tol=0)
    for j in range(STARTS.shape[1]):
        one = descend(lambda x: float(rosen_value(x)), rosen_grad, STARTS[:, j], step, hess=rosen_hess, max_iter=15,
                      tol=0)  # fmt: skip
        np.testing.assert_allclose(many.x[:, j], one.x, rtol=1e-10)


# -- 7. bad hyper-parameters


@pytest.mark.parametrize(
    ("optimizer", "options", "message"),
    [
        ("momentum", {"beta": 1.0}, r"beta must be in \[0, 1\), not 1.0"),
        ("nesterov", {"beta": 1.5}, r"beta must be in \[0, 1\)"),
        ("momentum", {"beta": -0.1}, r"beta must be in \[0, 1\)"),
        ("adam", {"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
        ("amsgrad", {"beta2": 1.0}, r"beta2 must be in \[0, 1\)"),
        ("adamw", {"beta2": 2.0}, r"beta2 must be in \[0, 1\)"),
        ("rmsprop", {"decay": 1.0}, r"decay must be in \[0, 1\)"),
        ("gd", {"lr": -0.1}, "learning rate must be a positive finite number"),
        ("adam", {"lr": 0.0}, "learning rate must be a positive finite number"),
        ("momentum", {"lr": math.nan}, "learning rate must be a positive finite number"),
        ("rmsprop", {"lr": math.inf}, "learning rate must be a positive finite number"),
        ("gd", {"lr": "fast"}, "learning rate must be a number"),
        ("gd", {"clip": -1.0}, "clipping norm must be a positive finite number"),
        ("newton", {"damping": 0.0}, "damping must be a positive finite number"),
        ("adam", {"momentum": 0.9}, "optimizer 'adam': .*momentum"),
    ],
)
def test_bad_hyper_parameters(optimizer, options, message):
    with pytest.raises(ArgumentError, match=message):
        symgd.minimize("x^2 + y^2", [1.0, 1.0], optimizer=optimizer, **options)


@pytest.mark.parametrize(
    ("optimizer", "options"),
    [
        ("adamw", {"weight_decay": -0.1}),
        ("adamw", {"weight_decay": math.nan}),
        ("adam", {"eps": -1.0}),
        ("amsgrad", {"eps": math.nan}),
        ("rmsprop", {"eps": -1e-8}),
        ("adagrad", {"eps": -1.0}),
    ],
    ids=["negative-decay", "nan-decay", "negative-eps", "nan-eps", "negative-eps-rms", "negative-eps-adagrad"],
)
def test_bad_eps_and_weight_decay(optimizer, options):
    # as PyTorch and optax require: eps >= 0 and weight_decay >= 0, finite (a negative decay grows x
    # without bound; a negative eps can divide by zero; nan poisons every step)
    (name,) = options
    with pytest.raises(ArgumentError, match=name):
        symgd.minimize("x^2 + y^2", [1.0, 1.0], optimizer=optimizer, lr=0.1, **options)


def test_unknown_optimizer_lists_every_valid_name():
    with pytest.raises(ArgumentError, match="unknown optimizer 'adamax'") as info:
        symgd.minimize("x^2", optimizer="adamax")
    for name in opt.OPTIMIZERS:
        assert name in str(info.value)


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adagrad", "rmsprop", "adam", "amsgrad", "adamw"])
def test_line_search_only_with_gd_and_newton(name):
    with pytest.raises(ArgumentError, match=f"the line search works with 'gd' and 'newton', not '{name}'"):
        symgd.minimize("x^2", optimizer=name, line_search=True)


def test_options_with_an_optimizer_object_are_refused():
    with pytest.raises(ArgumentError, match="no effect on an optimizer object"):
        symgd.minimize("x^2", optimizer=opt.adam(0.1), beta1=0.5)
    with pytest.raises(ArgumentError, match="line_search and clip"):
        symgd.minimize("x^2", optimizer=opt.adam(0.1), line_search=True)


def test_line_search_block_checks_its_parameters():
    for bad in ({"c": 1.0}, {"shrink": 1.0}, {"c": -0.5}):
        with pytest.raises(ArgumentError):
            opt.backtracking_line_search(**bad)


# -- 8. box bounds, xtol, ftol, max_time


@pytest.mark.parametrize("name", list(opt.OPTIMIZERS))
def test_bounds_keep_every_iterate_inside(name):
    # f = (x - 3)² + (y + 3)²: the minimum (3, -3) is outside the box; the box's best point is (1, -1)
    lr = {"gd": 0.3, "momentum": 0.3, "nesterov": 0.3, "adagrad": 1.0, "rmsprop": 0.3, "adam": 0.5, "amsgrad": 0.5,
          "adamw": 0.5, "newton": 1.0}[name]  # fmt: skip
    res = symgd.minimize("(x-3)^2 + (y+3)^2", [-0.5, 0.5], optimizer=name, lr=lr, bounds=[(-1, 1), (-1, 1)])
    h = res.history.x
    assert np.all(h >= -1) and np.all(h <= 1)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, [1.0, -1.0], atol=1e-12)


COUPLED = "(x - 3)^2 + 30*(x - y)^2 + (y - 1)^2"  # convex; the Hessian [[62, -60], [-60, 62]] couples x and y
COUPLED_BOX = [(-1, 0), (-1, 0.25)]
# On the box, by hand (KKT): x sits on its upper bound 0, where df/dx = -6 - 60y < 0 pushes outward;
# then df/dy = -60(0 - y) + 2(y - 1) = 62y - 2 = 0 gives y = 1/31, f = 9 + 30/961 + (30/31)².
COUPLED_MIN = (0.0, 1 / 31)


@pytest.mark.parametrize(
    ("name", "lr"),
    [("gd", 0.01), ("momentum", 0.005), ("nesterov", 0.005), ("adagrad", 0.5), ("rmsprop", 0.01), ("adam", 0.05),
     ("amsgrad", 0.05), ("newton", 1.0), ("newton", 0.5)],
)  # fmt: skip
def test_box_minimum_when_the_bound_couples_the_variables(name, lr):
    # (AdamW is left out: with its weight decay it hovers near a minimum, see test_problems.py)
    res = symgd.minimize(COUPLED, [-0.5, -0.8], optimizer=name, lr=lr, bounds=COUPLED_BOX, max_iter=5000)
    assert np.all(res.history.x[:, 0] <= 0) and np.all(res.history.x[:, 1] <= 0.25)
    assert res.status == "converged", res.message
    np.testing.assert_allclose(res.x, COUPLED_MIN, atol=1e-8)
    assert res.fun == pytest.approx(9 + 30 / 961 + (30 / 31) ** 2, abs=1e-12)


@pytest.mark.parametrize("name", ["gd", "newton"])
def test_line_search_with_bounds_satisfies_armijo_on_the_step_it_takes(name):
    # with bounds the step taken is the projected one, x_{k+1} = clip(x_k + t·u): Armijo must hold for it
    res = symgd.minimize(COUPLED, [-0.5, -0.8], optimizer=name, lr=1.0, line_search=True, bounds=COUPLED_BOX,
                         max_iter=300)  # fmt: skip
    h = res.history
    for k in range(res.nit):
        s = h.x[k + 1] - h.x[k]
        assert h.fun[k + 1] <= h.fun[k] + 1e-4 * float(h.grad[k] @ s) + 1e-12, f"step {k}: f went up"
    assert res.status == "converged", res.message
    np.testing.assert_allclose(res.x, COUPLED_MIN, atol=1e-8)


def test_one_sided_bounds_and_a_start_outside():
    res = symgd.minimize("(x-3)^2 + (y+3)^2", [5.0, -5.0], lr=0.3, bounds=[(None, 2), (-2, None)])
    assert np.all(res.history.x[:, 0] <= 2) and np.all(res.history.x[:, 1] >= -2)
    np.testing.assert_array_equal(res.history.x[0], [2.0, -2.0])  # the start is projected into the box
    np.testing.assert_allclose(res.x, [2.0, -2.0], atol=1e-12)


def test_bounds_in_a_batch():
    step = opt.momentum(lr=0.3, beta=0.9)
    many = descend_many(bowl_value, bowl_grad, STARTS * 3, step, bounds=[(-2, 2), (0.5, 3)], keep_all=True)
    assert np.all(many.history_x[:, 0] >= -2) and np.all(many.history_x[:, 0] <= 2)
    assert np.all(many.history_x[:, 1] >= 0.5) and np.all(many.history_x[:, 1] <= 3)
    np.testing.assert_allclose(many.x, [[0.0] * 4, [0.5] * 4], atol=1e-8)


def test_xtol_stops_on_a_short_step():
    # gd lr 0.01 on x² - 8x + 4 from 10: x_k - 4 = 6*0.98^k, step k is 0.12*0.98^(k-1) long
    res = symgd.minimize("x^2 - 8x + 4", 10, lr=0.01, xtol=1e-3)
    assert res.status == "xtol" and res.success
    assert res.nit == 1 + math.ceil(math.log(1e-3 / 0.12) / math.log(0.98))  # the first step <= 1e-3: 238
    steps = np.abs(np.diff(res.history.x[:, 0]))
    assert steps[-1] <= 1e-3 < steps[-2]
    assert "xtol" in res.message


def test_ftol_stops_on_a_small_change_of_f():
    # f_k = -12 + 36*0.98^(2k); the change f_{k-1} - f_k = 36*0.98^(2k-2)*(1 - 0.98^2) vs 1e-9*max(1, |f|)
    res = symgd.minimize("x^2 - 8x + 4", 10, lr=0.01, ftol=1e-9)
    assert res.status == "ftol" and res.success

    def f(k):
        return -12 + 36 * 0.98 ** (2 * k)

    k = 1
    while 36 * 0.98 ** (2 * k - 2) * (1 - 0.98**2) > 1e-9 * max(1, abs(f(k)), abs(f(k - 1))):
        k += 1
    assert res.nit == k
    assert "ftol" in res.message


def test_max_time_stops_with_status_time():
    def slow_grad(x):
        time.sleep(0.002)
        return line_grad(x)

    started = time.perf_counter()
    res = descend(line_value, slow_grad, [10.0], opt.gd(0.001), max_iter=100_000, tol=0, max_time=0.05)
    assert time.perf_counter() - started < 2
    assert res.status == "time" and not res.success and 1 <= res.nit < 100
    assert "time budget of 0.05 s" in res.message
    fast = symgd.minimize("x^2 - 8x + 4", 10, lr=1e-6, max_iter=10**8, tol=0, max_time=0.05)
    assert fast.status == "time" and not fast.success and fast.nit < 10**8


def test_stopping_rules_in_a_batch():
    X0 = np.array([[10.0, -10.0, 4.0 + 1e-9]])
    many = descend_many(line_value, line_grad, X0, opt.gd(0.01), xtol=1e-3)
    assert list(many.status) == ["xtol", "xtol", "converged"]
    assert many.nit[2] == 0
    flat = descend_many(line_value, line_grad, X0, opt.gd(0.01), ftol=1e-9)
    assert list(flat.status[:2]) == ["ftol", "ftol"]
