"""Stage 4: the descent loop, on any ``value`` / ``grad`` callables (no sympy here).

The engine owns the loop, the stopping rules, divergence detection and the
trace; the step rule is a pluggable `GradientTransformation`.

>>> import numpy as np
>>> from symgd.optimizers import gd
>>> res = descend(lambda x: float(x @ x), lambda x: 2 * x, [3.0, -4.0], gd(0.25))
>>> res.status, res.nit, bool(abs(res.x).max() < 1e-8)
('converged', 30, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .errors import ArgumentError
from .optimizers import GradientTransformation
from .result import CALLBACK, CONVERGED, DIVERGED, MAX_ITER, UNDEFINED, History, Result

Array = np.ndarray

#: A run has diverged once the objective is this many times worse than its
#: best value (or its starting scale): far past anything a converging run does.
GROWTH_LIMIT = 1e10
_FIRST_CAPACITY = 4096  # trace rows allocated up front; doubled when full


class IntermediateResult(NamedTuple):
    """What a ``callback`` sees after each iteration (scipy's convention)."""

    x: Array
    fun: float
    grad: Array
    nit: int


def descend(
    value: Callable[[Array], float],
    grad: Callable[[Array], Array],
    x0: Sequence[float] | Array,
    step: GradientTransformation,
    *,
    max_iter: int = 1000,
    tol: float = 1e-8,
    maximize: bool = False,
    callback: Callable[[IntermediateResult], object] | None = None,
    variables: Sequence[str] | None = None,
) -> Result:
    """Run ``step`` from ``x0`` until the gradient norm is at most ``tol``.

    Parameters
    ----------
    value, grad
        ``value(x) -> float`` and ``grad(x) -> ndarray (n,)`` for ``x`` of shape (n,).
    x0
        The start point.
    step
        The update rule; it always sees the gradient of the function being
        minimised (the negated gradient when ``maximize``).
    max_iter
        Most steps to take. With ``tol=0`` exactly this many are taken.
    tol
        Stop when the Euclidean norm of the gradient is at most ``tol``.
    maximize
        Climb instead of descending.
    callback
        Called after every step with an `IntermediateResult`; raising
        ``StopIteration`` ends the run with status ``"callback"``.
    variables
        Names for the coordinates, carried into the result.
    """
    x = np.array(x0, dtype=float).reshape(-1)
    n = x.size
    names = tuple(variables) if variables is not None else tuple(f"x{i}" for i in range(n))
    max_iter, tol = _check_budget(max_iter, tol)
    if len(names) != n:
        raise ArgumentError(f"the start point has {n} coordinates but there are {len(names)} variables")
    sign = -1.0 if maximize else 1.0
    stop_below = tol if tol > 0 else -1.0  # tol = 0: never stop on the gradient
    capacity = min(max_iter, _FIRST_CAPACITY) + 1
    X, F, G = np.empty((capacity, n)), np.empty(capacity), np.empty((capacity, n))
    update = step.update

    with np.errstate(all="ignore"):
        f, g = value(x), grad(x)
        X[0], F[0], G[0] = x, f, g
        gnorm = math.hypot(*g.tolist())
        i, best, status = 0, 0, None
        if not (math.isfinite(f) and math.isfinite(gnorm)):
            status = UNDEFINED
        else:
            state = step.init(x)
            start_scale = abs(f)
            best_sf = sign * f
            ceiling = best_sf + GROWTH_LIMIT * max(1.0, start_scale)
        while status is None:
            if gnorm <= stop_below:
                status = CONVERGED
                break
            if i == max_iter:
                status = MAX_ITER
                break
            u, state = update(g if sign > 0 else -g, state, x)
            x = x + u
            f, g = value(x), grad(x)
            i += 1
            if i == capacity:
                capacity = min(2 * capacity, max_iter + 1)
                X, F, G = _grow(X, capacity), _grow(F, capacity), _grow(G, capacity)
            X[i], F[i], G[i] = x, f, g
            gnorm = math.hypot(*g.tolist())
            sf = sign * f
            if not (math.isfinite(sf) and math.isfinite(gnorm)) or sf > ceiling:
                status = DIVERGED
                break
            if sf < best_sf:
                best, best_sf = i, sf
                ceiling = sf + GROWTH_LIMIT * max(1.0, abs(sf), start_scale)
            if callback is not None:
                try:
                    callback(IntermediateResult(x.copy(), float(f), g.copy(), i))
                except StopIteration:
                    status = CALLBACK

    history = History(X[: i + 1].copy(), F[: i + 1].copy(), G[: i + 1].copy())
    message = _message(status, history, names, i, best, max_iter, tol, maximize)
    success = status in (CONVERGED, CALLBACK) or (status == MAX_ITER and tol == 0)
    return Result(
        x=history.x[i].copy(),
        fun=float(history.fun[i]),
        grad=history.grad[i].copy(),
        nit=i,
        status=status,
        success=success,
        message=message,
        variables=names,
        history=history,
        best_x=history.x[best].copy(),
        best_fun=float(history.fun[best]),
        best_iter=best,
        maximize=maximize,
    )


def _check_budget(max_iter: int, tol: float) -> tuple[int, float]:
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ArgumentError(f"max_iter must be a non-negative integer, not {max_iter!r}")
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        raise ArgumentError(f"tol must be a number, not {tol!r}") from None
    if not tol >= 0:
        raise ArgumentError(f"tol must be zero or positive, not {tol!r}")
    return int(max_iter), tol


def _grow(array: Array, rows: int) -> Array:
    grown = np.empty((rows, *array.shape[1:]))
    grown[: len(array)] = array
    return grown


def _message(
    status: str, h: History, names: tuple[str, ...], i: int, best: int, max_iter: int, tol: float, maximize: bool
) -> str:
    gnorm = math.hypot(*h.grad[i])
    if status == CONVERGED:
        return f"Converged after {i} iterations: |grad| = {gnorm:.3g} <= tol = {tol:g}."
    if status == MAX_ITER:
        if tol == 0:
            return f"Ran the requested {max_iter} iterations (tol = 0 turns the gradient test off)."
        return (
            f"Stopped after {max_iter} iterations without converging: |grad| = {gnorm:.3g} > tol = {tol:g}; "
            "allow more iterations or a larger learning rate."
        )
    if status == CALLBACK:
        return f"Stopped by the callback after {i} iterations."
    if status == UNDEFINED:
        return (
            f"The function or its gradient is not a finite number at the start point ({_where(names, h.x[0])}); "
            "choose a start point inside the function's domain."
        )
    return _divergence_message(h, names, i, best, maximize)


def _divergence_message(h: History, names: tuple[str, ...], i: int, best: int, maximize: bool) -> str:
    f, x = float(h.fun[i]), h.x[i]
    worse, better = ("decreases", "increases") if maximize else ("increases", "decreases")
    head = f"Diverged at iteration {i}"
    if not np.all(np.isfinite(x)):
        return f"{head}: the point overflowed to {_where(names, x)}; try a smaller learning rate."
    if math.isnan(f) or not np.all(np.isfinite(h.grad[i])):
        return (
            f"{head}: the function or its gradient is undefined at {_where(names, x)} "
            "(outside its domain, e.g. log or sqrt of a negative number, or an overflow); "
            "try a smaller learning rate or another start point."
        )
    if math.isinf(f) and best == i - 1 and (f < 0) != maximize:
        bound = "below" if not maximize else "above"
        return f"{head}: f {better} without bound (f = {f} at {_where(names, x)}); it seems unbounded {bound}."
    return (
        f"{head}: f {worse} instead of {'increasing' if maximize else 'decreasing'} "
        f"(f = {f:.6g} at {_where(names, x)}, best was {float(h.fun[best]):.6g} at iteration {best}); "
        "the steps overshoot, so try a smaller learning rate."
    )


def _where(names: tuple[str, ...], x: Array) -> str:
    return ", ".join(f"{name} = {v:.6g}" for name, v in zip(names, x))
