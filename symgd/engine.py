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
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .errors import ArgumentError
from .optimizers import GradientTransformation, Problem
from .result import CALLBACK, CONVERGED, DIVERGED, FTOL, MAX_ITER, TIME, UNDEFINED, XTOL, History, Result

Array = np.ndarray

#: A run has diverged once the objective is this many times worse than its
#: best value (or its starting scale): far past anything a converging run does.
#: Falling below -GROWTH_LIMIT² times the starting scale counts as unbounded.
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
    hess: Callable[[Array], Array] | None = None,
    max_iter: int = 1000,
    tol: float = 1e-8,
    xtol: float = 0.0,
    ftol: float = 0.0,
    max_time: float | None = None,
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
    maximize: bool = False,
    callback: Callable[[IntermediateResult], object] | None = None,
    variables: Sequence[str] | None = None,
) -> Result:
    """Run ``step`` from ``x0`` until a stopping rule holds.

    Parameters
    ----------
    value, grad, hess
        ``value(x) -> float``, ``grad(x) -> ndarray (n,)`` and, for steps that
        need it, ``hess(x) -> ndarray (n, n)``, for ``x`` of shape (n,).
    x0
        The start point (projected into ``bounds``).
    step
        The update rule (`symgd.optimizers`); it always sees the function
        being minimised (the negated one when ``maximize``).
    max_iter
        Most steps to take. With ``tol=0`` exactly this many are taken.
    tol
        Stop when the Euclidean norm of the gradient (projected onto the
        box, with ``bounds``) is at most ``tol``.
    xtol, ftol
        Stop when a step is at most ``xtol`` long, or changes f by at most
        ``ftol * max(1, |f|)``; 0 turns a rule off.
    max_time
        Stop after this many seconds of wall-clock time.
    bounds
        ``[(lo, hi), ...]`` per variable (``None`` for no bound): every
        iterate is projected into the box.
    maximize
        Climb instead of descending.
    callback
        Called after every step with an `IntermediateResult`; raising
        ``StopIteration`` ends the run with status ``"callback"``.
    variables
        Names for the coordinates, carried into the result.
    """
    x, names, rules, box = setup(x0, variables, bounds, max_iter, tol, xtol, ftol, max_time)
    n = x.size
    sign = -1.0 if maximize else 1.0
    problem = signed_problem(value, grad, hess, sign, box)
    stop_below = rules.tol if rules.tol > 0 else -1.0  # tol = 0: never stop on the gradient
    capacity = min(rules.max_iter, _FIRST_CAPACITY) + 1
    X, F, G = np.empty((capacity, n)), np.empty(capacity), np.empty((capacity, n))
    update = step.update
    deadline = time.perf_counter() + rules.max_time if rules.max_time else None

    with np.errstate(all="ignore"):
        f, g = value(x), grad(x)
        X[0], F[0], G[0] = x, f, g
        gnorm = _gradient_norm(g, sign, x, box)
        i, best, status = 0, 0, None
        if not (math.isfinite(f) and math.isfinite(gnorm)):
            status = UNDEFINED
        else:
            state = step.init(x, problem)
            start_scale = abs(f)
            sf = best_sf = sign * f
            ceiling = best_sf + GROWTH_LIMIT * max(1.0, start_scale)
            floor = -(GROWTH_LIMIT**2) * max(1.0, start_scale)  # below this, f is taken as unbounded
        while status is None:
            if gnorm <= stop_below:
                status = CONVERGED
                break
            if i == rules.max_iter:
                status = MAX_ITER
                break
            if deadline is not None and time.perf_counter() > deadline:
                status = TIME
                break
            gs = g if sign > 0 else -g
            u, state = update(gs, state, x, sf, gs)
            x_new = x + u if box is None else np.clip(x + u, *box)
            f, g = value(x_new), grad(x_new)
            i += 1
            if i == capacity:
                capacity = min(2 * capacity, rules.max_iter + 1)
                X, F, G = _grow(X, capacity), _grow(F, capacity), _grow(G, capacity)
            X[i], F[i], G[i] = x_new, f, g
            gnorm = math.hypot(*g.tolist()) if box is None else _gradient_norm(g, sign, x_new, box)
            sf_old, sf = sf, sign * f
            if not (math.isfinite(sf) and math.isfinite(gnorm)) or not floor < sf < ceiling:
                status = DIVERGED
                break
            if sf < best_sf:
                best, best_sf = i, sf
                ceiling = sf + GROWTH_LIMIT * max(1.0, abs(sf), start_scale)
            if rules.xtol and math.hypot(*(x_new - x).tolist()) <= rules.xtol:
                status = XTOL
            elif rules.ftol and abs(sf - sf_old) <= rules.ftol * max(1.0, abs(sf), abs(sf_old)):
                status = FTOL
            x = x_new
            if callback is not None:
                try:
                    callback(IntermediateResult(x.copy(), float(f), g.copy(), i))
                except StopIteration:
                    status = CALLBACK

    history = History(X[: i + 1].copy(), F[: i + 1].copy(), G[: i + 1].copy())
    return finish(history, status, i, best, names, rules, maximize, box)


def finish(
    history: History, status: str, i: int, best: int, names: tuple[str, ...], rules: Stopping, maximize: bool, box
) -> Result:
    """The `Result` of a run that stopped at step ``i`` for reason ``status``, its best point at step ``best``."""
    return Result(
        x=history.x[i].copy(),
        fun=float(history.fun[i]),
        grad=history.grad[i].copy(),
        nit=i,
        status=status,
        success=is_success(status, rules.tol),
        message=_message(status, history, names, i, best, rules, maximize, box),
        variables=names,
        history=history,
        best_x=history.x[best].copy(),
        best_fun=float(history.fun[best]),
        best_iter=best,
        maximize=maximize,
    )


def setup(x0, variables, bounds, max_iter, tol, xtol, ftol, max_time):
    """The checked start point (projected into the box), variable names, stopping rules and box of a run."""
    x = np.array(x0, dtype=float).reshape(-1)
    n = x.size
    names = tuple(variables) if variables is not None else tuple(f"x{i}" for i in range(n))
    if len(names) != n:
        raise ArgumentError(f"the start point has {n} coordinates but there are {len(names)} variables")
    rules = Stopping.check(max_iter, tol, xtol, ftol, max_time)
    box = box_bounds(bounds, n)
    return (x if box is None else np.clip(x, *box)), names, rules, box


def is_success(status: str, tol: float) -> bool:
    """Did a run with this status succeed? Running out of iterations does only when tol = 0 asked for it."""
    return status in (CONVERGED, XTOL, FTOL, CALLBACK) or (status == MAX_ITER and tol == 0)


class Stopping(NamedTuple):
    """The stopping rules of a run, checked."""

    max_iter: int
    tol: float
    xtol: float
    ftol: float
    max_time: float | None

    @classmethod
    def check(cls, max_iter, tol, xtol=0.0, ftol=0.0, max_time=None) -> Stopping:
        if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
            raise ArgumentError(f"max_iter must be a non-negative integer, not {max_iter!r}")
        numbers = {}
        for name, v in (("tol", tol), ("xtol", xtol), ("ftol", ftol), ("max_time", max_time)):
            if v is None and name == "max_time":
                continue
            try:
                numbers[name] = float(v)
            except (TypeError, ValueError):
                raise ArgumentError(f"{name} must be a number, not {v!r}") from None
            if not numbers[name] >= 0:
                raise ArgumentError(f"{name} must be zero or positive, not {v!r}")
        return cls(int(max_iter), numbers["tol"], numbers["xtol"], numbers["ftol"], numbers.get("max_time"))


def box_bounds(bounds, n: int) -> tuple[Array, Array] | None:
    """``[(lo, hi), ...]`` as two arrays (``None`` -> ∓inf), checked; None without bounds."""
    if bounds is None:
        return None
    try:
        pairs = [(-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi)) for lo, hi in bounds]
    except (TypeError, ValueError):
        raise ArgumentError(f"bounds must be (lo, hi) pairs of numbers, one per variable, not {bounds!r}") from None
    if len(pairs) != n:
        raise ArgumentError(f"bounds has {len(pairs)} pairs but there are {n} variables")
    lo, hi = np.array(pairs).T
    if np.any(np.isnan(lo) | np.isnan(hi)) or np.any(lo > hi):
        raise ArgumentError("each bound must be a pair (lo, hi) with lo <= hi")
    return lo, hi


def signed_problem(value, grad, hess, sign: float, box=None) -> Problem:
    """The functions of the problem being minimised: f itself, or -f for ascent."""
    if sign > 0:
        return Problem(value, grad, hess, box)
    return Problem(
        lambda x: -np.asarray(value(x)),
        lambda x: -grad(x),
        None if hess is None else (lambda x: -hess(x)),
        box,
    )


def _gradient_norm(g: Array, sign: float, x: Array, box) -> float:
    """Norm of the gradient, or of the projected gradient ``x - clip(x - g)`` inside a box."""
    if box is not None:
        g = x - np.clip(x - sign * g, *box)
    return math.hypot(*g.tolist())


def _grow(array: Array, rows: int) -> Array:
    grown = np.empty((rows, *array.shape[1:]))
    grown[: len(array)] = array
    return grown


def _message(
    status: str, h: History, names: tuple[str, ...], i: int, best: int, rules: Stopping, maximize: bool, box
) -> str:
    gnorm = _gradient_norm(h.grad[i], -1.0 if maximize else 1.0, h.x[i], box)
    if status == CONVERGED:
        what = "|grad|" if box is None else "|grad projected on the bounds|"
        return f"Converged after {i} iterations: {what} = {gnorm:.3g} <= tol = {rules.tol:g}."
    if status == XTOL:
        moved = math.hypot(*(h.x[i] - h.x[i - 1]))
        return f"Converged after {i} iterations: the last step was {moved:.3g} <= xtol = {rules.xtol:g}."
    if status == FTOL:
        change = abs(float(h.fun[i] - h.fun[i - 1]))
        return f"Converged after {i} iterations: f changed by {change:.3g}, within ftol = {rules.ftol:g} (relative)."
    if status == MAX_ITER:
        if rules.tol == 0:
            return f"Ran the requested {rules.max_iter} iterations (tol = 0 turns the gradient test off)."
        return (
            f"Stopped after {rules.max_iter} iterations without converging: "
            f"|grad| = {gnorm:.3g} > tol = {rules.tol:g}; allow more iterations or a larger learning rate."
        )
    if status == TIME:
        return f"Stopped after {i} iterations: the time budget of {rules.max_time:g} s ran out (|grad| = {gnorm:.3g})."
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
    improved = f > h.fun[best] if maximize else f < h.fun[best]
    if improved and best == i - 1:
        bound = "above" if maximize else "below"
        return f"{head}: f {better} without bound (f = {f:.6g} at {_where(names, x)}); it seems unbounded {bound}."
    if not np.all(np.isfinite(x)):
        return f"{head}: the point overflowed to {_where(names, x)}; try a smaller learning rate."
    if math.isnan(f) or not np.all(np.isfinite(h.grad[i])):
        return (
            f"{head}: the function or its gradient is undefined at {_where(names, x)} "
            "(outside its domain, e.g. log or sqrt of a negative number, or an overflow); "
            "try a smaller learning rate or another start point."
        )
    return (
        f"{head}: f {worse} instead of {'increasing' if maximize else 'decreasing'} "
        f"(f = {f:.6g} at {_where(names, x)}, best was {float(h.fun[best]):.6g} at iteration {best}); "
        "the steps overshoot, so try a smaller learning rate."
    )


def _where(names: tuple[str, ...], x: Array) -> str:
    return ", ".join(f"{name} = {v:.6g}" for name, v in zip(names, x))
