"""Per-row losses (symgd.losses) against independent numpy/scipy references."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy import special

from symgd import ArgumentError, FormulaError, compiler, derive
from symgd.losses import LOSSES, row_loss, sigmoid_logit

pred, y = sympy.symbols("pred y", real=True)
R = np.array([-30.0, -2.5, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5, 30.0])


def values_and_slopes(loss, target=0.0, points=R, **options):
    """The loss and its derivative in pred, compiled, at pred = points and y = target."""
    expr = row_loss(loss, pred, y, **options).expr
    (slope,) = derive.gradient(expr, [pred])
    f = compiler.compile_vector([pred, y], [expr, slope])
    return f(np.array([points, np.full_like(points, target)]))


def test_mse_and_its_gradient():
    value, slope = values_and_slopes("mse", target=1.0)
    assert value == pytest.approx((R - 1) ** 2)
    assert slope == pytest.approx(2 * (R - 1))
    assert row_loss("mse", pred, y).least_squares


def test_mae_subgradient_is_the_sign_and_zero_at_zero_residual():
    value, slope = values_and_slopes("mae")
    assert value == pytest.approx(np.abs(R))
    assert slope.tolist() == [-1, -1, -1, -1, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_matches_scipy(delta):
    value, slope = values_and_slopes("huber", delta=delta)
    assert value == pytest.approx(special.huber(delta, R))
    assert slope == pytest.approx(np.clip(R, -delta, delta))


def test_huber_delta_must_be_positive():
    for bad in (0, -1, "x", float("inf")):
        with pytest.raises(ArgumentError, match="delta"):
            row_loss("huber", pred, y, delta=bad)


def test_logcosh_is_stable_and_its_slope_is_tanh():
    big = np.array([-1000.0, -30.0, -1.0, 0.0, 0.5, 30.0, 1000.0])
    value, slope = values_and_slopes("logcosh", points=big)
    with np.errstate(over="ignore"):
        naive = np.log(np.cosh(big))
    finite = np.isfinite(naive)
    assert value[finite] == pytest.approx(naive[finite])
    assert value[0] == pytest.approx(1000 - np.log(2)) and value[-1] == pytest.approx(1000 - np.log(2))
    assert slope == pytest.approx(np.tanh(big))


def test_sigmoid_logit_is_recognised():
    x, w, c = sympy.symbols("x w c", real=True)
    assert sigmoid_logit(1 / (1 + sympy.exp(-(w * x + c)))) == w * x + c
    assert sigmoid_logit(1 / (1 + sympy.exp(x))) == -x
    assert sigmoid_logit(1 / (2 + sympy.exp(-x))) is None
    assert sigmoid_logit(sympy.exp(x)) is None


@pytest.mark.parametrize("name", ["binary_crossentropy", "log_loss", "bce"])
def test_crossentropy_from_logits_matches_scipy_and_never_overflows(name):
    z = sympy.Symbol("z", real=True)
    model = 1 / (1 + sympy.exp(-z))
    per_row = row_loss(name, model, y)
    assert per_row.from_logits and per_row.kind == "classification"
    (slope,) = derive.gradient(per_row.expr, [z])
    f = compiler.compile_vector([z, y], [per_row.expr, slope])
    logits = np.array([-800.0, -40.0, -3.0, 0.0, 2.0, 40.0, 800.0])
    for label in (0.0, 1.0):
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            value, grad = f(np.array([logits, np.full_like(logits, label)]))
        reference = -(label * special.log_expit(logits) + (1 - label) * special.log_expit(-logits))
        assert value == pytest.approx(reference, rel=1e-12)
        assert grad == pytest.approx(special.expit(logits) - label, abs=1e-15)


def test_crossentropy_of_a_probability_model_is_clipped_not_infinite():
    p = sympy.Symbol("p", real=True)
    expr = row_loss("binary_crossentropy", p, y).expr
    f = compiler.compile_scalar([p, y], expr)
    probabilities = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = f(np.array([probabilities, np.ones(5)]))
    assert np.all(np.isfinite(value))
    assert value[1:4] == pytest.approx(-np.log(probabilities[1:4]))
    assert value[0] == pytest.approx(-np.log(1e-12))


def test_custom_loss_formula_in_pred_and_y():
    value, slope = values_and_slopes("(pred - y)^4", target=1.0)
    assert value == pytest.approx((R - 1) ** 4)
    assert slope == pytest.approx(4 * (R - 1) ** 3)
    assert row_loss("log(1 + (pred - y)^2)", pred, y).name == "custom"


@pytest.mark.parametrize(
    ("text", "match"),
    [("(pred - z)^2", "'z'"), ("y^2", "does not depend on pred"), ("nonsense loss", "unknown loss")],
)
def test_bad_custom_losses(text, match):
    with pytest.raises(FormulaError, match=match):
        row_loss(text, pred, y)


def test_custom_loss_text_is_never_executed():
    with pytest.raises(FormulaError):
        row_loss("__import__('os').system('true')", pred, y)


def test_every_named_loss_builds():
    for name in LOSSES:
        assert row_loss(name, pred, y).expr.free_symbols <= {pred, y}
