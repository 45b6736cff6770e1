"""W3: multi-start, 10⁵ starts × 10³ iterations of gradient descent on the seed's quartic.

g(x) = 0.001x⁴ − 0.03x³ + 0.1x² + x + 2, lr = 0.2, starts uniform in
[−30, 40] (the ones ``symgd.minimize(restarts=N, domain=(-30, 40), seed=0)``
draws), ``tol=0`` so every start takes every step. No contender keeps a trace
of every start (symgd replays the best start's trace alone). The hand-written
contenders use the derivative in Horner form, as a careful user would write it
(typed as the seed writes it, ``0.004*x**3 - …``, numpy's power routine made
the loop 10× slower: see the historical figures in docs/benchmarks.md); JAX and
torch differentiate the formula themselves.
"""

from __future__ import annotations

import functools

import numpy as np

import symgd

from .harness import Answer, Workload, contender, optional, symgd_contenders

FORMULA = "x**4/1000 - 0.03*x**3 + 0.1*x**2 + x + 2"
LR, DOMAIN, SEED = 0.2, (-30.0, 40.0), 0
TORCH_FRACTION = 0.1  # torch runs this fraction of the iterations, and its time is scaled up
BLOCK = 256  # starts per block in the numba loop (a one-start-at-a-time loop is latency-bound, 10× slower)


def quartic(x):
    return x**4 / 1000 - 0.03 * x**3 + 0.1 * x**2 + x + 2


def starts(count: int) -> np.ndarray:
    lo, hi = DOMAIN
    return lo + (hi - lo) * np.random.default_rng(SEED).random(count)


def numpy_loop(x0: np.ndarray, iters: int):
    def run():
        x = x0.copy()
        for _ in range(iters):
            x -= LR * (((0.004 * x - 0.09) * x + 0.2) * x + 1)
        return Answer(x, size=iters)

    return run


def numba_prange(x0: np.ndarray, iters: int):
    numba = optional("numba")

    @numba.njit(parallel=True)
    def descend(x0, iters, lr):
        x = x0.copy()
        for block in numba.prange((x.size + BLOCK - 1) // BLOCK):  # blocks of starts on both cores
            xb = x[block * BLOCK : (block + 1) * BLOCK]  # a view: the block stays in cache for every step
            for _ in range(iters):
                xb -= lr * (((0.004 * xb - 0.09) * xb + 0.2) * xb + 1.0)
        return x

    return lambda: Answer(descend(x0, iters, LR), size=iters)


def jax_vmap(x0: np.ndarray, iters: int):
    jax = optional("jax")
    grad = jax.grad(quartic)
    one = lambda x: jax.lax.fori_loop(0, iters, lambda _, x: x - LR * grad(x), x)  # noqa: E731
    descend, starts = jax.jit(jax.vmap(one)), jax.numpy.asarray(x0)
    return lambda: Answer(np.asarray(jax.block_until_ready(descend(starts))), size=iters)


def torch_sgd(x0: np.ndarray, iters: int):
    torch = optional("torch")

    def run():
        x = torch.tensor(x0, requires_grad=True)
        opt = torch.optim.SGD([x], lr=LR)
        for _ in range(iters):
            opt.zero_grad()
            quartic(x).sum().backward()  # the starts are independent: the sum's gradient is each one's
            opt.step()
        return Answer(x.detach().numpy().copy(), size=iters)

    return run


def symgd_restarts(x0: np.ndarray, iters: int, keywords: dict):
    obj = symgd.Objective(FORMULA)

    def run():
        res = symgd.minimize(
            obj, optimizer="gd", lr=LR, max_iter=iters, tol=0, restarts=x0.size, domain=DOMAIN, seed=SEED, **keywords
        )
        return Answer(res.starts.x[0], size=iters)

    return run


def workloads(quick: bool) -> list[Workload]:
    count, iters = (10_000, 100) if quick else (100_000, 1000)
    x0, steps = starts(count), int(iters * TORCH_FRACTION)
    contenders = [
        *symgd_contenders(functools.partial(symgd_restarts, x0, iters)),
        contender("numpy", "hand-written numpy (Horner, in place)", numpy_loop, x0, iters),
        contender("numba", "hand-written numba (prange over starts)", numba_prange, x0, iters),
        contender("jax", "JAX (jit + vmap + fori_loop, autodiff)", jax_vmap, x0, iters),
        contender("torch", "torch (autograd + optim.SGD)", torch_sgd, x0, steps, fraction=steps / iters),
    ]

    @functools.cache
    def reference(size: int | None) -> np.ndarray:
        return numpy_loop(x0, size or iters)().values

    title = f"multi-start on the seed's quartic, {count:,} starts × {iters:,} iterations, lr {LR:g}, tol 0"
    notes = (f"torch ran {steps:,} iterations (its float64 powers: ~30 ms a step); its time is scaled to {iters:,}.",)
    return [Workload("W3", title, "start × iteration", count * iters, contenders, reference, x0.nbytes, notes=notes)]
