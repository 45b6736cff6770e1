"""Stage 3: sympy expressions -> vectorised numpy callables, compiled once.

Each callable takes one point, an array of shape ``(n,)``, or ``k`` points at
once, an array of shape ``(n, k)``; constants are broadcast to the points.

>>> import numpy as np, sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> f = compile_vector((x, y), (2*x + y, sympy.Integer(3)))
>>> f(np.array([1.0, 2.0]))
array([4., 3.])
>>> f(np.array([[1.0, 2.0], [0.0, 1.0]]))
array([[2., 5.],
       [3., 3.]])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter

from .limits import DEFAULT_LIMITS, Limits, guarded
from .parse import constant_parts

Array = np.ndarray


# Exact numbers beyond float precision are printed as floats: Python would
# otherwise carry huge integers through every call, or overflow converting them.
_EXACT_LIMIT = 2**53


def _as_floats(expr: sympy.Expr) -> sympy.Expr:
    """Constant parts folded to floats before printing: faster code, and no detours
    (numpy's printer writes cosh(1/400) as a complex cosine), no huge exact integers."""
    constants = {part: sympy.Float(part.evalf(17), 17) for part in constant_parts(expr)}
    expr = expr.xreplace(constants) if constants else expr
    big = {a: sympy.Float(a, 17) for a in expr.atoms(sympy.Rational) if max(abs(a.p), a.q) > _EXACT_LIMIT}
    return expr.xreplace(big) if big else expr


def as_product(printer, expr: sympy.Pow) -> str | None:
    """A small integer power as a product, for any printer: ``x*x*x`` for ``x**3`` and
    ``(1 - x)*(1 - x)`` for the square of a short sum; None for other powers. A product is
    one rounding per factor where a power routine is a call (numpy's general one is many
    times slower), and every compiled form prints powers the same way, so all agree."""
    base, n = expr.base, expr.exp
    if base.is_Symbol and n.is_Integer and 2 <= abs(n) <= 8:
        product = "*".join([printer._print(base)] * int(abs(n)))
        return f"({product})" if n > 0 else f"(1/({product}))"
    if n == 2 and sympy.count_ops(base) <= 2:
        factor = printer.parenthesize(base, 1000)
        return f"({factor}*{factor})"
    return None


class _Printer(NumPyPrinter):
    """numpy code with small integer powers as products (`as_product`)."""

    def _print_Pow(self, expr, rational=False):
        return as_product(self, expr) or super()._print_Pow(expr, rational=rational)


def _printer() -> _Printer:
    # the settings lambdify gives its own numpy printer
    return _Printer(
        {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True, "user_functions": {}}
    )


def _fewer_operations(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """A polynomial in Horner form where that takes fewer operations (x³/250 − 9x²/100 + x/5 + 1
    becomes x(x(x/250 − 9/100) + 1/5) + 1: 6 array operations instead of 9).

    Only polynomials in one variable: sympy's multivariate Horner scheme takes
    seconds on a few hundred terms, and cse already shares their products."""
    if expr.is_Atom or len(expr.free_symbols & set(symbols)) != 1 or not expr.is_polynomial(*symbols):
        return expr
    if any(p.exp > 32 for p in expr.atoms(sympy.Pow) if p.exp.is_Integer):
        return expr  # Horner's scheme on x**(10**20) would never end
    nested = sympy.horner(expr, *symbols)
    return nested if sympy.count_ops(nested) < sympy.count_ops(expr) else expr


def lambdify_list(
    symbols: Sequence[sympy.Symbol],
    exprs: Sequence[sympy.Expr],
    limits: Limits = DEFAULT_LIMITS,
    *,
    known: Mapping[sympy.Expr, sympy.Symbol] | None = None,
) -> Callable:
    """``f(X) -> list`` of the expressions' values at ``X`` (rows = variables).

    Variables are renamed first (`variable_names`), so a variable called ``lambda``,
    ``sin`` or ``beta`` can neither break nor steer the generated code.
    ``X`` may also be a list with one entry per variable, numbers or arrays.

    ``known`` maps subexpressions to variables (among ``symbols``) that carry
    their values, computed beforehand. A common subexpression that is one of
    them is read from its variable instead of computed; the code is otherwise
    the same as without ``known``, so the values are too.

    >>> x, a, e = sympy.symbols("x a e")
    >>> f = lambdify_list([a, x, e], [a * sympy.exp(-x**2) + x, sympy.exp(-x**2)], known={sympy.exp(-x**2): e})
    >>> f([2.0, 3.0, 5.0])  # exp(-x²) is read from e
    [13.0, 5.0]
    """
    with guarded("compiling the formula", limits):
        names, renamed = prepared(symbols, exprs)
        cse = common_subexpressions
        if known:
            rename = dict(zip(symbols, names))
            cse = _cse_reading({_as_floats(e.xreplace(rename)): rename[s] for e, s in known.items()})
        return sympy.lambdify([names], renamed, modules="numpy", printer=_printer(), cse=cse, docstring_limit=0)


def variable_names(n: int) -> list[sympy.Symbol]:
    """The names compiled code gives the variables, ``x_0, x_1, ...``: every variable of a
    formula is renamed before printing, so its own names never reach the code, and every
    compiled form orders its sums and products the same way."""
    return [sympy.Symbol(f"x_{j}", real=True) for j in range(n)]


def prepared(symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]) -> tuple[list, list[sympy.Expr]]:
    """``(names, exprs)``: the expressions in `variable_names`, ready to print (Horner form for
    polynomials, constants folded). Every compiled form starts here, so all print the same."""
    names = variable_names(len(symbols))
    rename = dict(zip(symbols, names))
    return names, [_as_floats(_fewer_operations(e, symbols).xreplace(rename)) for e in exprs]


def common_subexpressions(exprs: Sequence[sympy.Expr]):
    """``(replacements, reduced)`` as `sympy.cse` gives them, named ``c_0, c_1, ...``: the one
    choice every compiled form shares, so that all compute with the same operations.

    (sympy's ``"basic"`` optimizations were tried: they factor Rosenbrock's gradient into
    the hand-written form, but undo the Horner form of polynomials, hide the parts of a
    model that depend on the data alone, and take seconds on formulas of a few hundred terms.)"""
    return sympy.cse(exprs, symbols=sympy.numbered_symbols("c_"), list=False)


def common_parts(
    symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr], without: Sequence[sympy.Symbol]
) -> list[sympy.Expr]:
    """The common subexpressions that `lambdify_list` computes for ``exprs``, in the
    variables alone, that depend on none of ``without`` (and on some variable).

    >>> a, b, x = sympy.symbols("a b x")
    >>> common_parts([a, b, x], [a * sympy.exp(-x**2) + b, sympy.exp(-x**2)], without=[a, b])
    [exp(-x**2)]
    """
    names, renamed = prepared(symbols, exprs)
    original, without = dict(zip(names, symbols)), set(without)
    found = []
    for _, _, expanded in _expanded(common_subexpressions(renamed)[0]):
        part = expanded.xreplace(original)
        if part.free_symbols and not part.free_symbols & without:
            found.append(part)
    return found


def _expanded(replacements):
    """``(symbol, value, expanded)`` for each common subexpression: its value as cse gives it,
    and in the variables alone."""
    full = {}
    for symbol, value in replacements:
        full[symbol] = expanded = value.xreplace(full)
        yield symbol, value, expanded


def _cse_reading(known: dict[sympy.Expr, sympy.Symbol]) -> Callable:
    """sympy's common subexpressions, each one in ``known`` replaced by its variable."""

    def cse(exprs):
        replacements, reduced = common_subexpressions(exprs)
        # a bare variable would be inlined by lambdify, reordering the sums it appears in
        out = [
            (symbol, sympy.UnevaluatedExpr(known[expanded]) if expanded in known else value)
            for symbol, value, expanded in _expanded(replacements)
        ]
        return out, reduced

    return cse


def compile_scalar(
    symbols: Sequence[sympy.Symbol], expr: sympy.Expr, limits: Limits = DEFAULT_LIMITS
) -> Callable[[Array], float | Array]:
    """``f(x) -> float`` for ``x`` of shape (n,), ``-> ndarray (k,)`` for shape (n, k)."""
    raw = lambdify_list(symbols, [expr], limits)

    def value(x: Array):
        (result,) = raw(x)
        if x.ndim == 1:
            return float(result)
        result = np.asarray(result, dtype=float)
        return result if result.shape == x.shape[1:] else np.full(x.shape[1:], result)

    return value


def compile_vector(
    symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr], limits: Limits = DEFAULT_LIMITS
) -> Callable[[Array], Array]:
    """``f(x) -> ndarray (m,)`` for ``x`` of shape (n,), ``-> (m, k)`` for shape (n, k)."""
    raw = lambdify_list(symbols, exprs, limits)
    m = len(exprs)

    def vector(x: Array) -> Array:
        parts = raw(x)
        if x.ndim == 1:
            return np.array(parts, dtype=float)
        if m == 1 and np.shape(parts[0]) == x.shape[1:]:
            return np.asarray(parts[0], dtype=float)[None]  # a view: no copy of the one row
        out = np.empty((m, *x.shape[1:]))
        for row, part in zip(out, parts):
            row[...] = part  # broadcasts constant components
        return out

    return vector
