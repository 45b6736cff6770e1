"""symgd.fit against independent references: numpy least squares, hand-computed subgradients, scipy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize, special

import symgd
from symgd import ArgumentError, FormulaError
from symgd.fitting import FitResult, fit
from symgd.optimizers import OPTIMIZERS

RNG = np.random.default_rng(12345)
X1 = np.linspace(-1, 1, 40)
X2 = RNG.uniform(-1, 1, 40)
Y = 1.5 * X1 - 0.7 * X2 + 0.3 + RNG.normal(0, 0.1, 40)
DATA = {"x1": X1, "x2": X2, "y": Y}
LINEAR = "w1*x1 + w2*x2 + c"


def least_squares():
    """Closed form: numpy's lstsq on the design matrix [x1, x2, 1], and the OLS standard errors."""
    design = np.column_stack([X1, X2, np.ones_like(X1)])
    coef, *_ = np.linalg.lstsq(design, Y, rcond=None)
    residual = design @ coef - Y
    s2 = residual @ residual / (len(Y) - 3)
    stderr = np.sqrt(np.diag(s2 * np.linalg.inv(design.T @ design)))
    return dict(zip(["w1", "w2", "c"], coef)), dict(zip(["w1", "w2", "c"], stderr)), residual


def test_newton_solves_least_squares_and_reports_ols_standard_errors():
    res = fit(LINEAR, DATA, optimizer="newton", epochs=10)
    coef, stderr, residual = least_squares()
    assert res.status == "converged" and res.success
    assert res.parameters == ("c", "w1", "w2")
    for name in coef:
        assert res.params[name] == pytest.approx(coef[name], abs=1e-10)
        assert res.stderr[name] == pytest.approx(stderr[name], rel=1e-8)
    assert res.loss == pytest.approx(np.mean(residual**2))
    assert res.rmse == pytest.approx(np.sqrt(np.mean(residual**2)))
    assert res.r2 == pytest.approx(1 - np.sum(residual**2) / np.sum((Y - Y.mean()) ** 2))
    assert res.accuracy is None


def test_standard_errors_of_a_nonlinear_model_match_the_exact_hessian():
    # y = A exp(k x): the exact Hessian of S includes the residual term, so compare with a
    # finite-difference Hessian of S computed independently with numpy.
    x = np.linspace(0, 1, 30)
    y = 2.0 * np.exp(0.8 * x) + RNG.normal(0, 0.05, 30)
    res = fit("A*exp(k*x)", {"x": x, "y": y}, optimizer="newton", p0={"A": 1.5, "k": 1.0}, epochs=50)
    a, k = res.params["A"], res.params["k"]

    def s(p):
        return np.sum((p[0] * np.exp(p[1] * x) - y) ** 2)

    h = 1e-4
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * h, np.eye(2)[j] * h
            p = np.array([a, k])
            hess[i, j] = (s(p + e_i + e_j) - s(p + e_i - e_j) - s(p - e_i + e_j) + s(p - e_i - e_j)) / (4 * h * h)
    cov = 2 * np.linalg.inv(hess) * s(np.array([a, k])) / (30 - 2)
    assert [res.stderr["A"], res.stderr["k"]] == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-4)
    # and scipy's curve_fit lands on the same parameters
    popt, _ = optimize.curve_fit(lambda x, a, k: a * np.exp(k * x), x, y, p0=[1.5, 1.0])
    assert [a, k] == pytest.approx(popt, rel=1e-6)


def test_gradient_descent_reaches_the_least_squares_solution():
    res = fit(LINEAR, DATA, optimizer="gd", lr=0.5, epochs=5000, tol=1e-10)
    coef, _, _ = least_squares()
    assert res.status == "converged"
    for name in coef:
        assert res.params[name] == pytest.approx(coef[name], abs=1e-8)
    assert res.history[0] > res.history[-1] and len(res.history) == res.epochs + 1


def test_mae_subgradient_by_hand_with_a_zero_residual():
    x = np.arange(10.0)
    y = 100 * x - x * x
    res = fit("a*x**2 + b*x", {"x": x, "y": y}, loss="mae", p0={"a": -2, "b": 30}, epochs=0)
    r = -2 * x**2 + 30 * x - y  # residuals; r = 0 at x = 0
    assert r[0] == 0
    sign = np.where(r > 0, 1.0, np.where(r < 0, -1.0, 0.0))
    assert res.grad["a"] == pytest.approx(np.mean(sign * x**2))
    assert res.grad["b"] == pytest.approx(np.mean(sign * x))
    assert res.loss == pytest.approx(np.mean(np.abs(r)))
    assert res.iterations == 0 and res.status == "max_iter"


@pytest.mark.parametrize("loss", ["mse", "(pred - y)^2", "(y - pred)**2"])
def test_squared_error_by_hand_with_a_constant_term(loss):
    # the squared error takes dot products of the residual; a constant's ∂u/∂c is a number, not rows
    x = np.linspace(-1.0, 2.0, 7)
    y = np.cos(x)
    res = fit("a*x**2 + b*x + c", {"x": x, "y": y}, loss=loss, p0={"a": 0.5, "b": -1, "c": 2}, epochs=0)
    r = 0.5 * x**2 - x + 2 - y
    assert res.loss == pytest.approx(np.mean(r * r), rel=1e-14)
    for name, d in (("a", x**2), ("b", x), ("c", 1.0)):
        assert res.grad[name] == pytest.approx(np.mean(2 * r * d), rel=1e-13)


def test_huber_and_logcosh_gradients_match_finite_differences():
    x, y = X1, Y * 5
    for loss, reference in [
        ("huber", lambda r: special.huber(0.7, r)),
        ("logcosh", lambda r: np.log(np.cosh(r))),
        ("(pred - y)^4", lambda r: r**4),
    ]:
        res = fit("a*x + b", {"x": x, "y": y}, loss=loss, delta=0.7, p0={"a": 0.3, "b": -0.2}, epochs=0)

        def mean_loss(p, reference=reference):
            return np.mean(reference(p[0] * x + p[1] - y))

        h = 1e-6
        fd = [(mean_loss([0.3 + h, -0.2]) - mean_loss([0.3 - h, -0.2])) / (2 * h)]
        fd += [(mean_loss([0.3, -0.2 + h]) - mean_loss([0.3, -0.2 - h])) / (2 * h)]
        assert [res.grad["a"], res.grad["b"]] == pytest.approx(fd, rel=1e-6), loss
        assert res.loss == pytest.approx(mean_loss([0.3, -0.2]))
        assert res.stderr is None


def test_logistic_regression_matches_scipy_and_reports_accuracy():
    x = np.concatenate([RNG.normal(-1, 1, 60), RNG.normal(1.5, 1, 60)])
    label = np.concatenate([np.zeros(60), np.ones(60)])
    res = fit(
        "sigmoid(w*x + c)", {"x": x, "label": label}, target="label", loss="log_loss", optimizer="newton", epochs=50
    )

    def nll(p):  # independent: numpy's logaddexp
        z = p[0] * x + p[1]
        return np.mean(np.logaddexp(0, z) - label * z)

    ref = optimize.minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10})
    assert [res.params["w"], res.params["c"]] == pytest.approx(ref.x, abs=1e-5)
    assert res.log_loss == pytest.approx(ref.fun) and res.loss == pytest.approx(ref.fun)
    probabilities = special.expit(ref.x[0] * x + ref.x[1])
    assert res.accuracy == pytest.approx(np.mean((probabilities >= 0.5) == label))
    assert res.predict({"x": x}) == pytest.approx(probabilities, abs=1e-6)
    assert res.r2 is None and res.stderr is None


def test_crossentropy_with_separable_data_and_huge_logits_stays_finite():
    x = np.array([-3.0, -2.0, 2.0, 3.0])
    res = fit("sigmoid(w*x)", {"x": x, "y": np.array([0, 0, 1, 1])}, loss="bce", p0={"w": 300}, lr=1, epochs=20)
    assert res.success and math.isfinite(res.loss) and res.accuracy == 1


def test_crossentropy_needs_labels_between_0_and_1():
    with pytest.raises(ArgumentError, match="between 0 and 1"):
        fit("sigmoid(w*x)", {"x": [1, 2], "y": [0, 2]}, loss="bce")


def test_ridge_regularisation_has_the_closed_form():
    lam = 0.3
    res = fit(LINEAR, DATA, optimizer="newton", epochs=10, l2={"w1": lam, "w2": lam})
    design = np.column_stack([X1, X2, np.ones_like(X1)])
    n = len(Y)
    penalty = np.diag([lam, lam, 0.0])
    coef = np.linalg.solve(design.T @ design / n + penalty, design.T @ Y / n)
    assert [res.params[k] for k in ("w1", "w2", "c")] == pytest.approx(coef, abs=1e-10)


def test_l1_adds_its_subgradient():
    plain = fit(LINEAR, DATA, p0=[0.5, -1, 2], epochs=0)
    lasso = fit(LINEAR, DATA, p0=[0.5, -1, 2], epochs=0, l1=0.25)
    assert lasso.loss == pytest.approx(plain.loss + 0.25 * 3.5)
    assert [lasso.grad[k] - plain.grad[k] for k in ("c", "w1", "w2")] == pytest.approx([0.25, -0.25, 0.25])


def test_minibatches_are_reproducible_from_the_seed():
    kwargs = dict(optimizer="momentum", lr=0.05, epochs=20, batch_size=7, tol=0)
    a, b, c = (
        fit(LINEAR, DATA, seed=1, **kwargs),
        fit(LINEAR, DATA, seed=1, **kwargs),
        fit(LINEAR, DATA, seed=2, **kwargs),
    )
    assert a.params == b.params and a.history.tolist() == b.history.tolist()
    assert a.params != c.params
    assert a.iterations == 20 * math.ceil(40 / 7) and a.epochs == 20 and len(a.history) == 21
    coef, _, _ = least_squares()
    assert a.params["w1"] == pytest.approx(coef["w1"], abs=0.05)


def test_stochastic_and_unshuffled_batches():
    sgd = fit(LINEAR, DATA, lr=0.05, epochs=30, batch_size=1, tol=0)
    assert sgd.iterations == 30 * 40 and sgd.loss < 0.05
    fixed = fit(LINEAR, DATA, lr=0.05, epochs=3, batch_size=8, shuffle=False, seed=None)
    again = fit(LINEAR, DATA, lr=0.05, epochs=3, batch_size=8, shuffle=False, seed=99)
    assert fixed.params == again.params


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_fits(name):
    lr = {"gd": 0.5, "newton": 1.0, "adagrad": 0.5}.get(name, 0.05)
    res = fit(LINEAR, DATA, optimizer=name, lr=lr, epochs=300, tol=0)
    coef, _, residual = least_squares()
    assert res.success
    assert res.loss < np.mean(residual**2) + 0.01
    assert res.params["w1"] == pytest.approx(coef["w1"], abs=0.1)


def test_line_search_works_on_batches():
    res = fit(LINEAR, DATA, optimizer="gd", lr=4.0, line_search=True, epochs=200, batch_size=10)
    coef, _, _ = least_squares()
    assert res.params["w1"] == pytest.approx(coef["w1"], abs=0.05)


class FakeFrame:
    """Duck-typed DataFrame: ``columns`` and ``frame[name]`` with ``to_numpy()``, no pandas needed."""

    class Column:
        def __init__(self, values):
            self.values = list(values)

        def to_numpy(self):
            return np.array(self.values)

        def __len__(self):
            return len(self.values)

    def __init__(self, mapping):
        self.columns = list(mapping)
        self._data = {k: self.Column(v) for k, v in mapping.items()}

    def __getitem__(self, name):
        return self._data[name]


def test_every_kind_of_data_gives_the_same_fit(tmp_path):
    structured = np.zeros(40, dtype=[("x1", float), ("x2", float), ("y", float), ("note", "U5")])
    for name in ("x1", "x2", "y"):
        structured[name] = DATA[name]
    path = tmp_path / "data.csv"
    lines = ["x1,x2,y,note"] + [f"{a!r},{b!r},{c!r},row" for a, b, c in zip(X1.tolist(), X2.tolist(), Y.tolist())]
    path.write_text("\n".join(lines) + "\n")
    reference = fit(LINEAR, DATA, optimizer="newton", epochs=5)
    for data in (structured, FakeFrame(DATA), path, str(path), {k: list(v) for k, v in DATA.items()}):
        res = fit(LINEAR, data, optimizer="newton", epochs=5)
        assert res.params == pytest.approx(reference.params, abs=1e-12)


def test_data_errors_are_one_sentence(tmp_path):
    cases = [
        ({"x": [1, 2, 3]}, "no column 'y'"),
        ({"x": [1, 2, 3], "y": [1, 2]}, "differ in length"),
        ({"x": [1, "a", 3], "y": [1, 2, 3]}, "'x' is not numeric"),
        ({"x": [1, float("nan"), 3], "y": [1, 2, 3]}, "non-finite value"),
        ({"x": [], "y": []}, "no rows"),
        ([1, 2, 3], "data must be"),
        (np.zeros(3), "structured"),
        (tmp_path / "missing.csv", "cannot read the data file"),
    ]
    for data, match in cases:
        with pytest.raises(ArgumentError, match=match):
            fit("a*x", data)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3\n")
    with pytest.raises(ArgumentError, match="line 3"):
        fit("a*x", bad)
    blank = tmp_path / "blank.csv"
    blank.write_text("x,y\n1,2\n,4\n")
    with pytest.raises(ArgumentError, match="'x' is not numeric"):
        fit("a*x", blank)


def test_argument_errors():
    data = {"x": [1.0, 2.0], "y": [1.0, 2.0]}
    for kwargs, match in [
        (dict(p0={"q": 1}), "not a parameter"),
        (dict(p0=[1, 2]), "p0 has 2 values"),
        (dict(batch_size=0), "batch_size"),
        (dict(epochs=-1), "epochs"),
        (dict(l2=-1), "l2"),
        (dict(l1={"zz": 1}), "not a parameter"),
        (dict(params=["zz"]), "does not use"),
        (dict(optimizer="nope"), "unknown optimizer"),
        (dict(lr=-1), "learning rate"),
    ]:
        with pytest.raises(ArgumentError, match=match):
            fit("a*x", data, **kwargs)
    with pytest.raises(ArgumentError, match="target"):
        fit("a*x + y", data)
    with pytest.raises(ArgumentError, match="no parameters"):
        fit("x", data)
    with pytest.raises(FormulaError):
        fit("a*x + __import__('os')", data)


def test_params_argument_decides_what_is_fitted():
    data = {"x": X1, "y": 3 * X1 + 2}
    res = fit("a*x + b", data, params=["b", "a"], optimizer="newton", epochs=5)
    assert res.parameters == ("b", "a") and res.params["a"] == pytest.approx(3)
    with pytest.raises(ArgumentError, match="neither a parameter nor a data column"):
        fit("a*x + b + z", data, params=["a", "b"])


def test_divergence_is_a_status():
    res = fit(LINEAR, DATA, lr=100.0, epochs=500)
    assert res.status == "diverged" and not res.success
    assert all(math.isnan(v) for v in res.stderr.values())
    assert res.best_loss <= res.history[0]


def test_callback_sees_every_epoch_and_can_stop():
    seen = []

    def callback(epoch, loss):
        seen.append((epoch, loss))
        if epoch == 3:
            raise StopIteration

    res = fit(LINEAR, DATA, epochs=100, callback=callback)
    assert [e for e, _ in seen] == [1, 2, 3] and res.status == "callback" and res.epochs == 3


def test_symbolic_work_is_done_once_whatever_the_data_size(monkeypatch):
    from symgd import derive

    calls = []
    original = derive.gradient
    monkeypatch.setattr(derive, "gradient", lambda *a, **k: calls.append(1) or original(*a, **k))
    counts = []
    for n in (10, 200_000):
        calls.clear()
        x = np.linspace(0, 1, n)
        res = fit("a*x**2 + b*x", {"x": x, "y": 3 * x}, epochs=3, tol=0)
        counts.append(len(calls))
        assert res.epochs == 3
    assert counts[0] == counts[1] <= 3  # the same few derivations, however many rows


def test_predict_report_html_and_json():
    res = fit(LINEAR, DATA, optimizer="newton", epochs=5)
    new = {"x1": np.array([0.0, 1.0]), "x2": np.array([0.0, 0.0])}
    assert res.predict(new) == pytest.approx([res.params["c"], res.params["c"] + res.params["w1"]])
    text = res.report()
    assert "[[Fit Statistics]]" in text and "[[Parameters]]" in text and "+/-" in text and "R²" in text
    assert str(res) == text
    assert "<table>" in res._repr_html_() and "w1" in res._repr_html_()
    plain = json.loads(res.to_json())
    assert plain["params"]["w1"] == pytest.approx(res.params["w1"]) and plain["status"] == "converged"
    assert isinstance(res, FitResult) and symgd.fit is fit and symgd.FitResult is FitResult


def test_a_constant_model_is_the_mean_with_the_standard_error_of_the_mean():
    y = np.array([1.0, 2.0, 4.0, 7.0])
    res = fit("c", {"y": y}, optimizer="newton", epochs=5)
    assert res.params["c"] == pytest.approx(y.mean())
    assert res.stderr["c"] == pytest.approx(y.std(ddof=1) / np.sqrt(len(y)))
    assert res.predict({"anything": [0, 0]}).tolist() == [y.mean(), y.mean()]


def test_a_polynomial_with_many_parameters_matches_lstsq():
    x = np.linspace(-1, 1, 200)
    y = np.cos(3 * x) + 0.01 * RNG.normal(size=200)
    model = " + ".join(f"w{i}*x^{i}" for i in range(9))
    res = fit(model, {"x": x, "y": y}, optimizer="newton", epochs=5, p0=[0.0] * 9)
    coef, *_ = np.linalg.lstsq(np.vander(x, 9, increasing=True), y, rcond=None)
    assert res.parameters == tuple(f"w{i}" for i in range(9))
    assert res.x == pytest.approx(coef, abs=1e-7)
    assert all(math.isfinite(v) and v > 0 for v in res.stderr.values())


def test_crossentropy_of_a_model_that_is_not_a_sigmoid():
    # 0.5 + 0.5·tanh(z) = sigmoid(2z): the fit lands on half the logistic regression's coefficients
    x = np.concatenate([RNG.normal(-1, 1, 50), RNG.normal(1, 1, 50)])
    label = np.concatenate([np.zeros(50), np.ones(50)])
    logistic = fit("sigmoid(w*x + c)", {"x": x, "y": label}, loss="bce", optimizer="newton", epochs=30)
    tanh = fit("0.5 + 0.5*tanh(w*x + c)", {"x": x, "y": label}, loss="bce", optimizer="newton", epochs=30, p0=[0, 0])
    assert tanh.params["w"] == pytest.approx(logistic.params["w"] / 2, rel=1e-5)
    assert tanh.params["c"] == pytest.approx(logistic.params["c"] / 2, rel=1e-5)
    assert tanh.log_loss == pytest.approx(logistic.log_loss, rel=1e-8)


# -- the batched numpy path: the same numbers as a loop written by hand, the data untouched, memory bounded


def hand_gd(x, y, lr, epochs, a=1.0, b=1.0):
    """Full-batch gradient descent on mean((a·x² + b·x − y)²), written out: the reference."""
    losses = []
    for epoch in range(epochs + 1):
        r = a * (x * x) + b * x - y
        losses.append(np.mean(r * r))
        if epoch < epochs:
            ga, gb = np.mean(2 * r * (x * x)), np.mean(2 * r * x)
            a, b = a - lr * ga, b - lr * gb
    return np.array([a, b]), np.array(losses)


def test_full_batch_gradient_descent_is_the_hand_written_loop():
    x = RNG.uniform(-2, 2, 5000)
    y = 3 * x * x - 2 * x + RNG.normal(0, 0.1, 5000)
    res = fit("a*x**2 + b*x", {"x": x, "y": y}, lr=0.05, epochs=40, tol=0)
    params, losses = hand_gd(x, y, 0.05, 40)
    np.testing.assert_allclose(res.x, params, rtol=1e-13)
    np.testing.assert_allclose(res.history, losses, rtol=1e-13)
    np.testing.assert_allclose(res.predict({"x": x}), params[0] * x * x + params[1] * x, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("batch_size", [None, 7])
def test_the_data_are_never_written(batch_size):
    # u - y is formed in place in u's own array: never in a data column, nor in u when the gradient shares it
    x = RNG.uniform(-1, 1, 60)
    y = 2 * np.exp(0.5) * x + RNG.normal(0, 0.01, 60)
    data = {"x": x.copy(), "y": y.copy()}
    for model in ("exp(a)*x", "exp(a)*x + b", "a*x**2 + x", "a"):
        res = fit(model, data, lr=0.05, epochs=5, tol=0, batch_size=batch_size)
        np.testing.assert_array_equal(data["x"], x)
        np.testing.assert_array_equal(data["y"], y)
        assert np.isfinite(res.loss)


def test_a_model_equal_to_its_own_derivative():
    # u = exp(a)·x and ∂u/∂a are the same array: the residual must not be formed in it
    x = np.linspace(-1, 1, 101)
    y = 3.0 * x
    res = fit("exp(a)*x", {"x": x, "y": y}, lr=0.1, epochs=30, tol=0, p0=[0.0])
    a = 0.0
    for _ in range(30):
        r = np.exp(a) * x - y
        a -= 0.1 * np.mean(2 * r * np.exp(a) * x)
    assert res.params["a"] == pytest.approx(a, rel=1e-13)


def test_losses_of_the_residual_alone_are_compiled_in_it():
    from symgd.fitting import _Compiled
    from symgd.limits import DEFAULT_LIMITS
    from symgd.parse import parse

    parsed = parse("a*x + b")
    params = [s for s in parsed.symbols if s.name in "ab"]
    inputs = [s for s in parsed.symbols if s.name == "x"]
    for loss, residual in [("mse", True), ("mae", True), ("huber", True), ("logcosh", True),
                           ("(pred - y)^4", True), ("pred^2 - y", False), ("bce", False)]:  # fmt: skip
        compiled = _Compiled(parsed.expr, params, inputs, loss, 1.0, False, DEFAULT_LIMITS)
        assert compiled.residual is residual, loss


def test_peak_memory_of_a_full_batch_fit_is_a_few_columns():
    import tracemalloc

    x = RNG.uniform(-1, 1, 400_000)
    y = 2 * x * x - 3 * x
    fit("a*x**2 + b*x", {"x": x, "y": y}, epochs=1, tol=0)  # sympy's caches warm
    tracemalloc.start()
    fit("a*x**2 + b*x", {"x": x, "y": y}, epochs=3, tol=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= 3 * (x.nbytes + y.nbytes)  # x² once, u or r, the loss and its slope: no (rows × params) arrays
