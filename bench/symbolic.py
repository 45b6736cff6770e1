"""W5: the time to parse, derive and compile a gradient, and how it grows with the formula.

Two formulas, written out as text from a fixed seed: a polynomial of 300
distinct terms in 10 variables (each term 1 to 3 variables, powers 1 to 3),
and the squared loss of a 2-8-1 tanh network on 4 data points, a formula in
its 33 weights. Contenders go from the text to a callable gradient and
evaluate it once at a fixed point (the answer checked):

- symgd: ``Objective(text)``, then its compiled value and gradient
  (limits raised for big formulas: ``Limits(max_length=…, max_nodes=…,
  time_budget=None)``);
- sympy as a user would call it: ``parse_expr``, ``diff`` for each variable,
  ``lambdify`` to numpy;
- JAX: ``parse_expr``, ``lambdify`` to JAX, ``jit(grad(...))`` and its first
  call (tracing and XLA compilation).

sympy's cache is cleared before every run (untimed), so every repeat is a
cold start, as the first reading of a formula is. The scaling series times
symgd on polynomials of 75, 150, 300 and 600 terms; the target is growth no
worse than linear: the fitted exponent of time against terms at most 1.1.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy

import symgd

from .harness import Answer, Workload, contender, optional

TRUSTED = symgd.Limits(max_length=10**7, max_nodes=10**7, time_budget=None)
COLD = sympy.core.cache.clear_cache  # before every run: no repeat profits from sympy's cache


def polynomial(terms: int, variables: int = 10, seed: int = 0) -> tuple[str, list[str]]:
    """A polynomial of ``terms`` distinct monomials, as text, and its variables."""
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(variables)]
    monomials: dict[tuple, float] = {}
    while len(monomials) < terms:
        chosen = sorted(rng.choice(variables, size=int(rng.integers(1, 4)), replace=False))
        key = tuple((names[i], int(rng.integers(1, 4))) for i in chosen)
        monomials.setdefault(key, round(float(rng.choice([-1, 1]) * rng.uniform(0.1, 2.0)), 3))
    parts = [
        f"{'-' if c < 0 else '+'} {abs(c):g}*" + "*".join(name if p == 1 else f"{name}**{p}" for name, p in key)
        for key, c in monomials.items()
    ]
    return " ".join(parts).removeprefix("+ "), names


def mlp_loss(hidden: int = 8, points: int = 4, seed: int = 0) -> tuple[str, list[str]]:
    """The squared loss of a 2-``hidden``-1 tanh network on fixed data, as text in its weights."""
    rng = np.random.default_rng(seed)
    inputs, targets = rng.uniform(-1, 1, (points, 2)).round(2), rng.uniform(-1, 1, points).round(2)
    names = [f"w{i}_{j}" for i in range(2) for j in range(hidden)]
    names += [f"b{j}" for j in range(hidden)] + [f"v{j}" for j in range(hidden)] + ["c"]
    residuals = []
    for (x0, x1), y in zip(inputs, targets):
        units = " + ".join(f"v{j}*tanh(({x0:g})*w0_{j} + ({x1:g})*w1_{j} + b{j})" for j in range(hidden))
        residuals.append(f"({units} + c - ({y:g}))**2")
    return " + ".join(residuals), names


def sympy_parse(text: str, names: list[str]):
    symbols = sympy.symbols(names)
    return sympy.parse_expr(text, local_dict=dict(zip(names, symbols))), symbols


@functools.cache
def sympy_gradient(text: str, names: tuple[str, ...], point: tuple[float, ...]) -> np.ndarray:
    expr, symbols = sympy_parse(text, list(names))
    return np.array(sympy.lambdify(symbols, [expr.diff(s) for s in symbols])(*point), dtype=float)


def symgd_objective(text: str, names: list[str], point: np.ndarray, size: int | None = None):
    def run():
        obj = symgd.Objective(text, variables=names, limits=TRUSTED)
        obj.compiled_value  # noqa: B018  (compiles)
        return Answer(obj.compiled_grad(point), size=size)

    return run


def sympy_lambdify(text: str, names: list[str], point: np.ndarray):
    def run():
        expr, symbols = sympy_parse(text, names)
        grad = sympy.lambdify(symbols, [expr.diff(s) for s in symbols], "numpy")
        return Answer(np.array(grad(*point)))

    return run


def jax_grad(text: str, names: list[str], point: np.ndarray):
    jax = optional("jax")

    def run():
        expr, symbols = sympy_parse(text, names)
        f = sympy.lambdify(symbols, expr, "jax")
        grad = jax.jit(jax.grad(lambda v: f(*v)))
        return Answer(np.asarray(grad(jax.numpy.asarray(point))))

    return run


def formula_workload(key: str, what: str, unit: str, units: int, text: str, names: list[str]) -> Workload:
    point = np.random.default_rng(1).uniform(-1, 1, len(names))
    contenders = [
        contender(
            "symgd", "symgd: Objective, compiled value, gradient", symgd_objective, text, names, point, reset=COLD
        ),
        contender("sympy", "sympy: parse_expr, diff, lambdify", sympy_lambdify, text, names, point, reset=COLD),
        contender("jax", "JAX: sympy parse, lambdify to JAX, jit(grad)", jax_grad, text, names, point, reset=COLD),
    ]
    reference = lambda size: sympy_gradient(text, tuple(names), tuple(point))  # noqa: E731
    return Workload(key, f"parse, derive and compile the gradient of a {what}", unit, units, contenders, reference)


def scaling_workload(sizes: list[int]) -> Workload:
    formulas = {terms: polynomial(terms) for terms in sizes}
    point = np.random.default_rng(1).uniform(-1, 1, 10)
    contenders = [
        contender("symgd", f"symgd, {terms} terms", symgd_objective, text, names, point, terms, units=terms, reset=COLD)
        for terms, (text, names) in formulas.items()
    ]

    def reference(size: int | None) -> np.ndarray:
        text, names = formulas[size]
        return sympy_gradient(text, tuple(names), tuple(point))

    title = f"symgd's symbolic work against size: polynomials in 10 variables of {', '.join(map(str, sizes))} terms"
    return Workload("W5-scaling", title, "term", max(sizes), contenders, reference)


def workloads(quick: bool) -> list[Workload]:
    terms, hidden, sizes = (50, 2, [25, 50, 100, 200]) if quick else (300, 8, [75, 150, 300, 600])
    poly, poly_names = polynomial(terms)
    loss, loss_names = mlp_loss(hidden)
    mlp_title = f"squared loss of a 2-{hidden}-1 tanh network on 4 points"
    return [
        formula_workload("W5-poly", f"{terms}-term polynomial in 10 variables", "term", terms, poly, poly_names),
        formula_workload("W5-mlp", mlp_title, "weight", len(loss_names), loss, loss_names),
        scaling_workload(sizes),
    ]
