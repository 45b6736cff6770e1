"""W4: full-batch gradient descent on the mean squared error of a·x² + b·x, 10⁶ rows × 200 iterations.

Data from a fixed seed: x uniform in [−1, 1], y = 2x² − 3x + noise (σ = 0.5).
From a = b = 0 with lr 0.05, 200 steps stay short of the least-squares fit,
so the end points check every step. Every contender records the loss at
every iterate, as ``FitResult.history`` does. The hand-written numpy loop
is the careful version: x² computed once, the loss and both partial
derivatives from one residual with dot products. scipy's BFGS on the same
loss, to convergence, is checked against the exact least-squares solution.
"""

from __future__ import annotations

import functools

import numpy as np

import symgd

from .harness import Answer, Workload, contender, optional, symgd_contenders

MODEL, LR, P0 = "a*x**2 + b*x", 0.05, (0.0, 0.0)


def data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, rows)
    return x, 2.0 * x * x - 3.0 * x + 0.5 * rng.standard_normal(rows)


def numpy_loop(x: np.ndarray, y: np.ndarray, iters: int):
    def run():
        x2, r, losses = x * x, np.empty_like(x), np.empty(iters + 1)
        a, b = P0
        for i in range(iters + 1):
            np.multiply(x2, a, out=r)
            r += b * x
            r -= y
            losses[i] = r @ r / x.size
            if i < iters:
                a, b = a - LR * 2 * (r @ x2) / x.size, b - LR * 2 * (r @ x) / x.size
        return Answer(np.array([a, b]))

    return run


def numba_prange(x: np.ndarray, y: np.ndarray, iters: int):
    numba = optional("numba")

    @numba.njit(parallel=True)
    def sums(x, y, a, b):  # the loss and both partial derivatives (times n), in one pass over the rows
        loss = ga = gb = 0.0
        for k in numba.prange(x.size):
            r = (a * x[k] + b) * x[k] - y[k]
            loss += r * r
            ga += r * x[k] * x[k]
            gb += r * x[k]
        return loss, ga, gb

    @numba.njit  # (the same prange loop written inline here ran 100× slower with numba 0.68)
    def descend(x, y, iters, lr, a, b):
        losses = np.empty(iters + 1)
        for i in range(iters + 1):
            loss, ga, gb = sums(x, y, a, b)
            losses[i] = loss / x.size
            if i < iters:
                a, b = a - lr * 2 * ga / x.size, b - lr * 2 * gb / x.size
        return np.array([a, b]), losses

    return lambda: Answer(descend(x, y, iters, LR, *P0)[0])


def mse(p, x, y):
    return ((p[0] * x**2 + p[1] * x - y) ** 2).mean()


def jax_scan(x: np.ndarray, y: np.ndarray, iters: int):
    jax = optional("jax")
    xj, yj = jax.numpy.asarray(x), jax.numpy.asarray(y)
    value_and_grad = jax.value_and_grad(mse)

    def step(p, _):
        loss, g = value_and_grad(p, xj, yj)
        return p - LR * g, (p, loss)

    descend = jax.jit(lambda p0: jax.lax.scan(step, p0, None, length=iters + 1)[1])
    p0 = jax.numpy.array(P0)

    def run():
        params, _ = jax.block_until_ready(descend(p0))
        return Answer(np.asarray(params[iters]))

    return run


def torch_sgd(x: np.ndarray, y: np.ndarray, iters: int):
    torch = optional("torch")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run():
        p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
        opt, losses = torch.optim.SGD([p], lr=LR), torch.empty(iters + 1, dtype=torch.float64)
        for i in range(iters + 1):
            opt.zero_grad()
            loss = mse(p, xt, yt)
            losses[i] = loss.detach()
            if i < iters:
                loss.backward()
                opt.step()
        return Answer(p.detach().numpy().copy())

    return run


def scipy_bfgs(x: np.ndarray, y: np.ndarray):
    optimize = optional("scipy.optimize")
    x2 = x * x

    def value_and_grad(p):
        r = p[0] * x2 + p[1] * x - y
        return r @ r / x.size, np.array([2 * (r @ x2), 2 * (r @ x)]) / x.size

    def run():
        res = optimize.minimize(value_and_grad, np.array(P0), jac=True, method="BFGS")
        return Answer(res.x, tol=1e-4, note=f"BFGS to gtol 1e-5: {res.nit} iterations", exact=True)

    return run


def symgd_fit(x: np.ndarray, y: np.ndarray, iters: int, keywords: dict):
    columns = {"x": x, "y": y}

    def run():
        res = symgd.fit(
            MODEL, columns, loss="mse", p0=dict(zip("ab", P0)), optimizer="gd", lr=LR, epochs=iters, tol=0, **keywords
        )
        assert len(res.history) == iters + 1, len(res.history)
        return Answer(np.array([res.params["a"], res.params["b"]]))

    return run


def workloads(quick: bool) -> list[Workload]:
    rows, iters = (100_000, 50) if quick else (1_000_000, 200)
    x, y = data(rows)
    contenders = [
        *symgd_contenders(functools.partial(symgd_fit, x, y, iters))[:1],  # fit has one engine, numpy
        contender("numpy", "hand-written numpy (x² once, dot products)", numpy_loop, x, y, iters),
        contender("numba", "hand-written numba (prange over rows)", numba_prange, x, y, iters),
        contender("jax", "JAX (jit + lax.scan, autodiff)", jax_scan, x, y, iters),
        contender("torch", "torch (autograd + optim.SGD)", torch_sgd, x, y, iters),
        contender("scipy", "scipy BFGS (to convergence)", scipy_bfgs, x, y, converge=True),
    ]

    @functools.cache
    def reference(size: int | None) -> np.ndarray:
        return numpy_loop(x, y, iters)().values

    def least_squares() -> np.ndarray:
        return np.linalg.lstsq(np.column_stack([x * x, x]), y, rcond=None)[0]

    title = f"MSE fit of a·x² + b·x, {rows:,} rows × {iters} full-batch GD iterations, lr {LR:g}"
    inputs = x.nbytes + y.nbytes
    return [Workload("W4", title, "row × iteration", rows * iters, contenders, reference, inputs, least_squares)]
