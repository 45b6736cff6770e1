"""A derivative explained step by step, rule by rule, the way a textbook would.

Each step applies one rule (sum, constant multiple, product, quotient, power,
chain, exponential, logarithm, trigonometric, inverse trigonometric,
hyperbolic) to one subexpression, and its result is checked against sympy's
own derivative of that subexpression, so the explanation cannot disagree with
the answer.

>>> ex = explain("x^2*sin(x)")
>>> [s.rule for s in ex.steps]
['product rule', 'power rule', 'trigonometric rule']
>>> ex.result
x**2*cos(x) + 2*x*sin(x)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from . import derive
from .errors import ArgumentError, LimitError
from .limits import DEFAULT_LIMITS, Limits, guarded
from .objective import Objective

MAX_STEPS = 400

_U = sympy.Symbol("u", real=True)
_FAMILIES = [
    ("exponential rule", (sympy.exp,)),
    ("logarithm rule", (sympy.log,)),
    ("trigonometric rule", (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)),
    ("inverse trigonometric rule", (sympy.asin, sympy.acos, sympy.atan, sympy.acot, sympy.asec, sympy.acsc)),
    ("hyperbolic rule", (sympy.sinh, sympy.cosh, sympy.tanh, sympy.coth, sympy.sech, sympy.csch)),
    ("inverse hyperbolic rule", (sympy.asinh, sympy.acosh, sympy.atanh, sympy.acoth)),
    ("absolute value rule (where x ≠ 0)", (sympy.Abs,)),
    ("step function rule (zero almost everywhere)", (sympy.sign, sympy.Heaviside)),
    ("error function rule", (sympy.erf,)),
]


@dataclass(frozen=True)
class Step:
    """One rule applied to one subexpression: ``d/dx expr = result`` by ``rule`` (``formula``)."""

    depth: int
    expr: sympy.Expr
    rule: str
    formula: str
    result: sympy.Expr
    checked: bool = True  # the result equals sympy's derivative of expr


@dataclass(frozen=True)
class Explanation:
    """The steps for d/d``variable`` of ``expr``, outermost rule first; ``result`` is the derivative."""

    variable: str
    expr: sympy.Expr
    steps: tuple[Step, ...]
    result: sympy.Expr

    def __str__(self) -> str:
        d = f"d/d{self.variable}"
        lines = [f"{d} [{self.expr}]"]
        for s in self.steps:
            pad = "  " * (s.depth + 1)
            lines.append(f"{pad}{d} [{s.expr}] = {s.result}")
            lines.append(f"{pad}  by the {s.rule}: {s.formula}")
        lines.append(f"so {d} [{self.expr}] = {self.result}")
        return "\n".join(lines)


def explain(
    formula: str | sympy.Expr | Objective,
    wrt: str | None = None,
    *,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Explanation:
    """Explain the derivative of ``formula`` with respect to ``wrt`` (default: its only variable).

    >>> print(explain("sin(3x)"))
    d/dx [sin(3*x)]
      d/dx [sin(3*x)] = 3*cos(3*x)
        by the trigonometric rule: d/du sin(u) = cos(u); chain rule: times u' with u = 3*x
        d/dx [3*x] = 3
          by the constant multiple rule: (c·u)' = c·u' with c = 3, u = x
    so d/dx [sin(3*x)] = 3*cos(3*x)
    """
    obj = formula if isinstance(formula, Objective) else Objective(formula, variables, constants, limits=limits)
    if wrt is None:
        if obj.n != 1:
            raise ArgumentError(f"say which variable to differentiate by: one of {', '.join(obj.variables)}")
        wrt = obj.variables[0]
    if wrt not in obj.variables:
        raise ArgumentError(f"no variable {wrt!r}; the variables are {', '.join(obj.variables)}")
    x = obj.symbols[obj.variables.index(wrt)]
    steps: list[Step | None] = []
    with guarded("explaining the derivative", obj.limits):
        result = _Explainer(x, steps).d(obj.expr, 0)
        final = obj.gradient[obj.variables.index(wrt)]
        if not _same(result, final, x):  # pragma: no cover - the steps are checked one by one
            raise LimitError("the step-by-step derivative disagrees with sympy's; please report this formula")
    return Explanation(wrt, obj.expr, tuple(s for s in steps if s is not None), result)


class _Explainer:
    def __init__(self, x: sympy.Symbol, steps: list):
        self.x, self.steps = x, steps

    def d(self, e: sympy.Expr, depth: int) -> sympy.Expr:
        x = self.x
        if not e.has(x):
            if depth == 0:
                self.steps.append(Step(depth, e, "constant rule", f"it does not depend on {x}", sympy.S.Zero))
            return sympy.S.Zero
        if e == x:
            if depth == 0:
                self.steps.append(Step(depth, e, "identity rule", f"d/d{x} {x} = 1", sympy.S.One))
            return sympy.S.One
        if len(self.steps) >= MAX_STEPS:
            raise LimitError(f"the explanation would take more than {MAX_STEPS} steps")
        at = len(self.steps)
        self.steps.append(None)  # the outer rule comes before the inner ones
        rule, formula, result = self.rule(e, depth)
        reference = sympy.diff(e, x)
        if reference.has(sympy.DiracDelta, sympy.Derivative):
            reference = derive.differentiate(e, x)
        checked = _same(result, reference, x)
        self.steps[at] = Step(depth, e, rule, formula, result if checked else reference, checked)
        return result if checked else reference

    def rule(self, e: sympy.Expr, depth: int) -> tuple[str, str, sympy.Expr]:
        x, d, inner = self.x, self.d, depth + 1
        if e.is_Add:
            parts = [d(a, inner) for a in e.args]
            return "sum rule", "(u + v + …)' = u' + v' + …", sympy.Add(*parts)
        if e.is_Mul:
            c, u = e.as_independent(x, as_Add=False)
            if c != 1:
                return "constant multiple rule", f"(c·u)' = c·u' with c = {c}, u = {u}", c * d(u, inner)
            denominators = [f for f in e.args if f.is_Pow and f.exp.is_negative and f.has(x)]
            if denominators and len(denominators) < len(e.args):
                v = sympy.Mul(*[1 / f for f in denominators])
                u = sympy.Mul(*[f for f in e.args if f not in denominators])
                du, dv = d(u, inner), d(v, inner)
                formula = f"(u/v)' = (u'·v − u·v')/v² with u = {u}, v = {v}"
                return "quotient rule", formula, (du * v - u * dv) / v**2
            u, v = e.args[0], sympy.Mul(*e.args[1:])
            du, dv = d(u, inner), d(v, inner)
            return "product rule", f"(u·v)' = u'·v + u·v' with u = {u}, v = {v}", du * v + u * dv
        if e.is_Pow:
            b, n = e.args
            if not n.has(x):
                if b == x:
                    return "power rule", f"d/d{x} {x}^n = n·{x}^(n−1) with n = {n}", n * x ** (n - 1)
                formula = f"d/du u^n = n·u^(n−1) with n = {n}; chain rule: times u' with u = {b}"
                return "power rule", formula, n * b ** (n - 1) * d(b, inner)
            if not b.has(x):
                chain = "" if n == x else f"; chain rule: times u' with u = {n}"
                formula = f"d/du a^u = a^u·ln(a) with a = {b}{chain}"
                return "exponential rule", formula, e * sympy.log(b) * d(n, inner)
            formula = f"d/d{x} u^v = u^v·(v'·ln(u) + v·u'/u) with u = {b}, v = {n} (logarithmic differentiation)"
            return "general power rule", formula, e * (d(n, inner) * sympy.log(b) + n * d(b, inner) / b)
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            name = next((rule for rule, funcs in _FAMILIES if isinstance(e, funcs)), "rule for " + type(e).__name__)
            u = e.args[0]
            if isinstance(e, (sympy.sign, sympy.Heaviside)):
                return name, f"d/du {type(e).__name__}(u) = 0", sympy.S.Zero
            outer = type(e)(_U).diff(_U)
            outer = outer.subs(sympy.conjugate(_U), _U)
            formula = f"d/du {type(e)(_U)} = {outer}"
            if u == x:
                return name, formula, outer.xreplace({_U: x})
            formula += f"; chain rule: times u' with u = {u}"
            return name, formula, outer.xreplace({_U: u}) * d(u, inner)
        return "sympy's derivative (no textbook rule)", "computed by sympy", derive.differentiate(e, x)


def _same(a: sympy.Expr, b: sympy.Expr, x: sympy.Symbol) -> bool:
    """a == b as functions: exactly after expansion, else at random points in 30-digit arithmetic."""
    if a == b or sympy.expand(a - b) == 0:
        return True
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = np.random.default_rng(1)
    agree = 0
    for low, high in [(-3, 3), (0.05, 3), (-30, 30), (1, 100)]:
        for _ in range(8):
            subs = {s: sympy.Float(rng.uniform(low, high), 30) for s in symbols}
            va, vb = complex(a.evalf(30, subs=subs)), complex(b.evalf(30, subs=subs))
            if not all(np.isfinite([va.real, va.imag, vb.real, vb.imag])) or abs(va.imag) + abs(vb.imag) > 1e-20:
                continue
            if abs(va - vb) > 1e-12 * max(1.0, abs(va), abs(vb)):
                return False
            agree += 1
        if agree >= 6:
            return True
    return agree > 0
