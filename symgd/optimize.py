"""`minimize` and `maximize`: a formula in, a `Result` out.

>>> res = minimize("x**2 - 8*x + 4", x0=10, lr=0.2)
>>> res.status, res.x.round(6).tolist(), round(res.fun, 6)
('converged', [4.0], -12.0)
>>> maximize("100*l - l**2", x0=57, lr=0.1).x.round(6).tolist()
[50.0]
>>> minimize("(x^2 - 1)^2", restarts=20, domain=(-2, 2), seed=0, lr=0.05).minima[0].count > 0
True
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy

from . import kernel
from .engine import IntermediateResult, descend
from .errors import ArgumentError, LearningRateWarning, SymgdError
from .multistart import descend_many, group_minima, random_starts
from .objective import Objective, Point
from .optimizers import GradientTransformation, default_learning_rate, get_optimizer
from .result import DIVERGED, MAX_ITER, Result
from .sweep import LearningRateSweep

#: Where the starts of a multi-start run are drawn when neither ``domain`` nor finite ``bounds`` say.
DEFAULT_DOMAIN = (-10.0, 10.0)


def as_objective(
    fun: str | sympy.Expr | Objective,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
) -> Objective:
    """``fun`` itself if it is an `Objective`, else a new one built from it."""
    if isinstance(fun, Objective):
        if (variables is not None and tuple(variables) != fun.variables) or constants:
            return Objective(fun.expr, variables, constants, limits=fun.limits)
        return fun
    return Objective(fun, variables, constants)


def minimize(
    fun: str | sympy.Expr | Objective,
    x0: Point | None = None,
    *,
    lr: float | Callable[[int], float] | Sequence[float] | None = None,
    max_iter: int = 1000,
    tol: float = 1e-8,
    optimizer: str | GradientTransformation = "gd",
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    callback: Callable[[IntermediateResult], object] | None = None,
    maximize: bool = False,
    line_search: bool = False,
    clip: float | None = None,
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
    xtol: float = 0.0,
    ftol: float = 0.0,
    max_time: float | None = None,
    restarts: int | None = None,
    domain: tuple[float, float] | Sequence[tuple[float, float]] | None = None,
    seed: int | None = None,
    keep_history: str = "best",
    backend: str = "auto",
    **options,
) -> Result | LearningRateSweep:
    """Minimise a formula by gradient descent (or another optimizer) on its exact, compiled gradient.

    Parameters
    ----------
    fun
        A formula string, a sympy expression or an `Objective`.
    x0
        Start point: a number (one variable), a sequence in variable order or
        a mapping ``{"x": 1, "y": 2}``. Default: 1.0 for every variable.
    lr
        Learning rate: a number, a schedule ``count -> rate``
        (`symgd.schedules`), or a list of numbers to compare them (returns a
        `LearningRateSweep`). Default: the optimizer's own (0.1 for
        ``"gd"``, 0.01 for momentum, 0.001 for the adam family, 1 for newton).
    max_iter, tol, xtol, ftol, max_time
        Stopping rules (see `symgd.descend`).
    optimizer
        ``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
        ``"rmsprop"``, ``"adam"``, ``"amsgrad"``, ``"adamw"``, ``"newton"``,
        or a `GradientTransformation`; its hyper-parameters go in
        ``**options`` (``beta1=0.9``, ``damping=1e-6`` ...).
    line_search
        Backtracking (Armijo) line search, for ``gd`` and ``newton``.
    clip
        Clip each step's gradient to this norm.
    bounds
        ``[(lo, hi), ...]`` per variable; iterates are projected into the box.
    restarts, domain, seed, keep_history
        Multi-start: run ``restarts`` starts at once, drawn uniformly from
        ``domain`` (a ``(lo, hi)`` for every variable or one pair per
        variable; default: finite ``bounds``, else (-10, 10)) with ``seed``;
        ``x0``, if given, is the first start. The result is the best run,
        with ``starts`` and ``minima``; its trace is replayed alone unless
        ``keep_history="all"`` keeps every start's.
    variables, constants
        As for `Objective`.
    callback
        ``callback(intermediate_result)`` after each step; raise
        ``StopIteration`` to stop the run.
    maximize
        Climb instead (see `maximize`).
    backend
        ``"python"``: the descent loop generated for this formula and step
        rule, run by CPython (`symgd.kernel`; the general engine where a
        loop cannot be generated: line search, newton, callbacks, functions
        outside the math module). ``"numba"``: the same loop compiled to
        machine code, cached on disk, multi-start in parallel (``pip install
        symgd[fast]``). ``"auto"``: numba when it is installed and the run is
        long enough to repay compiling (or already compiled), else python.
    """
    obj = as_objective(fun, variables, constants)
    if isinstance(lr, (list, tuple, np.ndarray)):
        runs = {}
        for rate in _rates(lr):
            runs[rate] = minimize(
                obj, x0, lr=rate, max_iter=max_iter, tol=tol, optimizer=optimizer, callback=callback,
                maximize=maximize, line_search=line_search, clip=clip, bounds=bounds, xtol=xtol, ftol=ftol,
                max_time=max_time, restarts=restarts, domain=domain, seed=seed, keep_history=keep_history,
                backend=backend, **options,
            )  # fmt: skip
        return LearningRateSweep(runs)
    step = _build_step(optimizer, lr, line_search, clip, options)
    hess = _lazy_hessian(obj)
    rules = {"max_iter": max_iter, "tol": tol, "xtol": xtol, "ftol": ftol, "max_time": max_time, "bounds": bounds}
    if restarts is not None:
        return _multistart(obj, step, hess, x0, restarts, domain, seed, keep_history, maximize, rules, backend)
    start = obj.point(x0)
    runner = kernel.choose_backend(
        backend, obj, step, callback=callback, maximize=maximize, rules=rules, work=float(max_iter) * obj.n
    )
    if runner == "engine":
        _ = obj.compiled_value, obj.compiled_grad  # what the run needs, before the optional check below
    if optimizer == "gd" and not line_search and not callable(lr):
        # spends what is left of the formula's time budget on the Hessian, if it can
        _check_learning_rate(obj, start, default_learning_rate("gd") if lr is None else float(lr))
    return _note_corner(obj, _descend(runner, obj, start, step, hess, maximize, rules, callback))


def _descend(runner: str, obj: Objective, start, step, hess, maximize: bool, rules: dict, callback=None) -> Result:
    """One run, by the generated loop (``runner`` "python" or "numba") or by the general engine."""
    if runner != "engine":
        return kernel.descend(obj, start, step, backend=runner, maximize=maximize, **rules)
    return descend(
        obj.compiled_value, obj.compiled_grad, start, step, hess=hess, maximize=maximize, callback=callback,
        variables=obj.variables, **rules,
    )  # fmt: skip


def maximize(fun: str | sympy.Expr | Objective, x0: Point | None = None, **kwargs) -> Result | LearningRateSweep:
    """Maximise a formula by gradient ascent; the same arguments as `minimize`."""
    return minimize(fun, x0, maximize=True, **kwargs)


def _rates(lr: Sequence[float]) -> list[float]:
    try:
        rates = [float(rate) for rate in lr]
    except (TypeError, ValueError):
        raise ArgumentError(f"lr must be a number or a list of numbers, not {lr!r}") from None
    if not rates:
        raise ArgumentError("lr=[] names no learning rate to compare")
    if len(set(rates)) != len(rates):
        raise ArgumentError(f"lr names the same rate twice: {rates}")
    return rates


def _build_step(optimizer, lr, line_search: bool, clip, options: dict) -> GradientTransformation:
    if not isinstance(optimizer, str):
        if line_search or clip:
            raise ArgumentError("line_search and clip are options of a named optimizer; add them to your own chain")
        return get_optimizer(optimizer, **options)
    extra = {} if lr is None else {"lr": lr}
    if line_search:
        extra["line_search"] = True
    if clip:
        extra["clip"] = clip
    try:
        return get_optimizer(optimizer, **extra, **options)
    except ArgumentError as error:
        if line_search and "line_search" in str(error):
            raise ArgumentError(f"the line search works with 'gd' and 'newton', not {optimizer!r}") from None
        raise


def _lazy_hessian(obj: Objective) -> Callable:
    """The compiled Hessian, derived and compiled on its first call only (for the steps that use it)."""
    return lambda x: obj.compiled_hess(x)


def learning_rate_limit(obj: Objective, x: np.ndarray) -> tuple[float, bool] | None:
    """The largest stable plain-GD learning rate 2/λmax, and whether it is exact.

    For a quadratic function the Hessian is constant and the limit exact;
    otherwise it is the Hessian's at ``x``, a local estimate. None where
    there is no positive curvature (or the Hessian is too costly to get).

    >>> learning_rate_limit(Objective("x^2 - 8x + 4"), np.array([0.0]))
    (1.0, True)
    """
    try:
        exact = all(entry.is_number for entry in obj.hessian)
        with np.errstate(all="ignore"):
            H = obj.hess(x)
    except SymgdError:
        return None
    if H.size == 0 or not np.all(np.isfinite(H)):
        return None
    largest = float(np.max(np.linalg.eigvalsh(H)))
    return (2.0 / largest, exact) if largest > 0 else None


def _check_learning_rate(obj: Objective, x: np.ndarray, lr: float) -> None:
    limit = learning_rate_limit(obj, x)
    if limit is None or lr <= limit[0]:
        return
    bound, exact = limit
    if exact:
        message = (
            f"lr = {lr:g} exceeds 2/λmax = {bound:.6g}, the largest stable learning rate for this quadratic "
            f"function: plain gradient descent will overshoot and diverge; use lr < {bound:.6g}"
        )
    else:
        message = (
            f"lr = {lr:g} exceeds 2/λmax = {bound:.6g} of the Hessian at the start point: gradient descent is "
            "likely to overshoot there (a local estimate: the curvature changes elsewhere)"
        )
    warnings.warn(message, LearningRateWarning, stacklevel=4)


def _multistart(obj, step, hess, x0, restarts, domain, seed, keep_history, maximize, rules, backend) -> Result:
    if keep_history not in ("best", "all"):
        raise ArgumentError(f"keep_history must be 'best' or 'all', not {keep_history!r}")
    low, high = _start_domain(obj, domain, rules["bounds"])
    X0 = random_starts(obj.n, restarts, low, high, seed)
    if x0 is not None:
        X0[:, 0] = obj.point(x0)
    work = float(rules["max_iter"]) * obj.n
    keep_all = keep_history == "all"
    batch = kernel.choose_backend(
        backend, obj, step, maximize=maximize, rules=rules, work=work * restarts, batch=True, keep_all=keep_all
    )
    if batch == "numba":
        starts = kernel.descend_many(obj, X0, step, maximize=maximize, **rules)
    else:
        starts = descend_many(
            obj.compiled_value, obj.compiled_grad, X0, step, hess=hess, maximize=maximize, keep_all=keep_all, **rules
        )
    signed = np.where(np.isfinite(starts.fun), -starts.fun if maximize else starts.fun, np.inf)
    ranked = np.where(starts.success, signed, np.inf)
    best = int(np.argmin(ranked)) if np.isfinite(ranked).any() else int(np.argmin(signed))
    runner = (
        batch
        if batch == "numba"
        else kernel.choose_backend(backend, obj, step, maximize=maximize, rules=rules, work=work)
    )
    res = _descend(runner, obj, X0[:, best], step, hess, maximize, rules)
    minima = group_minima(starts, maximize)
    kind = "maxima" if maximize else "minima"
    message = (
        f"{res.message} Best of {restarts} starts (start {best}); {len(minima)} distinct {kind} found; "
        f"{int(starts.success.sum())} starts converged, {int(np.sum(starts.status == MAX_ITER))} ran out of "
        f"iterations, {int(np.sum(starts.status == DIVERGED))} diverged."
    )
    return _note_corner(obj, dataclasses.replace(res, message=message, starts=starts, minima=minima))


def _start_domain(obj: Objective, domain, bounds) -> tuple[np.ndarray, np.ndarray]:
    n = obj.n
    if domain is None and bounds is not None:
        lo, hi = np.array([[-np.inf if a is None else a, np.inf if b is None else b] for a, b in bounds], float).T
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            return lo, hi
    if domain is None:
        domain = DEFAULT_DOMAIN
    try:
        pairs = np.array(domain, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"domain must be (lo, hi) or one (lo, hi) per variable, not {domain!r}") from None
    if pairs.shape == (2,):
        pairs = np.tile(pairs, (n, 1))
    if pairs.shape != (n, 2):
        raise ArgumentError(f"domain must be (lo, hi) or {n} pairs (lo, hi), not {domain!r}")
    return pairs[:, 0], pairs[:, 1]


def _note_corner(obj: Objective, res: Result) -> Result:
    """The result, knowing its objective; it says once if the run stood on a corner of f (a subgradient)."""
    res = dataclasses.replace(res, objective=obj)
    i = obj.first_corner(res.history.x.T)
    if i is None:
        return res
    where = ", ".join(f"{name} = {v:.6g}" for name, v in zip(obj.variables, res.history.x[i]))
    note = (
        f" Note: at iteration {i} ({where}) f has a corner (abs, max or min), where the gradient is undefined;"
        " a subgradient was used there."
    )
    return dataclasses.replace(res, message=res.message + note)
