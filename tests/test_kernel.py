"""The generated descent loops (symgd.kernel): the same runs as the general engine,
in CPython and compiled by numba, for every first-order optimizer."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import symgd
from symgd import kernel
from symgd.engine import descend as engine_descend
from symgd.errors import ArgumentError, LearningRateWarning
from symgd.optimizers import OPTIMIZERS, get_optimizer
from symgd.schedules import cosine_decay, exponential_decay, step_decay

FIRST_ORDER = [name for name in OPTIMIZERS if name != "newton"]
needs_numba = pytest.mark.skipif(not kernel.numba_available(), reason="numba is not installed")

#: The seed examples' functions, start points and learning rates (examples/seed_*.py).
SEEDS = {
    "f": ("x^2 - 8x + 4", [44.87], 0.2, False),
    "g": ("0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2", [25.0], 0.2, False),
    "h": ("x^2 + y^2", [-25 / 6, 355 / 66], 0.1, False),
    "fence": ("100*l - l^2", [57.0], 0.1, True),
}
#: learning rates that make each optimizer move on every seed within 200 steps
RATES = {"gd": None, "momentum": 0.01, "nesterov": 0.01, "adagrad": 1.0, "rmsprop": 0.1}


def engine_run(obj, x0, step, **rules):
    return engine_descend(obj.compiled_value, obj.compiled_grad, x0, step, variables=obj.variables, **rules)


def assert_same_run(res, ref, rtol=0.0):
    assert (res.status, res.nit, res.best_iter, res.variables) == (ref.status, ref.nit, ref.best_iter, ref.variables)
    for got, want in [
        (res.history.x, ref.history.x),
        (res.history.fun, ref.history.fun),
        (res.history.grad, ref.history.grad),
    ]:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0)
    assert res.message == ref.message
    assert res.success == ref.success


def seed_cases():
    for seed, (formula, x0, lr, climb) in SEEDS.items():
        for name in FIRST_ORDER:
            yield pytest.param(
                formula, x0, name, RATES.get(name, lr if name == "gd" else 0.5), climb, id=f"{seed}-{name}"
            )


@pytest.mark.parametrize("formula, x0, name, lr, climb", list(seed_cases()))
def test_python_loop_reproduces_the_engine_exactly(formula, x0, name, lr, climb):
    obj = symgd.Objective(formula)
    step = get_optimizer(name, **({} if lr is None else {"lr": lr}))
    rules = {"max_iter": 200, "tol": 1e-10, "maximize": climb}
    res = kernel.descend(obj, x0, step, backend="python", **rules)
    # the same floating-point operations in the same order: equal, not merely close
    assert_same_run(res, engine_run(obj, x0, step, **rules))


@needs_numba
@pytest.mark.parametrize("formula, x0, name, lr, climb", list(seed_cases()))
def test_numba_loop_gives_the_engine_trace(formula, x0, name, lr, climb, symgd_cache):
    obj = symgd.Objective(formula)
    step = get_optimizer(name, **({} if lr is None else {"lr": lr}))
    rules = {"max_iter": 200, "tol": 1e-10, "maximize": climb}
    res = kernel.descend(obj, x0, step, backend="numba", **rules)
    assert_same_run(res, engine_run(obj, x0, step, **rules), rtol=1e-12)


OPTIONS = [
    pytest.param({"optimizer": "gd", "lr": 0.05, "clip": 1.0}, {}, id="clip"),
    pytest.param({"optimizer": "adam", "lr": 0.05}, {"bounds": [(0.5, 2.0), (None, 0.8)]}, id="bounds"),
    pytest.param({"optimizer": "gd", "lr": 0.0015}, {"xtol": 1e-6}, id="xtol"),
    pytest.param({"optimizer": "momentum", "lr": 0.001}, {"ftol": 1e-9}, id="ftol"),
    pytest.param({"optimizer": "gd", "lr": exponential_decay(0.002, 0.999)}, {}, id="exponential-schedule"),
    pytest.param({"optimizer": "nesterov", "lr": step_decay(0.001, 0.5, 50)}, {}, id="step-schedule"),
    pytest.param({"optimizer": "adamw", "lr": cosine_decay(0.05, 100, 0.1)}, {}, id="cosine-schedule"),
    pytest.param({"optimizer": "gd", "lr": 0.01}, {}, id="diverges"),
]


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=needs_numba)])
@pytest.mark.parametrize("make, rules", OPTIONS)
def test_options_on_rosenbrock(make, rules, backend, symgd_cache):
    obj = symgd.Objective("(1-x)^2 + 100(y-x^2)^2")
    options = {k: v for k, v in make.items() if k not in ("optimizer", "lr")}
    step = get_optimizer(make["optimizer"], lr=make["lr"], **options)
    rules = {"max_iter": 300, "tol": 1e-9, **rules}
    res = kernel.descend(obj, [-1.2, 1.0], step, backend=backend, **rules)
    assert_same_run(res, engine_run(obj, [-1.2, 1.0], step, **rules), rtol=0 if backend == "python" else 1e-12)


def test_an_adam_step_by_hand():
    # first Adam step from x = 3 on x²: g = 6, m = 0.6, v = 0.036, m̂ = 6, v̂ = 36 -> x = 3 - 0.1 * 6 / (6 + 1e-8)
    res = kernel.descend(symgd.Objective("x^2"), [3.0], get_optimizer("adam", lr=0.1), max_iter=1, tol=0)
    assert res.history.x[1, 0] == pytest.approx(3 - 0.1 * 6 / (6 + 1e-8), rel=1e-15)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=needs_numba)])
def test_leaving_the_domain_and_starting_outside_it(backend, symgd_cache):
    obj = symgd.Objective("sqrt(x) + log(x)")
    step = get_optimizer("gd", lr=5.0)
    res = kernel.descend(obj, [0.5], step, backend=backend, max_iter=50)
    ref = engine_run(obj, [0.5], step, max_iter=50)
    assert (res.status, res.nit) == (ref.status, ref.nit) == ("diverged", 1)
    assert "undefined" in res.message
    start = kernel.descend(obj, [-1.0], step, backend=backend)
    assert start.status == "undefined" and start.nit == 0


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=needs_numba)])
def test_unbounded_and_overshooting_runs_say_why(backend, symgd_cache):
    unbounded = symgd.minimize("-x^2", 1.0, lr=0.5, backend=backend)
    assert unbounded.status == "diverged" and "unbounded below" in unbounded.message
    with pytest.warns(LearningRateWarning):
        overshoot = symgd.minimize("x^2 - 8x + 4", 44.87, lr=1.06, max_iter=10_000, backend=backend)
    with pytest.warns(LearningRateWarning):  # a callback makes it a run of the general engine
        ref = symgd.minimize("x^2 - 8x + 4", 44.87, lr=1.06, max_iter=10_000, callback=lambda r: None)
    assert overshoot.status == ref.status == "diverged"
    assert overshoot.nit == ref.nit and overshoot.message == ref.message


def test_names_in_the_formula_cannot_reach_the_generated_code():
    res = symgd.minimize(
        "(math - 1)^2 + (inf - 2)^2 + (P + 1)^2 + (x_1 - x_0)^2 + (f + g_0)^2", lr=0.1, backend="python"
    )
    assert res.success
    np.testing.assert_allclose(res.x[res.variables.index("math")], 1.0, atol=1e-6)
    assert res.variables == tuple(sorted(res.variables))


def test_max_time_is_honoured_by_the_python_loop():
    res = symgd.minimize("x^2", 1.0, lr=1e-9, max_iter=10**9, max_time=0.05, backend="python")
    assert res.status == "time" and 0 < res.nit < 10**9


def test_which_runs_are_generated():
    obj = symgd.Objective("x^2 + y^2")
    rules = {"max_iter": 10, "tol": 1e-8, "xtol": 0.0, "ftol": 0.0, "max_time": None, "bounds": None}

    def choose(backend="python", **kw):
        options = {"maximize": False, "rules": rules, "work": 10.0}
        return kernel.choose_backend(backend, obj, kw.pop("step", get_optimizer("gd")), **{**options, **kw})

    assert choose() == "python"
    assert choose(step=get_optimizer("newton")) == "engine"
    assert choose(step=get_optimizer("gd", line_search=True)) == "engine"
    assert choose(callback=print) == "engine"
    assert choose(batch=True) == "engine"  # many starts: the vectorised numpy engine
    with pytest.raises(ArgumentError, match="unknown backend 'fortran'"):
        choose("fortran")


def test_numba_backend_refuses_what_it_cannot_run(monkeypatch):
    obj = symgd.Objective("x^2")
    rules = {"max_iter": 10, "tol": 1e-8, "xtol": 0.0, "ftol": 0.0, "max_time": None, "bounds": None}
    if kernel.numba_available():
        for step, kw, why in [
            (get_optimizer("newton"), {}, "newton"),
            (get_optimizer("gd"), {"rules": {**rules, "max_time": 1.0}}, "max_time"),
            (get_optimizer("gd"), {"batch": True, "keep_all": True}, "keep_history"),
        ]:
            options = {"maximize": False, "rules": rules, "work": 10.0, **kw}
            with pytest.raises(ArgumentError, match=why):
                kernel.choose_backend("numba", obj, step, **options)
    monkeypatch.setattr(kernel, "numba_available", lambda: False)
    with pytest.raises(ArgumentError, match=r"pip install 'symgd\[fast\]'"):
        symgd.minimize("x^2", backend="numba")
    assert symgd.minimize("x^2", lr=0.4, max_iter=10**8, backend="auto").success  # auto falls back quietly


def test_sweeps_share_one_loop():
    obj = symgd.Objective("x^2 - 8x + 4")
    plans = [
        kernel.Plan(obj, get_optimizer("adam", lr=lr), maximize=False, box=False, xtol=0, ftol=0, deadline=False)
        for lr in (0.1, 0.2)
    ]
    assert plans[0].numba == plans[1].numba and plans[0].P != plans[1].P


@needs_numba
def test_multistart_in_parallel_matches_the_vectorised_engine(symgd_cache):
    g = "0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2"
    runs = {
        b: symgd.minimize(g, restarts=200, domain=(-30, 40), seed=1, lr=0.2, backend=b) for b in ("python", "numba")
    }
    python, numba = runs["python"].starts, runs["numba"].starts
    assert list(numba.status) == list(python.status)
    np.testing.assert_allclose(numba.x, python.x, rtol=1e-12)
    np.testing.assert_allclose(numba.fun, python.fun, rtol=1e-12)
    np.testing.assert_array_equal(numba.nit, python.nit)
    assert [m.count for m in runs["numba"].minima] == [m.count for m in runs["python"].minima]
    assert_same_run(runs["numba"], runs["python"], rtol=1e-12)


@needs_numba
def test_compiled_loops_are_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGD_CACHE_DIR", str(tmp_path))
    script = (
        "import symgd; from symgd import kernel; from symgd.optimizers import gd;"
        "o = symgd.Objective('(x-3)^2 + 2(y+1)^2');"
        "p = kernel.Plan(o, gd(0.1), maximize=False, box=False, xtol=0, ftol=0, deadline=False);"
        "print(kernel.is_cached(p.numba));"
        "r = symgd.minimize(o, lr=0.1, backend='numba');"
        "print(kernel.is_cached(p.numba), kernel.is_cached(p.numba, 'run_many'), r.status)"
    )
    env = {"SYMGD_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.split() == ["False", "True", "False", "converged"]  # the many-start loop compiles on its own
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert second.stdout.split()[0] == "True"
    # "auto" takes the compiled loop once it is cached, however short the run
    obj = symgd.Objective("(x-3)^2 + 2(y+1)^2")
    rules = {"max_iter": 1000, "tol": 1e-8, "xtol": 0.0, "ftol": 0.0, "max_time": None, "bounds": None}
    assert (
        kernel.choose_backend("auto", obj, get_optimizer("gd", lr=0.1), maximize=False, rules=rules, work=2.0)
        == "numba"
    )


def test_generated_source_is_readable():
    obj = symgd.Objective("x^2 - 8x + 4")
    plan = kernel.Plan(obj, get_optimizer("gd", lr=0.2), maximize=False, box=False, xtol=0, ftol=0, deadline=False)
    assert "def run(" in plan.python and "x_0 = x_0 + -lr_0 * g_0" in plan.python
    compile(plan.python, "<test>", "exec")
    assert math.isclose(plan.P[0], 0.2)


@needs_numba
def test_multistart_rules_with_bounds_xtol_ftol_and_ascent(symgd_cache):
    options = {
        "restarts": 300,
        "domain": (-3, 3),
        "seed": 2,
        "lr": 0.01,
        "max_iter": 150,
        "tol": 1e-3,
        "bounds": [(-2.5, 2.5), (None, 0.4)],
        "xtol": 3e-5,
        "ftol": 1e-16,
    }
    runs = {
        b: symgd.maximize("-(x^2 - 1)^2 - (y - 0.5)^2 + 0.01x^3", backend=b, **options) for b in ("python", "numba")
    }
    python, numba = runs["python"].starts, runs["numba"].starts
    assert {"xtol", "max_iter", "converged"} <= set(python.status)  # the rules at work
    assert list(numba.status) == list(python.status)
    np.testing.assert_array_equal(numba.nit, python.nit)
    np.testing.assert_allclose(numba.x, python.x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(numba.fun, python.fun, rtol=1e-12)
