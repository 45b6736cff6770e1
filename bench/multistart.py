"""Multi-start: 100 000 starts × 1 000 iterations of gradient descent on the seed's quartic.

g(x) = 0.001x⁴ − 0.03x³ + 0.1x² + x + 2, lr = 0.2, starts uniform in
[−30, 40], tol = 0 so that every start runs all 1 000 steps (what the
hand-written loop does). Contenders, in one run:

- hand-written vectorised numpy, hand-derived derivative in Horner form,
  in-place update (what a careful user writes: the reference);
- the same loop with the derivative typed as the seed writes it
  (``0.004*x**3 - 0.09*x**2 + ...``: numpy's power routine);
- symgd's vectorised multi-start engine (`descend_many`) on the compiled
  gradient (the work inside `symgd.minimize(..., restarts=N)`);
- `symgd.minimize(..., restarts=N)` end to end: the batch run, the replay
  of the best start's trace and the grouping of the minima.

Every contender must end at the same points. Median of 3 runs; peak
memory measured separately with tracemalloc (numpy reports its buffers to it).
Target: at most 1.5× the hand-written loop, memory at most 3× the inputs.

    python bench/multistart.py [--starts N] [--iters T] [--repeat R]
"""

from __future__ import annotations

import argparse
import platform
import tracemalloc

import numpy as np
from timing import median_time

import symgd
from symgd.multistart import descend_many
from symgd.optimizers import gd

FORMULA = "x**4/1000 - 0.03*x**3 + 0.1*x**2 + x + 2"
LR = 0.2


def hand_numpy_as_written(x0: np.ndarray, iters: int) -> np.ndarray:
    """The seed's derivative g'(x) = 0.004x³ − 0.09x² + 0.2x + 1, typed as it reads."""
    x = x0.copy()
    for _ in range(iters):
        x = x - LR * (0.004 * x**3 - 0.09 * x**2 + 0.2 * x + 1)
    return x


def hand_numpy(x0: np.ndarray, iters: int) -> np.ndarray:
    x = x0.copy()
    for _ in range(iters):
        x -= LR * (((0.004 * x - 0.09) * x + 0.2) * x + 1)
    return x


def engine(obj: symgd.Objective, x0: np.ndarray, iters: int) -> np.ndarray:
    return descend_many(obj.compiled_value, obj.compiled_grad, x0[None, :], gd(LR), max_iter=iters, tol=0).x[0]


def end_to_end(obj: symgd.Objective, x0: np.ndarray, iters: int) -> np.ndarray:
    res = symgd.minimize(obj, lr=LR, max_iter=iters, tol=0, restarts=x0.size, domain=(-30, 40), seed=0)
    return res.starts.x[0]


def peak_memory(fn, *args) -> int:
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=100_000)
    parser.add_argument("--iters", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    x0 = -30 + 70 * np.random.default_rng(0).random(args.starts)  # the starts minimize(seed=0) draws
    obj = symgd.Objective(FORMULA)
    obj.compiled_value, obj.compiled_grad, obj.compiled_hess  # noqa: B018  (compile before timing)
    contenders = [
        ("hand-written vectorised numpy (Horner, in place)", hand_numpy, (x0, args.iters)),
        ("hand-written vectorised numpy, derivative as the seed writes it", hand_numpy_as_written, (x0, args.iters)),
        ("symgd vectorised engine (descend_many)", engine, (obj, x0, args.iters)),
        ("symgd.minimize(restarts=N), end to end", end_to_end, (obj, x0, args.iters)),
    ]
    rows = []
    for name, fn, fn_args in contenders:
        seconds, answer = median_time(fn, *fn_args, repeat=args.repeat)
        rows.append((name, seconds, answer, peak_memory(fn, *fn_args)))
    for name, _, answer, _ in rows[1:]:
        assert np.allclose(answer, rows[0][2], rtol=1e-12, atol=1e-9), name  # the same end points
    base, inputs = rows[0][1], x0.nbytes
    print(f"{args.starts} starts x {args.iters} iterations on {FORMULA}, lr = {LR}, median of {args.repeat}")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}\n")
    print("| contender | time | ratio to hand numpy | peak memory | memory / inputs |")
    print("|---|---|---|---|---|")
    for name, seconds, _, peak in rows:
        print(f"| {name} | {seconds:.3f} s | {seconds / base:.2f}× | {peak / 2**20:.1f} MiB | {peak / inputs:.1f}× |")


if __name__ == "__main__":
    main()
