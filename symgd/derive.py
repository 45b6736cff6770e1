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

# Derivatives of these are point masses (DiracDelta), zero wherever they are
# defined: dropping them makes abs, max and min differentiable by their
# subgradients (sign(0) = 0, Heaviside(0) = 1/2).
_STEPS = (sympy.sign, sympy.Heaviside)


def differentiate(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """d expr / d symbol, almost everywhere.

    The sum, product, power and chain rules applied once per distinct
    subexpression (memoised, so shared subtrees are differentiated once), and
    each product differentiated only in its factors that depend on ``symbol``.
    sympy's own ``diff`` does the same mathematics but costs O(n²) on a
    product of n factors (7 s for 50 symbols); the result is checked against
    it in the tests.

    >>> x, y = sympy.symbols("x y", real=True)
    >>> differentiate(x**2 * sympy.sin(y) + sympy.Abs(x), x)
    2*x*sin(y) + sign(x)
    """
    depends: dict[sympy.Basic, bool] = {}
    derivatives: dict[sympy.Basic, sympy.Expr] = {}

    def has_symbol(e: sympy.Basic) -> bool:
        if e not in depends:
            depends[e] = e == symbol or any(has_symbol(a) for a in e.args)
        return depends[e]

    def d(e: sympy.Expr) -> sympy.Expr:
        if not has_symbol(e):
            return sympy.S.Zero
        if e in derivatives:
            return derivatives[e]
        args = e.args
        if e == symbol:
            result = sympy.S.One
        elif e.is_Add:
            result = sympy.Add(*[d(a) for a in args])
        elif e.is_Mul:
            result = sympy.Add(
                *[sympy.Mul(*args[:i], d(a), *args[i + 1 :]) for i, a in enumerate(args) if has_symbol(a)]
            )
        elif e.is_Pow:
            base, exponent = args
            if not has_symbol(exponent):
                result = exponent * base ** (exponent - 1) * d(base)
            else:
                result = e * (d(exponent) * sympy.log(base) + exponent * d(base) / base)
        elif isinstance(e, _STEPS):
            result = sympy.S.Zero
        elif isinstance(e, sympy.Function):
            result = sympy.Add(*[e.fdiff(i + 1) * d(a) for i, a in enumerate(args) if has_symbol(a)])
        else:
            result = sympy.diff(e, symbol)
        derivatives[e] = result
        return result

    result = d(expr)
    if result.has(sympy.Derivative, sympy.DiracDelta):
        raise FormulaError(f"symgd cannot differentiate part of the formula: {expr}")
    return check_real(result, "the derivative")


def gradient(
    expr: sympy.Expr, symbols: Sequence[sympy.Symbol], limits: Limits = DEFAULT_LIMITS
) -> tuple[sympy.Expr, ...]:
    """The partial derivatives of ``expr``, one per symbol, in order."""
    with guarded("differentiating the formula", limits):
        return tuple(differentiate(expr, s) for s in symbols)


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
                entries[i, j] = entries[j, i] = differentiate(grad[i], symbols[j])
    return sympy.Matrix(n, n, lambda i, j: entries[i, j])
