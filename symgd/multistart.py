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
from dataclasses import dataclass, field

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
    #: The statuses as codes into `_STATUSES`, where `descend_many` made them (a copy made by
    #: `dataclasses.replace` has none): the tests on them run on bytes, not on strings.
    _codes: Array | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return self.fun.size

    @property
    def success(self) -> Array:
        """Starts that converged (by the gradient, xtol or ftol)."""
        if self._codes is not None:
            return _SUCCESS[self._codes]
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

    Memory is kept to a few arrays of N numbers: ``x0`` of the result is a
    read-only view of ``X0`` itself where that is already a float array inside
    the bounds (no copy), and a step whose ``uses_value`` is false is passed
    ``f=None`` (f is then evaluated only every `CHECK_EVERY` steps).
    """
    X0 = np.asarray(X0, dtype=float)
    if X0.ndim != 2:
        raise ArgumentError(f"the starts must be an array of shape (n, N), not {X0.shape}")
    n, count = X0.shape
    rules = Stopping.check(max_iter, tol, xtol, ftol, max_time)
    box = box_bounds(bounds, n)
    if box is not None:
        box = (box[0][:, None], box[1][:, None])
        X0 = np.clip(X0, *box)
    X, X0 = X0.copy(), X0.view()
    X0.flags.writeable = False  # the caller's array, or our clipped copy: shared, never written
    sign = -1.0 if maximize else 1.0
    problem = signed_problem(value, grad, hess, sign, box)
    deadline = time.perf_counter() + rules.max_time if rules.max_time else None
    history_x, history_fun = ([X.copy()], []) if keep_all else (None, None)

    # f is needed at every step only by steps that read it, by ftol and for the history;
    # otherwise it is evaluated every CHECK_EVERY steps to catch divergence, and at the end.
    every_step = step.uses_value or bool(rules.ftol) or keep_all
    every = 1 if every_step else CHECK_EVERY
    measure = rules.tol > 0
    tol_stop = rules.tol if measure else -1.0
    with np.errstate(all="ignore"):
        g = grad(X)
        gnorm = _norms(g, sign, X, box)
        f = _values(value, X, count)
        sf = f if sign > 0 else -f
        runs = _Runs(np.isfinite(sf) & np.isfinite(gnorm), rules.max_iter)
        if not measure:
            del gnorm
        best_sf = np.where(runs.active, sf, np.inf)  # each start's best (signed) value so far
        start_scale = np.abs(sf)
        np.maximum(start_scale, 1.0, out=start_scale)
        if keep_all:
            history_fun.append(f.copy())
        if not every_step:
            del f, sf  # no step reads f: it is evaluated again only where divergence is checked
            sf = None
        state = step.init(X, problem)
        for it in range(1, rules.max_iter + 1):
            if measure:
                runs.stop(runs.active & (gnorm <= tol_stop), CONVERGED, it - 1)
            if not runs.all_active and not runs.active.any():
                break
            if deadline is not None and time.perf_counter() > deadline:
                runs.stop(runs.active.copy(), TIME, it - 1)
                break
            gs = g if sign > 0 else -g
            del g  # the gradient's buffer is released as soon as the step has used it
            u, state = step.update(gs, state, X, sf, gs)
            del gs
            moved = _move(X, u, box, None if runs.all_active else runs.active, rules.xtol > 0)
            del u
            if moved is not None:
                runs.stop(runs.active & (_norms(moved, 1.0, X, None) <= rules.xtol), XTOL, it)
                del moved
            if it % every == 0 or it == rules.max_iter:
                f_new = _values(value, X, count)
                if every_step and not runs.all_active:
                    f_new = np.where(runs.active, f_new, f)  # a frozen start keeps its value
                sf_old, f = sf, f_new
                sf = f if sign > 0 else -f
                np.minimum(best_sf, sf, out=best_sf)
                diverged = _diverged(sf, best_sf, start_scale)
                if diverged is not None:
                    runs.stop(runs.active & diverged, DIVERGED, it)
                    del diverged
                if rules.ftol:
                    scale = np.maximum(1.0, np.maximum(np.abs(sf), np.abs(sf_old)))
                    runs.stop(runs.active & (np.abs(sf - sf_old) <= rules.ftol * scale), FTOL, it)
                if keep_all:
                    history_x.append(X.copy())
                    history_fun.append(f.copy())
                del sf_old
                if not every_step:
                    del f, f_new, sf
                    sf = None
            # a frozen start's gradient is recomputed at the same point: the same value
            g = grad(X)
            if measure:
                gnorm = _norms(g, sign, X, box)
        else:
            it = rules.max_iter + 1
            if measure:
                runs.stop(runs.active & (_norms(g, sign, X, box) <= tol_stop), CONVERGED, rules.max_iter)
        del g, best_sf, start_scale
        f = _values(value, X, count)  # at every end point: a start may have stopped between evaluations

    starts = Starts(
        x0=X0,
        x=X,
        fun=f,
        status=runs.status(),
        nit=runs.nit(it - 1 if rules.max_iter else 0),
        history_x=np.array(history_x) if keep_all else None,
        history_fun=np.array(history_fun) if keep_all else None,
    )
    object.__setattr__(starts, "_codes", runs.codes())  # frozen: set once, here
    return starts


#: The statuses a start can end with, by their code in `_Runs`.
_STATUSES = (MAX_ITER, CONVERGED, XTOL, FTOL, DIVERGED, TIME, UNDEFINED)
_CODES = {name: code for code, name in enumerate(_STATUSES)}
_SUCCESS = np.isin(np.array(_STATUSES, dtype=object), [CONVERGED, XTOL, FTOL])  # by code


class _Runs:
    """Which starts still run, and for the others why and at which step they stopped: one
    byte and one int32 a start, allocated at the first stop (the names are looked up only
    at the end)."""

    def __init__(self, defined: Array, max_iter: int):
        self.active = defined
        self.all_active = bool(defined.all())  # kept up to date by every stop, to spare a reduction per step
        self._int = np.int32 if max_iter < 2**31 else np.int64
        self._code = self._stopped_at = None
        if not self.all_active:
            self._record(~defined, UNDEFINED, -1)  # stopped before the first step, counted as running to the end

    def stop(self, mask: Array, why: str, step: int) -> bool:
        """Freeze the starts in ``mask``: they stopped at ``step`` for reason ``why``. Did any?"""
        if not mask.any():
            return False
        self._record(mask, why, step)
        self.active &= ~mask
        self.all_active = False
        return True

    def _record(self, mask: Array, why: str, step: int) -> None:
        if self._code is None:
            self._code = np.zeros(mask.size, dtype=np.int8)  # _STATUSES[0] = MAX_ITER
            self._stopped_at = np.full(mask.size, -1, dtype=self._int)  # -1: not stopped
        self._code[mask] = _CODES[why]
        self._stopped_at[mask] = step

    def status(self) -> Array:
        """The status names, shared strings (8 bytes a start)."""
        if self._code is None:
            status = np.empty(self.active.size, dtype=object)
            status.fill(MAX_ITER)  # one shared string (np.full would make a copy a start)
            return status
        return np.array(_STATUSES, dtype=object)[self._code]

    def codes(self) -> Array:
        """The status codes (int8), MAX_ITER's for the starts that never stopped."""
        return np.zeros(self.active.size, dtype=np.int8) if self._code is None else self._code

    def nit(self, last: int) -> Array:
        """The step each start stopped at; ``last`` for those that ran to the end (or never started)."""
        if self._stopped_at is None:
            return np.full(self.active.size, last)
        nit = self._stopped_at.astype(int)
        nit[nit < 0] = last
        return nit


def _move(X: Array, u: Array, box, active: Array | None, want_moved: bool) -> Array | None:
    """``X += u`` in place, projected into the box, only where ``active`` (None: everywhere).
    Returns how far each start moved when ``want_moved`` (for xtol)."""
    if box is None and active is None:
        X += u
        return u if want_moved else None
    new = X + u
    if box is not None:
        np.clip(new, *box, out=new)
    moved = None
    if want_moved:
        moved = new - X
    if active is None:
        X[...] = new
    else:
        np.copyto(X, new, where=active)
    return moved


def _diverged(sf: Array, best_sf: Array, start_scale: Array) -> Array | None:
    """Starts whose f grew more than GROWTH_LIMIT times past its best (nan and +inf too),
    or fell below -GROWTH_LIMIT² times its start scale (taken as unbounded below); None if none did.

    The limits are at least GROWTH_LIMIT and at most -GROWTH_LIMIT² (the scale is at least
    1), so two reductions clear the usual case; the full test runs block by block, so that
    its temporaries stay small."""
    if sf.size == 0 or (np.max(sf - best_sf) <= GROWTH_LIMIT and np.min(sf) >= -(GROWTH_LIMIT**2)):  # nan fails
        return None
    diverged = np.empty(sf.shape, dtype=bool)
    for block in _blocks(sf.size):
        s, best, scale = sf[block], best_sf[block], start_scale[block]
        limit = np.abs(best)
        np.maximum(limit, scale, out=limit)
        limit *= GROWTH_LIMIT
        sane = s - best <= limit
        np.multiply(scale, -(GROWTH_LIMIT**2), out=limit)  # the floor
        sane &= s >= limit
        np.logical_not(sane, out=diverged[block])
    return diverged


#: Starts per block where per-start bookkeeping is computed block by block.
BLOCK = 2**14


def _blocks(count: int):
    return (slice(start, start + BLOCK) for start in range(0, count, BLOCK))


def _values(value: Callable[[Array], Array], X: Array, count: int) -> Array:
    return np.broadcast_to(np.asarray(value(X), dtype=float), (count,))


def _norms(g: Array, sign: float, X: Array, box) -> Array:
    if box is not None:
        g = X - np.clip(X - sign * g, *box)
    norms = np.sum(g * g, axis=0)
    return np.sqrt(norms, out=norms)


def random_starts(n: int, count: int, low: Array, high: Array, seed: int | None) -> Array:
    """``count`` starts drawn uniformly from the box [low, high] (shape (n, count)), reproducible by ``seed``."""
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 1:
        raise ArgumentError(f"restarts must be a positive integer, not {count!r}")
    low, high = np.broadcast_to(np.asarray(low, float), (n,)), np.broadcast_to(np.asarray(high, float), (n,))
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(low <= high)):
        raise ArgumentError("the domain for the starts must be finite, with lo <= hi for every variable")
    starts = np.random.default_rng(seed).random((n, count))
    starts *= (high - low)[:, None]  # in place: low + (high - low) * u, with no temporary
    starts += low[:, None]
    return starts


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
