"""Engine overhead: symgd's descent loop against a hand-written numpy loop.

Both run plain gradient descent on f(x) = x² − 8x + 4 for 100 000 iterations
with a full trace (x, f, gradient per row), calling the *same* compiled
functions, so the ratio measures only what the engine adds: stopping rules,
divergence checks, best-point tracking, the pluggable step rule. Target: at
most 1.5×. A plain-Python loop with the hand-derived derivative (what the
seeds do) is shown for scale. Median of 5 runs.

    python bench/engine_overhead.py [--iters N] [--repeat R]
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
from timing import median_time

import symgd
from symgd.optimizers import gd

LR, X0 = 0.001, 44.0  # small steps: 10^5 iterations stay far from convergence


def hand_numpy(value, grad, n_iter):
    """What a user would write around the compiled functions."""
    x = np.array([X0])
    X, F, G = np.empty((n_iter + 1, 1)), np.empty(n_iter + 1), np.empty((n_iter + 1, 1))
    f, g = value(x), grad(x)
    X[0], F[0], G[0] = x, f, g
    for i in range(1, n_iter + 1):
        x = x - LR * g
        f, g = value(x), grad(x)
        X[i], F[i], G[i] = x, f, g
    return X[-1, 0]


def plain_python(n_iter):
    """The seeds' loop: Python floats and the hand-derived derivative."""
    xs, fs, gs = [0.0] * (n_iter + 1), [0.0] * (n_iter + 1), [0.0] * (n_iter + 1)
    x = X0
    xs[0], fs[0], gs[0] = x, x * x - 8 * x + 4, 2 * x - 8
    for i in range(1, n_iter + 1):
        x = x - LR * (2 * x - 8)
        xs[i], fs[i], gs[i] = x, x * x - 8 * x + 4, 2 * x - 8
    return x


def engine(value, grad, n_iter):
    res = symgd.descend(value, grad, [X0], gd(LR), max_iter=n_iter, tol=0)
    return res.x[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    obj = symgd.Objective("x**2 - 8*x + 4")
    value, grad = obj.compiled_value, obj.compiled_grad
    n = args.iters
    rows = [
        (
            "hand-written numpy loop, same compiled functions",
            *median_time(hand_numpy, value, grad, n, repeat=args.repeat),
        ),
        ("symgd engine (symgd.descend / symgd.minimize)", *median_time(engine, value, grad, n, repeat=args.repeat)),
        ("plain Python floats, hand-derived (seeds)", *median_time(plain_python, n, repeat=args.repeat)),
    ]
    answers = [answer for _, _, answer in rows]
    assert np.allclose(answers, answers[0], rtol=1e-12), answers  # every contender gets the same x
    base = rows[0][1]
    print(f"f(x) = x^2 - 8x + 4, {n} iterations with trace, median of {args.repeat}")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}\n")
    print(f"| {'contender':<50} | per iteration | ratio to hand numpy |")
    print(f"|{'-' * 52}|---------------|---------------------|")
    for name, seconds, _ in rows:
        print(f"| {name:<50} | {seconds / n * 1e6:8.2f} µs   | {seconds / base:15.2f}×    |")


if __name__ == "__main__":
    main()
