"""Stage 2: exact gradient and Hessian of a sympy expression.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> gradient(x**2 + x*y + y**2, (x, y))
(2*x + y, x + 2*y)
>>> hessian(x**2 + x*y + y**2, (x, y))
Matrix([
[2, 1],
[1, 2]])
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from .errors import FormulaError
from .limits import DEFAULT_LIMITS, Limits, guarded
from .parse import check_real


def _almost_everywhere(derivative: sympy.Expr) -> sympy.Expr:
    """Drop point masses: d/dx sign(x) = 2*DiracDelta(x) is 0 wherever it is defined.

    This makes Abs, Max and Min differentiable by their subgradients (sign(0) = 0).
    """
    if derivative.has(sympy.DiracDelta):
        derivative = derivative.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)
    if derivative.has(sympy.Derivative):
        raise FormulaError(
            f"sympy cannot differentiate part of the formula: {derivative.atoms(sympy.Derivative).pop()}"
        )
    return check_real(derivative, "the derivative")


def _diff(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    return _almost_everywhere(sympy.diff(expr, symbol))


def gradient(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], limits: Limits = DEFAULT_LIMITS
) -> tuple[sympy.Expr, ...]:
    """The partial derivatives of ``expr``, one per symbol, in order."""
    with guarded("differentiating the formula", limits):
        return tuple(_diff(expr, s) for s in symbols)


def hessian(
    expr: sympy.Expr,
    symbols: Sequence[sympy.Symbol],
    limits: Limits = DEFAULT_LIMITS,
    grad: Sequence[sympy.Expr] | None = None,
) -> sympy.Matrix:
    """The matrix of second partial derivatives (symmetric; each entry derived once).

    Pass ``grad`` when the gradient is already known, to differentiate it instead of ``expr``.
    """
    grad = gradient(expr, symbols, limits) if grad is None else grad
    n = len(symbols)
    entries: dict[tuple[int, int], sympy.Expr] = {}
    with guarded("computing the Hessian", limits):
        for i in range(n):
            for j in range(i, n):
                entries[i, j] = entries[j, i] = _diff(grad[i], symbols[j])
    return sympy.Matrix(n, n, lambda i, j: entries[i, j])
