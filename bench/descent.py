"""W1 and W2: plain gradient descent from one point, with a full trace.

W1: f(x) = x² − 8x + 4 from x = 44; W2: Rosenbrock (1 − x)² + 100(y − x²)²
from (−1.2, 1). Every iteration-based contender records x, f and the gradient
of every iterate (n + 1 rows), as symgd's `Result.history` does. The learning
rates are small enough that 10⁵ steps stay short of the minimum (with lr 0.2,
W1 lands on x = 4 exactly within 60 steps and the answer check would prove
nothing), so the end points, compared to 1e-9, check every step.

The objective and its hand-derived gradient are written once, with plain
arithmetic on ``x[0], x[1]``, which numpy, numba, JAX and torch all run; the
plain-Python loops are written out by hand per problem, as the seeds do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import symgd

from .harness import Answer, Workload, contender, optional, symgd_contenders

#: torch pays ~0.5 ms a step: it runs this fraction of the steps, and its time is scaled up.
TORCH_FRACTION = 0.02


# -- the two problems


def quad_value(x):
    return x[0] * x[0] - 8.0 * x[0] + 4.0


def quad_grad(x, out):
    out[0] = 2.0 * x[0] - 8.0


def quad_python(n: int, x0: tuple[float, ...], lr: float) -> list[float]:
    """The seeds' loop: Python floats, hand-derived derivative, full trace."""
    xs, fs, gs = [0.0] * (n + 1), [0.0] * (n + 1), [0.0] * (n + 1)
    (x,) = x0
    for i in range(n + 1):
        g = 2.0 * x - 8.0
        xs[i], fs[i], gs[i] = x, x * x - 8.0 * x + 4.0, g
        x -= lr * g  # the step after row n is not recorded
    return [xs[n]]


def rosen_value(x):
    a, b = 1.0 - x[0], x[1] - x[0] * x[0]
    return a * a + 100.0 * b * b


def rosen_grad(x, out):
    b = x[1] - x[0] * x[0]
    out[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * b
    out[1] = 200.0 * b


def rosen_python(n: int, x0: tuple[float, ...], lr: float) -> list[float]:
    xs, ys, fs, gxs, gys = ([0.0] * (n + 1) for _ in range(5))
    x, y = x0
    for i in range(n + 1):
        a, b = 1.0 - x, y - x * x
        gx, gy = -2.0 * a - 400.0 * x * b, 200.0 * b
        xs[i], ys[i], fs[i], gxs[i], gys[i] = x, y, a * a + 100.0 * b * b, gx, gy
        x, y = x - lr * gx, y - lr * gy
    return [xs[n], ys[n]]


@dataclass(frozen=True)
class Problem:
    formula: str
    x0: tuple[float, ...]
    lr: float
    value: Callable  # f(x), plain arithmetic on x[0], x[1] …
    grad: Callable  # grad(x, out): writes ∇f(x) into out
    python: Callable[[int, tuple[float, ...], float], list[float]]
    minimum: tuple[float, ...]


QUAD = Problem("x**2 - 8*x + 4", (44.0,), 1e-5, quad_value, quad_grad, quad_python, (4.0,))
ROSENBROCK = Problem(
    "(1 - x)**2 + 100*(y - x**2)**2", (-1.2, 1.0), 1e-3, rosen_value, rosen_grad, rosen_python, (1.0, 1.0)
)


# -- contenders: each ``prepare`` returns the call to time


def python_loop(p: Problem, n: int):
    return lambda: Answer(np.array(p.python(n, p.x0, p.lr)), size=n)


def numpy_loop(p: Problem, n: int):
    def run():
        d = len(p.x0)
        X, F, G = np.empty((n + 1, d)), np.empty(n + 1), np.empty((n + 1, d))
        X[0] = p.x0
        for i in range(n):
            F[i] = p.value(X[i])
            p.grad(X[i], G[i])
            np.subtract(X[i], p.lr * G[i], out=X[i + 1])
        F[n] = p.value(X[n])
        p.grad(X[n], G[n])
        return Answer(X[n].copy(), size=n)

    return run


def numba_loop(p: Problem, n: int):
    numba = optional("numba")
    value, grad = numba.njit(p.value), numba.njit(p.grad)  # fresh dispatchers: the first call compiles

    @numba.njit
    def descend(x0, lr, n):
        d = x0.size
        X, F, G = np.empty((n + 1, d)), np.empty(n + 1), np.empty((n + 1, d))
        X[0] = x0
        for i in range(n + 1):
            F[i] = value(X[i])
            grad(X[i], G[i])
            if i < n:
                for j in range(d):
                    X[i + 1, j] = X[i, j] - lr * G[i, j]
        return X, F, G

    x0 = np.array(p.x0)
    return lambda: Answer(descend(x0, p.lr, n)[0][n].copy(), size=n)


def jax_scan(p: Problem, n: int):
    jax = optional("jax")
    value_and_grad = jax.value_and_grad(p.value)

    def step(x, _):
        f, g = value_and_grad(x)
        return x - p.lr * g, (x, f, g)

    descend = jax.jit(lambda x0: jax.lax.scan(step, x0, None, length=n + 1)[1])  # the trace: n + 1 rows
    x0 = jax.numpy.array(p.x0)

    def run():
        X, _, _ = jax.block_until_ready(descend(x0))
        return Answer(np.asarray(X[n]), size=n)

    return run


def torch_sgd(p: Problem, n: int):
    torch = optional("torch")

    def run():
        x = torch.tensor(p.x0, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([x], lr=p.lr)
        X, G = (torch.empty(n + 1, len(p.x0), dtype=torch.float64) for _ in range(2))
        F = torch.empty(n + 1, dtype=torch.float64)
        for i in range(n + 1):
            opt.zero_grad()
            f = p.value(x)
            f.backward()
            with torch.no_grad():
                X[i], F[i], G[i] = x, f, x.grad
            if i < n:
                opt.step()
        return Answer(X[n].numpy().copy(), size=n)

    return run


def scipy_bfgs(p: Problem):
    optimize = optional("scipy.optimize")

    def gradient(x):
        out = np.empty_like(x)
        p.grad(x, out)
        return out

    def run():
        res = optimize.minimize(p.value, np.array(p.x0), jac=gradient, method="BFGS")
        return Answer(res.x, tol=1e-4, note=f"BFGS to gtol 1e-5: {res.nit} iterations", exact=True)

    return run


def symgd_minimize(p: Problem, n: int, keywords: dict):
    obj = symgd.Objective(p.formula)  # parsed untimed; derived and compiled in the first call (W5 times that)

    def run():
        res = symgd.minimize(obj, x0=list(p.x0), optimizer="gd", lr=p.lr, max_iter=n, tol=0, **keywords)
        assert len(res.history.x) == n + 1 and res.nit == n, (res.nit, res.status)
        return Answer(res.x, size=n)

    return run


def workload(key: str, title: str, p: Problem, n: int) -> Workload:
    steps = int(n * TORCH_FRACTION)
    contenders = [
        *symgd_contenders(functools.partial(symgd_minimize, p, n)),
        contender("python", "plain Python floats, hand-derived", python_loop, p, n),
        contender("numpy", "hand-written numpy", numpy_loop, p, n),
        contender("numba", "hand-written numba (@njit loop)", numba_loop, p, n),
        contender("jax", "JAX (jit + lax.scan, autodiff)", jax_scan, p, n),
        contender("torch", "torch (autograd + optim.SGD)", torch_sgd, p, steps, fraction=steps / n),
        contender("scipy", "scipy BFGS (to convergence)", scipy_bfgs, p, converge=True),
    ]

    @functools.cache
    def reference(size: int | None) -> np.ndarray:
        return np.array(p.python(n if size is None else size, p.x0, p.lr))

    notes = (f"torch ran {steps:,} steps (a step costs the same all along); its time is scaled to {n:,}.",)
    return Workload(key, title, "iteration", n, contenders, reference, optimum=lambda: np.array(p.minimum), notes=notes)


def workloads(quick: bool) -> list[Workload]:
    n = 10_000 if quick else 100_000
    return [
        workload("W1", f"scalar GD on x² − 8x + 4, lr {QUAD.lr:g} from x = 44, {n:,} iterations with trace", QUAD, n),
        workload(
            "W2",
            f"Rosenbrock 2-D, plain GD, lr {ROSENBROCK.lr:g} from (−1.2, 1), {n:,} iterations with trace",
            ROSENBROCK,
            n,
        ),
    ]
