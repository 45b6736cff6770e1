"""Calculus on formulas: check hand-derived derivatives, find and classify critical points.

>>> check_derivative("x**2 - 8*x + 4", {"x": "2*x - 8"}).ok
True
>>> [(p.kind, p.fun) for p in critical_points("100*l - l**2")]
[('maximum', 2500.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import sympy

from . import compiler
from .errors import ArgumentError, FormulaError, SymgdError
from .limits import DEFAULT_LIMITS, Budget, Limits, guarded, time_budget
from .objective import Objective
from .parse import parse

Formula = str | sympy.Expr | Objective
_RTOL = 1e-9  # relative difference beyond which two values differ
_SAMPLES = 40  # random points at which derivatives are compared


def as_objective(formula: Formula, variables=None, constants=None, limits: Limits = DEFAULT_LIMITS) -> Objective:
    """``formula`` as an `Objective` (an Objective is returned as it is)."""
    if isinstance(formula, Objective):
        return formula
    return Objective(formula, variables, constants, limits=limits)


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) <= _RTOL * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


# ---------------------------------------------------------------- showing derivatives
class Partial(NamedTuple):
    """One partial derivative: ``wrt`` holds one name (first order) or two (second order)."""

    wrt: tuple[str, ...]
    expr: sympy.Expr

    @property
    def label(self) -> str:
        if len(self.wrt) == 1:
            return f"df/d{self.wrt[0]}"
        a, b = self.wrt
        return f"d2f/d{a}2" if a == b else f"d2f/d{a}d{b}"


def derivatives(
    obj: Objective, wrt: Sequence[str] | None = None, hessian: bool = False, simplify: bool = True
) -> list[Partial]:
    """The partial derivatives (and, with ``hessian``, the second ones), simplified within the time budget.

    >>> [(p.label, p.expr) for p in derivatives(Objective("x**2 + x*y + y**2"), hessian=True)]
    [('df/dx', 2*x + y), ('df/dy', x + 2*y), ('d2f/dx2', 2), ('d2f/dxdy', 1), ('d2f/dy2', 2)]
    """
    names = obj.variables
    chosen = list(names) if wrt is None else list(wrt)
    for v in chosen:
        if v not in names:
            raise ArgumentError(f"no variable {v!r}; the variables are {', '.join(names)}")
    rows = [Partial((v,), obj.gradient[names.index(v)]) for v in chosen]
    if hessian:
        for a in range(len(chosen)):
            for b in range(a, len(chosen)):
                i, j = names.index(chosen[a]), names.index(chosen[b])
                rows.append(Partial((chosen[a], chosen[b]), obj.hessian[i, j]))
    budget = Budget(obj.limits.time_budget or 5.0)  # for all the simplifications together
    return [Partial(p.wrt, _simplified(p.expr, budget)) if simplify else p for p in rows]


def _simplified(e: sympy.Expr, budget: Budget) -> sympy.Expr:
    """sympy's simplify, if it finishes within what is left of ``budget`` and does not make e longer."""
    try:
        with budget.spend("simplifying"), guarded("simplifying", Limits(time_budget=None)):
            s = sympy.simplify(e)
    except SymgdError:
        return e
    return s if sympy.count_ops(s) <= sympy.count_ops(e) else e


def show(p: Partial, form: str = "text") -> str:
    """One partial derivative as text, LaTeX or numpy code.

    >>> x = sympy.Symbol("x", real=True)
    >>> show(Partial(("x",), sympy.cos(x)), "code")
    'df_dx = numpy.cos(x)'
    >>> print(show(Partial(("x", "x"), -sympy.cos(x)), "latex"))
    \\frac{\\partial^2 f}{\\partial x^2} = - \\cos{\\left(x \\right)}
    """
    if form == "latex":
        names = [sympy.latex(sympy.Symbol(v)) for v in p.wrt]
        if len(names) == 1:
            head = rf"\frac{{\partial f}}{{\partial {names[0]}}}"
        elif names[0] == names[1]:
            head = rf"\frac{{\partial^2 f}}{{\partial {names[0]}^2}}"
        else:
            head = rf"\frac{{\partial^2 f}}{{\partial {names[0]} \partial {names[1]}}}"
        return f"{head} = {sympy.latex(p.expr)}"
    if form == "code":
        from sympy.printing.numpy import NumPyPrinter

        code = NumPyPrinter({"fully_qualified_modules": True}).doprint(p.expr)
        return f"{p.label.replace('/', '_')} = {code}"
    return f"{p.label} = {p.expr}"


# ---------------------------------------------------------------- checking derivatives
@dataclass(frozen=True)
class DerivativeCheck:
    """The verdict on one hand-derived partial derivative."""

    name: str  # "d/dx", "d2/dx2" or "d2/dxdy"
    given: sympy.Expr
    expected: sympy.Expr
    ok: bool
    counterexample: dict[str, float] | None = None  # a point where they differ
    given_value: float | None = None
    expected_value: float | None = None
    hint: str = ""
    how: str = ""  # how the verdict was reached
    wrt: tuple[str, ...] = ()  # the variables differentiated by

    def __str__(self) -> str:
        if self.ok:
            return f"{self.name}: right ({self.how})"
        where = ", ".join(f"{k}={v:.6g}" for k, v in (self.counterexample or {}).items())
        text = (
            f"{self.name}: wrong; the derivative is {self.expected}. At {where} yours gives "
            f"{self.given_value:.10g} but the true value is {self.expected_value:.10g}"
        )
        return text + (f". Hint: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class DerivativeReport:
    """All verdicts of `check_derivative`: ``.ok``, ``.expected``, ``.counterexample``, ``.checks``."""

    checks: tuple[DerivativeCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def expected(self) -> dict[str, sympy.Expr]:
        """The true derivatives, by name: ``"x"`` for d/dx, ``"x,y"`` for d²/dxdy, ``"x,x"`` for d²/dx²."""
        return {",".join(c.wrt): c.expected for c in self.checks}

    @property
    def counterexample(self) -> dict[str, float] | None:
        """A point where the first wrong derivative differs from the truth; None when all are right."""
        return next((c.counterexample for c in self.checks if not c.ok), None)

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.checks)


def check_derivative(
    expr: Formula,
    grad: Mapping[str, str] | Sequence[str] | str | None = None,
    hessian: Mapping[tuple[str, str], str] | Sequence[Sequence[str]] | None = None,
    *,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    seed: int = 0,
) -> DerivativeReport:
    """Verify hand-derived partial derivatives (and second derivatives) of ``expr``.

    A derivative is right when it equals the true one as a function, however
    it is written: the difference is simplified symbolically (real
    variables, within the time budget) *and* both are evaluated at random
    points; a point where they differ (confirmed in 30-digit arithmetic)
    makes it wrong, whatever simplification says.

    Parameters
    ----------
    expr
        The function, a formula string.
    grad
        The hand derivatives: ``{"x": "2*x + y", ...}``, a sequence in
        variable order, or one string for a function of one variable.
    hessian
        Second derivatives: ``{("x", "y"): "1", ...}`` or a nested sequence (rows).

    >>> report = check_derivative("sin(x)**2", {"x": "sin(2x)"})
    >>> report.ok
    True
    >>> bad = check_derivative("sin(x^2)", "cos(x^2)")
    >>> bad.ok, bad.expected["x"]
    (False, 2*x*cos(x**2))
    >>> print(bad.checks[0].hint)
    a chain-rule factor is missing: multiply by 2*x, the derivative of x**2
    """
    obj = as_objective(expr, variables, constants, limits)
    names = obj.variables
    pairs: list[tuple[tuple[str, ...], str | sympy.Expr, sympy.Expr]] = []
    if isinstance(grad, (str, sympy.Expr)):
        grad = [grad]
    if isinstance(grad, Mapping):
        unknown = sorted(set(grad) - set(names))
        if unknown:
            raise ArgumentError(f"no variable {unknown[0]!r}; the variables are {', '.join(names)}")
        pairs += [((v,), grad[v], obj.gradient[i]) for i, v in enumerate(names) if v in grad]
    elif grad is not None:
        if len(grad) != len(names):
            raise ArgumentError(
                f"expected {len(names)} partial derivatives ({', '.join(names)}), got {len(grad)}: "
                f"give them by name, e.g. {{{', '.join(repr(n) + ': ...' for n in names)}}} "
                f'(on the command line --grad "{"; ".join(n + " = ..." for n in names)}")'
            )
        pairs += [((v,), g, obj.gradient[i]) for i, (v, g) in enumerate(zip(names, grad))]
    if hessian is not None:
        index = {v: i for i, v in enumerate(names)}
        if isinstance(hessian, Mapping):
            items = list(hessian.items())
        else:
            if len(hessian) != len(names) or any(len(row) != len(names) for row in hessian):
                raise ArgumentError(f"the Hessian must be {len(names)} x {len(names)}")
            items = [((names[i], names[j]), h) for i, row in enumerate(hessian) for j, h in enumerate(row)]
        for (a, b), h in items:
            if a not in index or b not in index:
                raise ArgumentError(f"no variable {a if a not in index else b!r}; the variables are {', '.join(names)}")
            pairs.append(((a, b), h, obj.hessian[index[a], index[b]]))
    if not pairs:
        raise ArgumentError("give at least one derivative to check")
    rng = np.random.default_rng(seed)
    budget = Budget(obj.limits.time_budget or 5.0)  # for all the simplifications together
    checks = []
    for wrt, text, true in pairs:
        given = text if isinstance(text, sympy.Expr) else parse(str(text), names, constants, limits).expr
        name = f"d/d{wrt[0]}" if len(wrt) == 1 else f"d2/d{wrt[0]}2" if wrt[0] == wrt[1] else f"d2/d{wrt[0]}d{wrt[1]}"
        x = obj.symbols[names.index(wrt[0])] if len(wrt) == 1 else None
        checks.append(replace(_check_one(obj, name, given, true, rng, budget, x), wrt=wrt))
    return DerivativeReport(tuple(checks))


def _sample_points(symbols, exprs, rng, limits) -> tuple[np.ndarray, list[np.ndarray]]:
    """Random points (n, k) where every expression is finite, and the values there."""
    fs = [compiler.compile_scalar(symbols, e, limits) for e in exprs]
    n = len(symbols)
    for low, high in [(-3.0, 3.0), (0.05, 3.0), (0.05, 0.95), (-0.95, 0.95), (-30.0, 30.0), (0.05, 30.0), (1.0, 100.0)]:
        X = low + (high - low) * rng.random((n, 400))
        with np.errstate(all="ignore"):
            values = [np.broadcast_to(np.asarray(f(X), float), X.shape[1:]) for f in fs]
        ok = np.logical_and.reduce([np.isfinite(v) for v in values])
        if ok.sum() >= 10 or (n == 0 and ok.all()):
            keep = np.flatnonzero(ok)[:_SAMPLES]
            return X[:, keep], [v[keep] for v in values]
    raise FormulaError("could not find points where both derivatives are defined to compare them")


def _exact_differ(symbols, a: sympy.Expr, b: sympy.Expr, point: np.ndarray) -> tuple[bool, float, float]:
    """Confirm a difference in 30-digit arithmetic (floats can cancel badly)."""
    subs = {s: sympy.Float(float(v), 30) for s, v in zip(symbols, point)}
    va, vb = complex(a.evalf(30, subs=subs)), complex(b.evalf(30, subs=subs))
    differ = abs(va - vb) > _RTOL * max(1.0, abs(va), abs(vb))
    return differ, va.real, vb.real


def _check_one(
    obj: Objective, name: str, given: sympy.Expr, true: sympy.Expr, rng, budget: Budget, x: sympy.Symbol | None
) -> DerivativeCheck:
    symbols = obj.symbols
    X, (g, t) = _sample_points(symbols, [given, true], rng, obj.limits)
    wrong = np.flatnonzero(~_close(g, t))
    for i in wrong[:5]:
        differ, vg, vt = _exact_differ(symbols, given, true, X[:, i])
        if differ:
            point = {s.name: float(v) for s, v in zip(symbols, X[:, i])}
            hint = _bounded(lambda: _hint(obj, given, true, X, g, t, x), "")
            return DerivativeCheck(name, given, true, False, point, vg, vt, hint, "differs at a point")
    try:
        with budget.spend("simplifying"), guarded("simplifying", Limits(time_budget=None)):
            zero = sympy.simplify(given - true) == 0
        how = "equal symbolically and at random points" if zero else "equal at random points"
    except SymgdError:
        how = "equal at random points (simplification ran out of time)"
    return DerivativeCheck(name, given, true, True, how=how)


def _hint(obj: Objective, given, true, X, g, t, x: sympy.Symbol | None) -> str:
    """A cheap guess at the mistake, tested at the sample points."""
    if np.all(_close(g, -t)):
        return "the sign is wrong (e.g. d/dx cos x = -sin x, or the quotient rule's numerator is u'v - uv')"
    with np.errstate(all="ignore"):
        ratio = t / g
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size and ratio[0] != 0 and np.all(_close(ratio, ratio[0])):
        c = sympy.nsimplify(ratio[0], rational=False, tolerance=1e-10)
        hint = f"off by a constant factor: the true derivative is {c} times yours"
    else:
        hint = ""
    symbols = obj.symbols
    wrt = [x] if x is not None else list(symbols)
    candidates = []
    for sub in sympy.preorder_traversal(obj.expr):
        for s in wrt:
            if isinstance(sub, sympy.Pow) and not sub.base.has(s) and sub.exp.has(s):
                right = sympy.diff(sub, s)
                wrong = sub.exp * sub.base ** (sub.exp - 1) * sympy.diff(sub.exp, s)
                text = (
                    "the power rule needs a constant exponent: d/dx a^u = a^u·ln(a)·u', "
                    f"so {sub} differentiates to {right}"
                )
                candidates.append((true - right + wrong, text))
                candidates.append((true - right + wrong / sympy.diff(sub.exp, s), text))
            if isinstance(sub, sympy.Pow) and sub.base.has(s) and not sub.exp.has(s):
                right = sympy.diff(sub, s)
                text = "the power rule lowers the exponent by one: d/dx x^n = n·x^(n−1)"
                for wrong_exp in (sub.exp, sub.exp + 1):
                    wrong = sub.exp * sub.base**wrong_exp * sympy.diff(sub.base, s)
                    candidates.append((true - right + wrong, text))
            factors = [a for a in sub.args if a.has(s)] if isinstance(sub, sympy.Mul) else []
            if len(factors) == 2:
                u, v = factors
                rest = sub / (u * v)
                wrong = rest * sympy.diff(u, s) * sympy.diff(v, s)
                text = "the product rule is (u·v)' = u'·v + u·v', not u'·v'"
                candidates.append((true - sympy.diff(sub, s) + wrong, text))
        inner = sub.args[0] if isinstance(sub, sympy.Function) and sub.args else None
        if isinstance(sub, sympy.Pow) and not sub.exp.free_symbols:
            inner = sub.base
        if inner is not None and inner.free_symbols and not inner.is_Symbol:
            for s in wrt:
                d = sympy.diff(inner, s)
                if d != 0 and d != 1:
                    candidates.append(
                        (true / d, f"a chain-rule factor is missing: multiply by {d}, the derivative of {inner}")
                    )
    for candidate, text in candidates[:20]:
        try:
            f = compiler.compile_scalar(symbols, candidate, obj.limits)
            with np.errstate(all="ignore"):
                c = np.broadcast_to(np.asarray(f(X), float), g.shape)
        except SymgdError:
            continue
        ok = np.isfinite(c)
        if ok.sum() >= 3 and np.all(_close(c[ok], g[ok])):
            return text
    return hint


# ---------------------------------------------------------------- critical points
@dataclass(frozen=True)
class CriticalPoint:
    """A point where the gradient vanishes, classified by the Hessian.

    ``kind`` is ``"minimum"``, ``"maximum"``, ``"saddle"`` or ``"degenerate"``
    (a zero eigenvalue: the second-derivative test is inconclusive); then
    ``behaves_as`` tells what a look at the neighbourhood found.
    """

    variables: tuple[str, ...]
    point: tuple[sympy.Expr, ...] | None  # exact coordinates, None when found numerically
    x: np.ndarray  # decimal coordinates
    value: sympy.Expr | None  # exact f there
    fun: float
    kind: str
    eigenvalues: tuple[float, ...] = field(default=())
    behaves_as: str = ""  # for degenerate points: "minimum", "maximum", "saddle" or ""
    exact: bool = True
    family: bool = False  # an infinite family: ``point`` contains free parameters

    def exact_text(self) -> str:
        """The exact coordinates, ``x = 0, y = 0``; empty when none (numeric) or too unwieldy to show."""
        if not self.point or not all(_short(sympy.sympify(c)) for c in self.point):
            return ""
        return ", ".join(f"{v} = {p}" for v, p in zip(self.variables, self.point))

    def describe(self, digits: int = 10) -> str:
        where = self.exact_text()
        decimal = ", ".join(f"{v} = {float(c):.{digits}g}" for v, c in zip(self.variables, self.x))
        kind = self.kind + (
            f" (the test is inconclusive; nearby f behaves as a {self.behaves_as})"
            if self.kind == "degenerate" and self.behaves_as
            else ""
        )
        if self.family:
            fixed = [f"{v} = {c}" for v, c in zip(self.variables, self.point) if str(c) != v]
            free = [v for v, c in zip(self.variables, self.point) if str(c) == v]
            return f"infinitely many: {', '.join(fixed)} (free: {', '.join(free)}): {kind}, f = {self.value}"
        short = self.value is not None and _short(self.value)
        value = f"f = {self.value} ≈ {self.fun:.{digits}g}" if short else f"f ≈ {self.fun:.{digits}g}"
        exact = f"{where}  ≈ ({decimal})" if where else decimal if self.exact else f"{decimal}  (numeric)"
        return f"{kind:<10} at {exact}, {value}"


def _short(e) -> bool:
    """Worth showing exactly: no implicit roots (CRootOf) and not a screenful."""
    return not e.has(sympy.CRootOf, sympy.I) and sympy.count_ops(e) <= 30


class CriticalPoints(list):
    """A list of `CriticalPoint` with ``.method`` (``"exact"`` or ``"numeric"``) and ``.note``."""

    method: str = "exact"
    note: str = ""


def critical_points(
    expr: Formula,
    *,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    solve_time: float = 2.0,
    domain: tuple[float, float] | Sequence[tuple[float, float]] = (-10.0, 10.0),
    starts: int = 400,
    seed: int = 0,
) -> CriticalPoints:
    """The real critical points of ``expr`` (where ∇f = 0), each classified by the Hessian.

    sympy solves ∇f = 0 exactly within ``solve_time`` seconds; where it
    cannot, multi-start Newton on the gradient system finds the points in
    ``domain`` (one ``(lo, hi)`` for all variables, or one per variable)
    numerically (``.method == "numeric"``). Solutions with a free
    parameter are reported as infinite families.

    >>> pts = critical_points("x**2 - y**2")
    >>> [(p.kind, p.point) for p in pts]
    [('saddle', (0, 0))]
    >>> p, = critical_points("x^4")
    >>> p.kind, p.behaves_as
    ('degenerate', 'minimum')
    """
    obj = as_objective(expr, variables, constants, limits)
    result = CriticalPoints()
    if obj.n == 0:
        raise ArgumentError("the formula has no variables")
    try:
        solutions = _solve(obj, solve_time)
    except SymgdError as error:
        solutions, result.note = None, f"no exact solution ({error}); the points below were found numerically"
    if solutions is None:
        result.method = "numeric"
        result.note = (
            result.note or "sympy could not solve ∇f = 0 in closed form; the points below were found numerically"
        )
        result.extend(_numeric(obj, domain, starts, seed))
        return result
    result.extend(solutions)
    if any(g.has(sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc) for g in obj.gradient):
        result.note = (
            _periodic_note(obj, solve_time)
            if obj.n == 1
            else "the gradient is periodic: these are the solutions sympy lists; shifted by periods there may be "
            "infinitely many more"
        )
    return result


def _periodic_note(obj: Objective, seconds: float) -> str:
    """For one variable: sympy's full solution set, when it is infinite (periodic functions)."""
    try:
        with time_budget(seconds, "solveset"), guarded("solving ∇f = 0", Limits(time_budget=None)):
            full = sympy.solveset(obj.gradient[0], obj.symbols[0], sympy.S.Reals)
    except SymgdError:
        return ""
    if isinstance(full, sympy.FiniteSet):
        return ""
    return f"infinitely many critical points: {obj.variables[0]} in {full}; those listed are one period's"


def _solve(obj: Objective, seconds: float) -> list[CriticalPoint] | None:
    symbols, grad = obj.symbols, [g for g in obj.gradient]
    polys = [g.as_poly(*symbols) for g in grad]
    if all(p is not None for p in polys) and np.prod([max(p.total_degree(), 1) for p in polys]) > 8:
        return None  # many roots of high degree: radicals too big to be useful, slow to find
    message = f"solving ∇f = 0 took longer than {seconds:g} s"
    with time_budget(seconds, message), guarded("solving ∇f = 0", Limits(time_budget=None)):
        if len(symbols) == 1 and polys[0] is not None and polys[0].degree() > 0:
            raw = [{symbols[0]: r} for r in dict.fromkeys(sympy.real_roots(polys[0]))]  # no casus irreducibilis
        else:
            raw = sympy.solve(grad, symbols, dict=True) if any(g != 0 for g in grad) else [{}]
    points = []
    for sol in raw:
        coords = tuple(sol.get(s, s) for s in symbols)
        if any(c.is_real is False for c in coords):
            continue  # (real roots of cubics may be written with I: casus irreducibilis; decided numerically)
        family = any(c.free_symbols for c in coords)
        numeric = [
            complex(c.evalf(20, subs={s: 0 for s in symbols})) if family else complex(c.evalf(20)) for c in coords
        ]
        if any(abs(v.imag) > 1e-12 * max(1.0, abs(v.real)) for v in numeric):
            continue
        x = np.array([v.real for v in numeric])
        if not np.all(np.isfinite(x)) or not np.allclose(obj.grad(x), 0, atol=1e-8):
            continue  # sympy can return spurious roots (a vanishing denominator)
        value = obj.expr.xreplace(dict(zip(symbols, coords)))
        if not value.has(sympy.CRootOf):
            value = _bounded(lambda v=value: sympy.simplify(v), value)
        points.append(_classify(obj, x, coords, value, exact=True, family=family))
    return sorted(points, key=lambda p: tuple(p.x))


def _bounded(work, default, seconds: float = 1.0):
    """``work()``, or ``default`` if it fails or takes longer than ``seconds``."""
    try:
        with time_budget(seconds, "too slow"), guarded("simplifying", Limits(time_budget=None)):
            return work()
    except SymgdError:
        return default


def _classify(obj: Objective, x, coords, value, exact: bool, family: bool = False) -> CriticalPoint:
    eig = np.linalg.eigvalsh(obj.hess(x))
    scale = max(1.0, float(np.max(np.abs(eig))))
    zero = bool(np.any(np.abs(eig) <= 1e-8 * scale))
    if zero and exact and not family:  # confirm exactly: a zero eigenvalue is a zero determinant
        det = _bounded(lambda: sympy.simplify(obj.hessian.xreplace(dict(zip(obj.symbols, coords))).det()), None)
        zero = det is None or det == 0
    if zero:
        kind, behaves = "degenerate", _neighbourhood(obj, x)
    else:
        kind = "minimum" if eig.min() > 0 else "maximum" if eig.max() < 0 else "saddle"
        behaves = ""
    fun = float(obj.value(x))
    return CriticalPoint(obj.variables, coords, x, value, fun, kind, tuple(eig.tolist()), behaves, exact, family)


def _neighbourhood(obj: Objective, x: np.ndarray) -> str:
    """What f does around x: higher than f(x) in every direction (a minimum), lower, or both."""
    rng = np.random.default_rng(0)
    directions = np.concatenate([np.eye(obj.n), -np.eye(obj.n), rng.normal(size=(200, obj.n))])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    f0 = float(obj.value(x))
    tol = 1e-13 * max(1.0, abs(f0))
    above = below = False
    for r in (1e-3, 1e-2):
        diff = obj.value(x[:, None] + r * directions.T) - f0
        above |= bool(np.any(diff > tol))
        below |= bool(np.any(diff < -tol))
    return "saddle" if above and below else "minimum" if not below else "maximum" if not above else ""


def _numeric(obj: Objective, domain, starts: int, seed: int) -> list[CriticalPoint]:
    """Newton's method on ∇f = 0 from many starts at once; distinct end points, classified."""
    rng = np.random.default_rng(seed)
    box = np.broadcast_to(np.asarray(domain, float), (obj.n, 2))
    if not (np.all(np.isfinite(box)) and np.all(box[:, 0] < box[:, 1])):
        raise ArgumentError("the domain of the numeric search must be finite, with lo < hi")
    low, high = box[:, :1], box[:, 1:]
    X = low + (high - low) * rng.random((obj.n, starts))
    with np.errstate(all="ignore"):
        for _ in range(100):
            G, H = obj.grad(X), obj.hess(X)
            step = np.einsum("kij,jk->ik", np.linalg.pinv(np.moveaxis(H, -1, 0)), G)
            length = np.linalg.norm(step, axis=0)
            step *= np.minimum(1.0, (high - low) / 4 / np.maximum(length, 1e-300))  # no wild jumps
            X = X - step
            X[:, ~np.all(np.isfinite(X), axis=0)] = np.nan
        norms = np.linalg.norm(obj.grad(X), axis=0)
    # a root, not a point drifting off to infinity where the gradient fades (exp(x) as x -> -inf):
    # Newton has stopped moving, and it is inside the search box
    settled = np.linalg.norm(step, axis=0) <= 1e-6 * (1 + np.linalg.norm(X, axis=0))
    inside = np.all((low <= X) & (high >= X), axis=0)
    found = np.flatnonzero(np.isfinite(norms) & (norms <= 1e-8) & settled & inside)
    points: list[np.ndarray] = []
    for k in found[np.argsort(norms[found])]:
        x = X[:, k]
        if not any(np.linalg.norm(x - p) <= 1e-6 * max(1.0, np.linalg.norm(p)) for p in points):
            points.append(x.copy())
    points.sort(key=lambda p: tuple(p))
    return [_classify(obj, p, None, None, exact=False) for p in points]


# ---------------------------------------------------------------- verifying a descent
@dataclass(frozen=True)
class Verification:
    """Where a descent stopped, against the exact critical points."""

    nearest: CriticalPoint | None
    distance: float
    message: str

    def __str__(self) -> str:
        return self.message


def verify(result, objective: Formula) -> Verification:
    """Compare where a run stopped with the critical points of its objective.

    >>> import symgd
    >>> res = symgd.minimize("x^2 - y^2", x0=[1, 0], lr=0.1, max_iter=50)
    >>> print(verify(res, "x^2 - y^2"))
    the run stopped 1.4e-05 from the saddle at x = 0, y = 0 (f = 0)
    """
    obj = as_objective(objective, variables=list(result.variables))
    points = critical_points(obj)
    if not points:
        return Verification(None, float("inf"), "f has no critical points (none found numerically)")
    x = np.asarray(result.x, float)
    dist = [np.linalg.norm(x - p.x) if not p.family else _family_distance(obj, p, x) for p in points]
    i = int(np.argmin(dist))
    p = points[i]
    kind = p.kind if p.kind != "degenerate" or not p.behaves_as else f"{p.behaves_as} (degenerate)"
    where = p.exact_text() or ", ".join(f"{v} = {c:.6g}" for v, c in zip(p.variables, p.x))
    value = p.value if p.value is not None and _short(p.value) else f"{p.fun:.6g}"
    text = f"the run stopped {dist[i]:.2g} from the {kind} at {where} (f = {value})"
    goal = "maximum" if result.maximize else "minimum"
    best = [q.fun for q in points if q.kind == goal or q.behaves_as == goal]
    if kind.startswith(goal) and best and (min(best) < p.fun - 1e-9 if goal == "minimum" else max(best) > p.fun + 1e-9):
        text += f", a local {goal} only: a better one exists (f = {min(best) if goal == 'minimum' else max(best):.6g})"
    return Verification(p, float(dist[i]), text)


def _family_distance(obj: Objective, p: CriticalPoint, x: np.ndarray) -> float:
    """Distance to the family's member whose free coordinates are those of ``x``."""
    at = dict(zip(obj.symbols, x.tolist()))
    member = np.array([float(sympy.sympify(c).xreplace(at)) for c in p.point])
    return float(np.linalg.norm(x - member))


__all__ = [
    "CriticalPoint",
    "DerivativeReport",
    "Partial",
    "check_derivative",
    "critical_points",
    "derivatives",
    "show",
    "verify",
]
