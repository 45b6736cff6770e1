"""`minimize` and `maximize`: a formula in, a `Result` out.

>>> res = minimize("x**2 - 8*x + 4", x0=10, lr=0.2)
>>> res.status, res.x.round(6).tolist(), round(res.fun, 6)
('converged', [4.0], -12.0)
>>> maximize("100*l - l**2", x0=57, lr=0.1).x.round(6).tolist()
[50.0]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import sympy

from .engine import IntermediateResult, descend
from .objective import Objective, Point
from .optimizers import GradientTransformation, get_optimizer
from .result import Result


def as_objective(
    fun: str | sympy.Expr | Objective,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
) -> Objective:
    """``fun`` itself if it is an `Objective`, else a new one built from it."""
    if isinstance(fun, Objective):
        if variables is not None and tuple(variables) != fun.variables:
            return Objective(fun.expr, variables, constants, limits=fun.limits)
        if constants:
            return Objective(fun.expr, variables, constants, limits=fun.limits)
        return fun
    return Objective(fun, variables, constants)


def minimize(
    fun: str | sympy.Expr | Objective,
    x0: Point | None = None,
    *,
    lr: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-8,
    optimizer: str | GradientTransformation = "gd",
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    callback: Callable[[IntermediateResult], object] | None = None,
    maximize: bool = False,
    **options,
) -> Result:
    """Minimise a formula by gradient descent on its exact, compiled gradient.

    Parameters
    ----------
    fun
        A formula string, a sympy expression or an `Objective`.
    x0
        Start point: a number (one variable), a sequence in variable order or
        a mapping ``{"x": 1, "y": 2}``. Default: 1.0 for every variable.
    lr
        Learning rate (step size).
    max_iter
        Most iterations; with ``tol=0`` exactly this many are run.
    tol
        Stop once the gradient's Euclidean norm is at most ``tol``.
    optimizer
        Name of the step rule (``"gd"``) or a `GradientTransformation`.
    variables, constants
        As for `Objective`.
    callback
        ``callback(intermediate_result)`` after each step; raise
        ``StopIteration`` to stop the run.
    maximize
        Climb instead (see `maximize`).
    **options
        Further options of the optimizer.
    """
    obj = as_objective(fun, variables, constants)
    if isinstance(optimizer, str):
        options = {"lr": lr, **options}
    step = get_optimizer(optimizer, **options)
    res = descend(
        obj.compiled_value,
        obj.compiled_grad,
        obj.point(x0),
        step,
        max_iter=max_iter,
        tol=tol,
        maximize=maximize,
        callback=callback,
        variables=obj.variables,
    )
    return _note_corner(obj, res)


def _note_corner(obj: Objective, res: Result) -> Result:
    """Say once if the run stood on a corner of f, where it used a subgradient."""
    i = obj.first_corner(res.history.x.T)
    if i is None:
        return res
    where = ", ".join(f"{name} = {v:.6g}" for name, v in zip(obj.variables, res.history.x[i]))
    note = (
        f" Note: at iteration {i} ({where}) f has a corner (abs, max or min), where the gradient is undefined;"
        " a subgradient was used there."
    )
    return dataclasses.replace(res, message=res.message + note)


def maximize(fun: str | sympy.Expr | Objective, x0: Point | None = None, **kwargs) -> Result:
    """Maximise a formula by gradient ascent; the same arguments as `minimize`."""
    return minimize(fun, x0, maximize=True, **kwargs)
