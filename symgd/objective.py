"""`Objective`: a formula, its exact derivatives, and their compiled forms, behind one object.

>>> obj = Objective("x**2 + x*y + y**2")
>>> obj.variables
('x', 'y')
>>> obj.gradient
(2*x + y, x + 2*y)
>>> obj.value([1, 2]), obj.grad([1, 2]).tolist()
(7.0, [4.0, 5.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

import numpy as np
import sympy

from . import compiler, derive, kernel
from .errors import ArgumentError, FormulaError
from .limits import DEFAULT_LIMITS, Budget, Limits, guarded
from .parse import Parsed, check_name, check_real, parse, read_constants, with_variables

Array = np.ndarray
Point = Sequence[float] | Mapping[str, float] | Array | float

#: Where a run starts when no start point is given: 1.0 for every variable
#: (0 would sit on the stationary point of many textbook functions, and
#: outside the domain of log, 1/x and sqrt's derivative).
DEFAULT_START = 1.0


class Objective:
    """A real-valued formula in ``n`` variables, with exact gradient and Hessian.

    Everything is derived and compiled once, on first use, and cached.

    Parameters
    ----------
    formula
        A formula string (``"x^2 - 8x + 4"``) or a sympy expression.
    variables
        Variable names in the order wanted; default: all free names, sorted.
    constants
        Names to substitute by numbers (or numeric formula strings).
    limits
        Resource limits for hostile or huge formulas (`symgd.Limits`).

    Points are sequences or arrays of shape (n,), mappings ``{"x": 1, ...}``,
    or a plain number when n = 1; arrays of shape (n, k) are k points at once.
    """

    def __init__(
        self,
        formula: str | sympy.Expr,
        variables: Sequence[str] | None = None,
        constants: Mapping[str, object] | None = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
    ):
        self.limits = limits
        self._budget = Budget(limits.time_budget)
        with self._budget.spend("reading the formula"):
            if isinstance(formula, sympy.Basic):
                parsed = _from_sympy(formula, variables, constants, limits)
            else:
                parsed = parse(formula, variables, constants, limits)
        self.expr: sympy.Expr = parsed.expr
        self.symbols: tuple[sympy.Symbol, ...] = parsed.symbols
        self.variables: tuple[str, ...] = parsed.variables

    def __repr__(self) -> str:
        return f"Objective({str(self.expr)!r}, variables={self.variables!r})"

    @property
    def n(self) -> int:
        """Number of variables."""
        return len(self.symbols)

    # -- exact derivatives (stage 2)
    @cached_property
    def gradient(self) -> tuple[sympy.Expr, ...]:
        """The partial derivatives, one per variable."""
        with self._budget.spend("differentiating the formula"):
            return derive.gradient(self.expr, self.symbols, self.limits)

    @cached_property
    def hessian(self) -> sympy.Matrix:
        """The (symmetric) matrix of second partial derivatives."""
        grad = self.gradient
        with self._budget.spend("computing the Hessian"):
            return derive.hessian(self.expr, self.symbols, self.limits, grad=grad)

    # -- compiled forms (stage 3): take arrays of shape (n,) or (n, k)
    @cached_property
    def compiled_value(self):
        with self._budget.spend("compiling the formula"):
            return compiler.compile_scalar(self.symbols, self.expr, self.limits)

    @cached_property
    def compiled_grad(self):
        grad = self.gradient
        with self._budget.spend("compiling the gradient"):
            return compiler.compile_vector(self.symbols, grad, self.limits)

    @cached_property
    def compiled_hess(self):
        entries = list(self.hessian)
        with self._budget.spend("compiling the Hessian"):
            flat = compiler.compile_vector(self.symbols, entries, self.limits)
        n = self.n
        return lambda x: flat(x).reshape(n, n, *x.shape[1:])

    @cached_property
    def evaluation_code(self) -> str | None:
        """f and its gradient as straight-line Python on floats, for the generated
        descent loops (`symgd.kernel`); None if the formula needs numpy."""
        grad = self.gradient
        with self._budget.spend("compiling the descent loop"):
            return kernel.evaluation_code(self.symbols, self.expr, grad, self.limits)

    @cached_property
    def corners(self) -> tuple[sympy.Expr, ...]:
        """Expressions that vanish where f has a corner (from abs, max, min, relu).

        There the gradient is undefined; the compiled gradient gives a
        subgradient (sign(0) = 0, Heaviside(0) = 1/2).

        >>> Objective("abs(x - 1) + y^2").corners
        (x - 1,)
        """
        found = {atom.args[0] for g in self.gradient for atom in g.atoms(sympy.sign, sympy.Heaviside)}
        return tuple(sorted(found, key=sympy.default_sort_key))

    @cached_property
    def _compiled_corners(self):
        corners = self.corners
        with self._budget.spend("compiling the corners"):
            return compiler.compile_vector(self.symbols, corners, self.limits)

    def first_corner(self, points: Array) -> int | None:
        """Index of the first of ``k`` points (array (n, k)) that lies on a corner of f, or None."""
        if not self.corners:
            return None
        with np.errstate(all="ignore"):
            on_corner = np.any(self._compiled_corners(np.asarray(points, dtype=float)) == 0, axis=0)
        return int(np.argmax(on_corner)) if on_corner.any() else None

    def value(self, p: Point) -> float | Array:
        """f at one point (-> float) or at k points (array (n, k) -> array (k,))."""
        x = self.point(p)
        with np.errstate(all="ignore"):
            return self.compiled_value(x)

    def grad(self, p: Point) -> Array:
        """The gradient: array (n,) at one point, (n, k) at k points."""
        x = self.point(p)
        with np.errstate(all="ignore"):
            return self.compiled_grad(x)

    def hess(self, p: Point) -> Array:
        """The Hessian: array (n, n) at one point, (n, n, k) at k points."""
        x = self.point(p)
        with np.errstate(all="ignore"):
            return self.compiled_hess(x)

    def point(self, p: Point | None) -> Array:
        """``p`` as a float array of shape (n,) or (n, k); ``None`` gives the default start.

        >>> Objective("x + y").point({"y": 2, "x": 1}).tolist()
        [1.0, 2.0]
        """
        n = self.n
        if p is None:
            return np.full(n, DEFAULT_START)
        if isinstance(p, Mapping):
            unknown = sorted(set(p) - set(self.variables))
            missing = [name for name in self.variables if name not in p]
            if unknown or missing:
                problem = f"unknown variable {unknown[0]!r}" if unknown else f"no value for {missing[0]!r}"
                raise ArgumentError(f"{problem}; the variables are {', '.join(self.variables)}")
            p = [p[name] for name in self.variables]
        try:
            x = np.array(p, dtype=float)
        except (TypeError, ValueError):
            raise ArgumentError(f"a point must be numbers, not {p!r}") from None
        if x.ndim == 0 and n == 1:
            x = x.reshape(1)
        if x.ndim not in (1, 2) or x.shape[0] != n:
            raise ArgumentError(
                f"a point needs {n} coordinate{'s' if n != 1 else ''} ({', '.join(self.variables)}), "
                f"got an array of shape {x.shape}; k points at once are an array of shape ({n}, k)"
            )
        return x


def _from_sympy(expr: sympy.Basic, variables, constants, limits: Limits) -> Parsed:
    """A trusted sympy expression: make its symbols real and apply the same rules as `parse`."""
    if not isinstance(expr, sympy.Expr):
        raise FormulaError(f"expected a sympy expression, got {type(expr).__name__}")
    real = {s: sympy.Symbol(check_name(s.name), real=True) for s in expr.free_symbols}
    expr = expr.xreplace(real)
    by_name = {s.name: s for s in real.values()}
    values = read_constants(constants, limits)
    with guarded("reading the formula", limits):
        expr = check_real(expr.xreplace({by_name[name]: value for name, value in values.items() if name in by_name}))
    return with_variables(expr, variables, by_name)
