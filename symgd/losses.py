"""Per-row loss functions for `symgd.fit`, as sympy expressions in the prediction and the target.

Each loss is written once for one row, ``loss(pred, y)``; `symgd.fit`
substitutes the model for ``pred``, derives the gradient with respect to the
parameters symbolically, compiles it, and averages it over the rows of a
batch with numpy. The forms are chosen to be numerically stable where they
are evaluated:

- ``mae`` is ``|pred - y|``: its subgradient is ``sign(pred - y)``, 0 at a
  zero residual (as seed 001 derives it);
- ``huber`` is ``m·(|r| - m/2)`` with ``m = min(|r|, δ)``: ``r²/2`` inside δ,
  ``δ(|r| - δ/2)`` outside, with no piecewise branches to differentiate;
- ``logcosh`` is ``|r| + log(1 + exp(-2|r|)) - log 2``, which never overflows;
- ``binary_crossentropy`` (``log_loss``) of a model ``sigmoid(z)`` is computed
  from the logit ``z``: ``max(z, 0) + log(1 + exp(-|z|)) - y·z``, never log(0);
  of any other model, from its output clipped to [1e-12, 1 - 1e-12].

>>> import sympy
>>> pred, y = sympy.symbols("pred y", real=True)
>>> row_loss("mse", pred, y).expr
(pred - y)**2
>>> row_loss("(pred - y)^4", pred, y).expr
(pred - y)**4
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .errors import ArgumentError, FormulaError
from .limits import DEFAULT_LIMITS, Limits
from .parse import parse

#: The clipping of a probability before its logarithm, for models that are not a sigmoid.
PROBABILITY_EPS = 1e-12

REGRESSION = "regression"
CLASSIFICATION = "classification"

#: name -> (canonical name, kind)
LOSSES: dict[str, tuple[str, str]] = {
    "mse": ("mse", REGRESSION),
    "squared": ("mse", REGRESSION),
    "mae": ("mae", REGRESSION),
    "l1": ("mae", REGRESSION),
    "huber": ("huber", REGRESSION),
    "logcosh": ("logcosh", REGRESSION),
    "binary_crossentropy": ("binary_crossentropy", CLASSIFICATION),
    "log_loss": ("binary_crossentropy", CLASSIFICATION),
    "bce": ("binary_crossentropy", CLASSIFICATION),
}


@dataclass(frozen=True)
class RowLoss:
    """The loss of one row as a sympy expression, with its name and kind.

    ``least_squares`` says whether the loss is the squared residual (standard
    errors of the parameters are then defined); ``from_logits`` whether a
    cross-entropy was written from the logit of a sigmoid model.
    """

    expr: sympy.Expr
    name: str
    kind: str
    least_squares: bool = False
    from_logits: bool = False


def sigmoid_logit(expr: sympy.Expr) -> sympy.Expr | None:
    """``z`` where ``expr`` is ``1/(1 + exp(-z))`` (how ``sigmoid(z)`` reads), else None.

    >>> x = sympy.Symbol("x", real=True)
    >>> sigmoid_logit(1 / (1 + sympy.exp(-2*x - 1)))
    2*x + 1
    >>> sigmoid_logit(x**2) is None
    True
    """
    if not (expr.is_Pow and expr.exp == -1 and expr.base.is_Add and len(expr.base.args) == 2):
        return None
    one, other = sorted(expr.base.args, key=lambda a: not a.is_Number)
    if one != 1 or not isinstance(other, sympy.exp):
        return None
    return sympy.expand(-other.args[0]) if other.args[0].is_Add else -other.args[0]


def stable_binary_crossentropy(z: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    """``-(y log σ(z) + (1 - y) log(1 - σ(z)))`` written from the logit, without overflow or log(0)."""
    return sympy.Max(z, 0) + sympy.log(1 + sympy.exp(-sympy.Abs(z))) - y * z


def row_loss(
    loss: str,
    pred: sympy.Expr,
    y: sympy.Expr,
    *,
    delta: float = 1.0,
    limits: Limits = DEFAULT_LIMITS,
) -> RowLoss:
    """The loss of one row for the prediction ``pred`` and the target ``y``.

    ``loss`` is a name (`LOSSES`) or a formula in ``pred`` and ``y`` such as
    ``"(pred - y)^4"`` or ``"log(1 + (pred - y)^2)"``, read by symgd's safe parser.
    """
    if not isinstance(loss, str):
        raise ArgumentError(f"loss must be a name or a formula in pred and y, not {type(loss).__name__}")
    key = loss.strip().lower()
    if key in LOSSES:
        name, kind = LOSSES[key]
        r = pred - y
        if name == "mse":
            return RowLoss(r**2, name, kind, least_squares=True)
        if name == "mae":
            return RowLoss(sympy.Abs(r), name, kind)
        if name == "huber":
            d = _positive_delta(delta)
            m = sympy.Min(sympy.Abs(r), d)
            return RowLoss(m * (sympy.Abs(r) - m / 2), name, kind)
        if name == "logcosh":
            a = sympy.Abs(r)
            return RowLoss(a + sympy.log(1 + sympy.exp(-2 * a)) - sympy.log(2), name, kind)
        z = sigmoid_logit(pred)
        if z is not None:
            return RowLoss(stable_binary_crossentropy(z, y), name, kind, from_logits=True)
        eps = sympy.Float(PROBABILITY_EPS)
        p = sympy.Min(sympy.Max(pred, eps), 1 - eps)
        return RowLoss(-(y * sympy.log(p) + (1 - y) * sympy.log(1 - p)), name, kind)
    return _custom(loss, pred, y, limits)


def _custom(text: str, pred: sympy.Expr, y: sympy.Expr, limits: Limits) -> RowLoss:
    try:
        parsed = parse(text, limits=limits)
    except FormulaError as error:
        raise FormulaError(
            f"unknown loss {text!r}: choose one of {', '.join(sorted(LOSSES))}, or write a formula in pred and y "
            f"({error})"
        ) from None
    unknown = [name for name in parsed.variables if name not in ("pred", "y")]
    if unknown:
        raise FormulaError(
            f"unknown loss {text!r}: choose one of {', '.join(sorted(LOSSES))}, or write a formula in pred and y "
            f"(this one uses {unknown[0]!r})"
        )
    if "pred" not in parsed.variables:
        raise FormulaError(f"the loss formula {text!r} does not depend on pred, so it cannot fit anything")
    by_name = {s.name: s for s in parsed.symbols}
    expr = parsed.expr.xreplace({by_name[n]: v for n, v in (("pred", pred), ("y", y)) if n in by_name})
    return RowLoss(expr, "custom", REGRESSION)


def _positive_delta(delta: float) -> float:
    try:
        d = float(delta)
    except (TypeError, ValueError):
        raise ArgumentError(f"the huber delta must be a positive number, not {delta!r}") from None
    if not 0 < d < float("inf"):
        raise ArgumentError(f"the huber delta must be a positive number, not {delta!r}")
    return d
