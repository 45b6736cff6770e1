"""Many starts at once: the state is an (n, N) array pushed through the compiled
functions in one vectorised call per step; each start stops on its own (a mask).

>>> import numpy as np
>>> from symgd.optimizers import gd
>>> g = lambda x: 4 * x * (x * x - 1)               # f = (x² - 1)², minima at ±1
>>> f = lambda x: (x * x - 1) ** 2
>>> run = descend_many(lambda X: f(X[0]), g, np.array([[-2.0, -0.5, 0.5, 2.0]]), gd(0.05))
>>> run.x.round(6).tolist(), run.status.tolist()
([[-1.0, -1.0, 1.0, 1.0]], ['converged', 'converged', 'converged', 'converged'])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .engine import GROWTH_LIMIT, Stopping, box_bounds, signed_problem
from .errors import ArgumentError
from .optimizers import GradientTransformation
from .result import CONVERGED, DIVERGED, FTOL, MAX_ITER, TIME, UNDEFINED, XTOL

Array = np.ndarray

#: Without a step or rule that reads f at every step, f is evaluated (and
#: divergence checked) every this many steps: most of a step's cost saved. A
#: diverging start is noticed at most this many steps late (it is frozen then).
CHECK_EVERY = 32


@dataclass(frozen=True)
class Starts:
    """Every start of a multi-start run: where it began and ended, and why it stopped.

    ``x0`` and ``x`` have shape (n, N); ``fun``, ``status`` (status names, as
    in `Result.status`) and ``nit`` shape (N,).
    With ``keep_history="all"``, ``history_x`` (T + 1, n, N) and
    ``history_fun`` (T + 1, N) hold every start's trace (frozen once stopped).
    """

    x0: Array
    x: Array
    fun: Array
    status: Array
    nit: Array
    history_x: Array | None = None
    history_fun: Array | None = None

    def __len__(self) -> int:
        return self.fun.size

    @property
    def success(self) -> Array:
        """Starts that converged (by the gradient, xtol or ftol)."""
        return np.isin(self.status, [CONVERGED, XTOL, FTOL])


@dataclass(frozen=True)
class Minimum:
    """A distinct minimum (or maximum, for ascent) found by several starts."""

    x: Array
    fun: float
    count: int


def descend_many(
    value: Callable[[Array], Array],
    grad: Callable[[Array], Array],
    X0: Array,
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
    keep_all: bool = False,
) -> Starts:
    """Run ``step`` from every column of ``X0`` (shape (n, N)) at once.

    The same rules as `symgd.descend`, applied to each start on its own: a
    start that converges, diverges or hits xtol/ftol is frozen while the
    others go on. ``value(X) -> (N,)``, ``grad(X) -> (n, N)``.
    """
    X = np.array(X0, dtype=float)
    if X.ndim != 2:
        raise ArgumentError(f"the starts must be an array of shape (n, N), not {X.shape}")
    n, count = X.shape
    rules = Stopping.check(max_iter, tol, xtol, ftol, max_time)
    box = box_bounds(bounds, n)
    if box is not None:
        box = (box[0][:, None], box[1][:, None])
        X = np.clip(X, *box)
    sign = -1.0 if maximize else 1.0
    problem = signed_problem(value, grad, hess, sign, box)
    deadline = time.perf_counter() + rules.max_time if rules.max_time else None
    X0, X = X, X.copy()
    status = np.full(count, MAX_ITER, dtype=object)
    stopped_at = np.full(count, -1)  # the step at which each start stopped; -1 while it runs
    history_x, history_fun = ([X.copy()], []) if keep_all else (None, None)

    # f is needed at every step only by steps that read it and by ftol; otherwise it is
    # evaluated every CHECK_EVERY steps to catch divergence, and at the end.
    every = 1 if (step.uses_value or rules.ftol or keep_all) else CHECK_EVERY
    measure = rules.tol > 0
    with np.errstate(all="ignore"):
        f, g = _values(value, X, count), grad(X)
        sf = sign * f
        gnorm = _norms(g, sign, X, box)
        active = np.isfinite(sf) & np.isfinite(gnorm)
        status[~active] = UNDEFINED
        best_sf = np.where(active, sf, np.inf)
        start_scale = np.maximum(1.0, np.abs(sf))
        floor = -(GROWTH_LIMIT**2) * start_scale  # below this, f is taken as unbounded
        state = step.init(X, problem)
        tol_stop = rules.tol if measure else -1.0
        if keep_all:
            history_fun.append(f.copy())
        all_active = bool(active.all())  # kept up to date by every stop, to spare a reduction per step
        for it in range(1, rules.max_iter + 1):
            if measure and _stop(active & (gnorm <= tol_stop), CONVERGED, it - 1, status, active, stopped_at):
                all_active = False
            if not all_active and not active.any():
                break
            if deadline is not None and time.perf_counter() > deadline:
                _stop(active.copy(), TIME, it - 1, status, active, stopped_at)
                break
            gs = g if sign > 0 else -g
            u, state = step.update(gs, state, X, sf, gs)
            if all_active and box is None:
                X += u  # in place: no new array per step (X is this loop's own copy)
                moved = u
            else:
                X_new = X + u if box is None else np.clip(X + u, *box)
                if not all_active:
                    X_new = np.where(active, X_new, X)
                X, moved = X_new, X_new - X
            g_new = grad(X)
            g = g_new if all_active else np.where(active, g_new, g)
            if measure or box is not None:
                gnorm = _norms(g, sign, X, box)
            if rules.xtol:
                small = np.sqrt(np.sum(moved * moved, axis=0)) <= rules.xtol
                if _stop(active & small, XTOL, it, status, active, stopped_at):
                    all_active = False
            evaluated = it % every == 0 or it == rules.max_iter
            if not evaluated:
                continue
            f_new = _values(value, X, count)
            if not all_active:
                f_new = np.where(active, f_new, f)
            sf_old, sf, f = sf, sign * f_new, f_new
            best_sf = np.minimum(best_sf, sf)
            # not within the growth allowance (nan and +inf fail it too), or unbounded below
            sane = (sf - best_sf <= GROWTH_LIMIT * np.maximum(np.abs(best_sf), start_scale)) & (sf >= floor)
            if _stop(active & ~sane, DIVERGED, it, status, active, stopped_at):
                all_active = False
            if rules.ftol:
                change = np.abs(sf - sf_old) <= rules.ftol * np.maximum(1.0, np.maximum(np.abs(sf), np.abs(sf_old)))
                if _stop(active & change, FTOL, it, status, active, stopped_at):
                    all_active = False
            if keep_all:
                history_x.append(X.copy())
                history_fun.append(f.copy())
        else:
            it = rules.max_iter + 1
            if measure:
                _stop(
                    active & (_norms(g, sign, X, box) <= tol_stop),
                    CONVERGED,
                    rules.max_iter,
                    status,
                    active,
                    stopped_at,
                )
        f = _values(value, X, count)  # at every end point: a start may have stopped between evaluations

    return Starts(
        x0=X0,
        x=X,
        fun=f,
        status=status,  # the status names themselves, shared: 8 bytes a start
        nit=np.where(stopped_at < 0, it - 1 if rules.max_iter else 0, stopped_at),
        history_x=np.array(history_x) if keep_all else None,
        history_fun=np.array(history_fun) if keep_all else None,
    )


def _stop(mask: Array, why: str, step: int, status: Array, active: Array, stopped_at: Array) -> bool:
    """Freeze the starts in ``mask``: they stopped at ``step`` for reason ``why``. Did any?"""
    if not mask.any():
        return False
    status[mask] = why
    stopped_at[mask] = step
    active &= ~mask
    return True


def _values(value: Callable[[Array], Array], X: Array, count: int) -> Array:
    return np.broadcast_to(np.asarray(value(X), dtype=float), (count,))


def _norms(g: Array, sign: float, X: Array, box) -> Array:
    if box is not None:
        g = X - np.clip(X - sign * g, *box)
    return np.sqrt(np.sum(g * g, axis=0))


def random_starts(n: int, count: int, low: Array, high: Array, seed: int | None) -> Array:
    """``count`` starts drawn uniformly from the box [low, high] (shape (n, count)), reproducible by ``seed``."""
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 1:
        raise ArgumentError(f"restarts must be a positive integer, not {count!r}")
    low, high = np.broadcast_to(np.asarray(low, float), (n,)), np.broadcast_to(np.asarray(high, float), (n,))
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(low <= high)):
        raise ArgumentError("the domain for the starts must be finite, with lo <= hi for every variable")
    rng = np.random.default_rng(seed)
    return low[:, None] + (high - low)[:, None] * rng.random((n, count))


def group_minima(starts: Starts, maximize: bool = False, distance: float = 1e-4) -> list[Minimum]:
    """The distinct points where successful starts ended, best first, each with how many starts found it.

    End points within ``distance * max(1, |x|)`` of a better one belong to its group.
    """
    ok = np.flatnonzero(starts.success)
    remaining = ok[np.argsort(-starts.fun[ok] if maximize else starts.fun[ok], kind="stable")]
    minima = []
    while remaining.size:
        center = starts.x[:, remaining[0]]
        near = np.linalg.norm(starts.x[:, remaining] - center[:, None], axis=0) <= distance * max(
            1.0, float(np.linalg.norm(center))
        )
        minima.append(Minimum(center.copy(), float(starts.fun[remaining[0]]), int(near.sum())))
        remaining = remaining[~near]
    return minima
