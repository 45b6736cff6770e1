"""What a run returns: `Result`, with its `History` (the full trace)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ArgumentError

# Status names. A run that ends for any other reason than these is a bug.
CONVERGED = "converged"  # gradient norm <= tol
MAX_ITER = "max_iter"  # ran out of iterations before reaching tol
DIVERGED = "diverged"  # a non-finite value, or growth past any sensible scale
UNDEFINED = "undefined"  # f or its gradient is not finite at the start point
CALLBACK = "callback"  # the callback raised StopIteration
XTOL = "xtol"  # a step no longer than xtol
FTOL = "ftol"  # f changed by at most ftol (relative)
TIME = "time"  # the wall-clock budget ran out

STATUSES = (CONVERGED, XTOL, FTOL, MAX_ITER, TIME, DIVERGED, UNDEFINED, CALLBACK)


@dataclass(frozen=True)
class History:
    """The trace of a run: row 0 is the start, row ``i`` the state after step ``i``.

    Attributes
    ----------
    x : ndarray (nit + 1, n)
    fun : ndarray (nit + 1,)
    grad : ndarray (nit + 1, n)
    """

    x: np.ndarray
    fun: np.ndarray
    grad: np.ndarray

    def __len__(self) -> int:
        return len(self.fun)

    @property
    def grad_norm(self) -> np.ndarray:
        """Euclidean norm of the gradient at each row."""
        return np.linalg.norm(self.grad, axis=1)


@dataclass(frozen=True)
class Result:
    """The outcome of `symgd.minimize` / `symgd.maximize`.

    Failing to converge is a status, not an exception: check ``success`` and
    read ``message``.

    Attributes
    ----------
    x : ndarray (n,)
        Where the run ended.
    fun : float
        The objective at ``x``.
    grad : ndarray (n,)
        The gradient at ``x``.
    nit : int
        Iterations done (steps taken).
    status : str
        ``"converged"`` (gradient norm <= tol), ``"xtol"``, ``"ftol"``,
        ``"max_iter"``, ``"time"``, ``"diverged"``, ``"undefined"`` (the
        start is outside the domain) or ``"callback"``.
    success : bool
    message : str
        One sentence saying why the run ended.
    variables : tuple of str
    history : History
    best_x, best_fun, best_iter
        The best point seen (lowest ``fun``, or highest when maximising);
        after a divergence it is the one to use.
    maximize : bool
    starts, minima
        Only for multi-start runs (``restarts=N``): every start's start and
        end point, value, status and iterations (`symgd.multistart.Starts`),
        and the distinct minima found, best first, with how many starts
        found each (`symgd.multistart.Minimum`).
    """

    x: np.ndarray
    fun: float
    grad: np.ndarray
    nit: int
    status: str
    success: bool
    message: str
    variables: tuple[str, ...]
    history: History = field(repr=False)
    best_x: np.ndarray = field(repr=False)
    best_fun: float = field(repr=False)
    best_iter: int = field(repr=False)
    maximize: bool = False
    objective: Any = field(default=None, repr=False)  # the Objective minimised (set by symgd.minimize)
    starts: Any = field(default=None, repr=False)  # multistart.Starts, for restarts=N
    minima: Any = field(default=None, repr=False)  # list of multistart.Minimum, best first

    def __repr__(self) -> str:
        lines = [
            f"  message: {self.message}",
            f"  success: {self.success}",
            f"   status: {self.status}",
            f"      fun: {self.fun!r}",
            f"        x: {_point(self.variables, self.x)}",
            f"     grad: {_point(self.variables, self.grad)}",
            f"      nit: {self.nit}",
        ]
        return "Result(\n" + "\n".join(lines) + "\n)"

    def verify(self, objective=None):
        """Where the run stopped, against the exact critical points of the function (by default the
        one `symgd.minimize` ran on; else a formula or `Objective`): the nearest one, its kind and
        the distance (`symgd.calculus.verify`)."""
        from .calculus import verify  # imported here: calculus builds on the modules that build Results

        return verify(self, self._objective(objective))

    def _objective(self, objective):
        if objective is None and self.objective is None:
            raise ArgumentError("this result does not know its function: pass the formula or Objective")
        return self.objective if objective is None else objective

    def plot(self, objective=None, **options):
        """A matplotlib `Figure` of the run (needs ``pip install "symgd[plot]"``).

        With the function (by default the one `symgd.minimize` ran on; else
        pass a formula string or `Objective`) and one or two
        variables: the path drawn on f; otherwise f and the gradient norm
        against iteration. Options go to `symgd.plotting.plot_result`
        (``ranges``, ``surface``, ``optimizer``, ``lr``).
        """
        from .plotting import plot_result

        return plot_result(self, objective if objective is not None else self.objective, **options)

    def to_dict(self) -> dict:
        """Plain Python data (lists, floats; non-finite numbers as None), e.g. for JSON."""
        h = self.history
        extra = {}
        if self.starts is not None:
            extra["starts"] = {
                "x0": _plain(self.starts.x0.T),
                "x": _plain(self.starts.x.T),
                "fun": _plain(self.starts.fun),
                "status": self.starts.status.tolist(),
                "nit": self.starts.nit.tolist(),
            }
            extra["minima"] = [{"x": _plain(m.x), "fun": _plain(m.fun), "count": m.count} for m in self.minima]
        return {
            "variables": list(self.variables),
            "x": _plain(self.x),
            "fun": _plain(self.fun),
            "grad": _plain(self.grad),
            "nit": self.nit,
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "maximize": self.maximize,
            "best": {"x": _plain(self.best_x), "fun": _plain(self.best_fun), "iteration": self.best_iter},
            "history": {"x": _plain(h.x), "fun": _plain(h.fun), "grad": _plain(h.grad)},
            **extra,
        }


def _plain(value):
    array = np.asarray(value, dtype=float)
    return np.where(np.isfinite(array), array, None).tolist()


def _point(names, values) -> str:
    return ", ".join(f"{name}={float(v)!r}" for name, v in zip(names, values))
