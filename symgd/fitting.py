"""`symgd.fit`: fit the parameters of a model formula to data by gradient descent.

The loss of *one row* is built symbolically, with the row's inputs and target
as symbols, and its gradient with respect to the parameters is derived once
and compiled into one numpy function. Every step then evaluates that function
on all the rows of a batch at once (one array per data column, the parameters
as numbers) and averages: the symbolic work does not grow with the data, and
no symbolic sum over the rows is ever built.

>>> import numpy as np
>>> x = np.arange(5.0)
>>> res = fit("a*x + b", {"x": x, "y": 2 * x + 1}, optimizer="newton", epochs=5)
>>> res.status, round(res.params["a"], 9), round(res.params["b"], 9)
('converged', 2.0, 1.0)
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from . import compiler, derive
from .errors import ArgumentError, FormulaError, LimitError
from .limits import DEFAULT_LIMITS, Budget, Limits
from .losses import CLASSIFICATION, LOSSES, row_loss, sigmoid_logit
from .optimizers import NEEDS_HESSIAN, OPTIMIZERS, GradientTransformation, Problem, default_learning_rate, get_optimizer
from .parse import parse
from .result import CONVERGED, DIVERGED, MAX_ITER, UNDEFINED
from .schedules import non_negative_number

Array = np.ndarray

#: Where a parameter starts when ``p0`` does not say: 1.0 (as `symgd.minimize`).
DEFAULT_START = 1.0
#: The loss has diverged once it is this many times worse than its best value.
GROWTH_LIMIT = 1e10


# -- data


def read_csv(path: str | os.PathLike) -> dict[str, list[str]]:
    """The columns of a CSV file with a header row, as lists of strings."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise ArgumentError(f"cannot read the data file {os.fspath(path)!r}: {error.strerror or error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise ArgumentError(f"cannot read the data file {os.fspath(path)!r} as CSV: {error}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ArgumentError(f"the data file {os.fspath(path)!r} is empty; it needs a header row and data rows")
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header):
        raise ArgumentError(f"the data file {os.fspath(path)!r} names a column twice in its header")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ArgumentError(
                f"line {number} of {os.fspath(path)!r} has {len(row)} fields but the header has {len(header)}"
            )
    return {name: [row[i].strip() for row in rows[1:]] for i, name in enumerate(header)}


def columns_of(data: Any) -> dict[str, Any]:
    """The columns of ``data`` by name, unconverted: a mapping of arrays, a numpy structured
    array, an object with ``columns`` and ``data[name]`` (a pandas DataFrame), or a CSV path."""
    if isinstance(data, (str, os.PathLike)):
        return read_csv(data)
    if isinstance(data, np.ndarray):
        if data.dtype.names is None:
            raise ArgumentError("a numpy array as data must be a structured array with named fields")
        return {name: data[name] for name in data.dtype.names}
    if isinstance(data, Mapping):
        return {str(name): value for name, value in data.items()}
    columns = getattr(data, "columns", None)
    if columns is not None and hasattr(data, "__getitem__"):
        return {str(name): data[name] for name in list(columns)}
    raise ArgumentError(
        f"data must be a dict of arrays, a numpy structured array, a DataFrame or a CSV path, not {type(data).__name__}"
    )


def _numeric(name: str, values: Any) -> Array:
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        column = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raw = np.asarray(values, dtype=object).reshape(-1)
        bad = next((v for v in raw if not _is_number(v)), None)
        raise ArgumentError(f"column {name!r} is not numeric: it contains {bad!r}") from None
    if column.ndim != 1:
        raise ArgumentError(f"column {name!r} must be one-dimensional, not of shape {column.shape}")
    if not np.all(np.isfinite(column)):
        row = int(np.argmax(~np.isfinite(column)))
        raise ArgumentError(f"column {name!r} has a missing or non-finite value ({column[row]}) in row {row}")
    return column


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _length(values: Any) -> int:
    try:
        return len(values)
    except TypeError:
        raise ArgumentError(f"a data column must be a sequence of numbers, not {type(values).__name__}") from None


def numeric_columns(data: Any, names: Sequence[str]) -> dict[str, Array]:
    """The named columns of ``data`` as float arrays of one length, checked (numbers, finite)."""
    raw = columns_of(data)
    if not raw:
        raise ArgumentError("the data has no columns")
    lengths = {name: _length(values) for name, values in raw.items()}
    if len(set(lengths.values())) > 1:
        (a, na), (b, nb) = sorted(lengths.items(), key=lambda item: item[1])[:: len(lengths) - 1]
        raise ArgumentError(f"the data columns differ in length: {a!r} has {na} rows but {b!r} has {nb}")
    for name in names:
        if name not in raw:
            raise ArgumentError(f"the data has no column {name!r}; its columns are {', '.join(map(repr, raw))}")
    out = {name: _numeric(name, raw[name]) for name in names}
    if next(iter(lengths.values())) == 0:
        raise ArgumentError("the data has no rows")
    return out


# -- the compiled model


class _Compiled:
    """The model and the per-row loss, derived once and compiled; evaluated over rows.

    The loss of a row is ``L(u, y)`` of one inner value ``u(θ, x)``: the model's
    prediction, or its logit for a cross-entropy of a sigmoid model. Both are
    derived symbolically once — ``∂L/∂u`` and ``∂²L/∂u²`` in (u, y), ``∇θ u`` and
    ``∇²θ u`` in (θ, x) — and compiled; the chain rule ``∇θ L = ∂L/∂u · ∇θ u`` is
    then applied on numpy arrays, one parameter at a time (no array of rows ×
    parameters). Splitting at ``u`` keeps the expressions small: no squared
    model is ever expanded.

    The data are columns, one array per input, then the *features*, then the
    target (`columns`). Features are the parts of the model that depend on the
    data alone (``x**2`` in ``a*x**2 + b*x``): the same at every step, so they
    are computed once, not once per step. The parameters enter the compiled
    functions as numbers, not as arrays as long as the data. A loss of the
    residual alone (``mse``, ``mae``, ``huber``, ``logcosh``, a formula in
    ``pred - y``) is compiled in the residual ``r = u - y``, formed once.
    """

    def __init__(self, model_expr, params, inputs, loss: str, delta: float, need_hessian: bool, limits):
        self.params, self.inputs, self._limits = params, inputs, limits
        u, y = sympy.Dummy("u", real=True), sympy.Dummy("y", real=True)
        key = loss.strip().lower() if isinstance(loss, str) else loss
        logit = sigmoid_logit(model_expr) if key in LOSSES and LOSSES[key][1] == CLASSIFICATION else None
        self.inner = model_expr if logit is None else logit
        self._model_expr = model_expr
        self.per_row = row_loss(loss, u if logit is None else 1 / (1 + sympy.exp(-u)), y, delta=delta, limits=limits)
        r = sympy.Dummy("r", real=True)
        of_residual = self.per_row.expr.xreplace({u: r + y})
        self.residual = y not in of_residual.free_symbols
        outer_symbols, outer_loss = ([r], of_residual) if self.residual else ([u, y], self.per_row.expr)
        #: the squared error: its mean and gradient are dot products of the residual (no arrays of the loss)
        self.squared = self.residual and sympy.expand(outer_loss - r**2) == 0
        budget = Budget(limits.time_budget)
        with budget.spend("differentiating the loss"):
            (self._dl,) = derive.gradient(outer_loss, outer_symbols[:1], limits)
            (self._d2l,) = derive.gradient(self._dl, outer_symbols[:1], limits)
            self.inner_grad = derive.gradient(self.inner, params, limits)
        self._outer_symbols = outer_symbols
        with budget.spend("compiling the loss and its gradient"):
            model_symbols, inner = [*params, *inputs], [self.inner, *self.inner_grad]
            # the common parts of u and ∇θ u that depend on the data alone (x**2 in a*x**2 + b*x)
            parts = compiler.common_parts(model_symbols, inner, without=params)
            self.features = {part: sympy.Dummy(f"feature{i}", real=True) for i, part in enumerate(parts)}
            self._inner_symbols = [*model_symbols, *self.features.values()]
            self.outer = compiler.lambdify_list(outer_symbols, [outer_loss, self._dl], limits)
            self.inner_and_grad = compiler.lambdify_list(self._inner_symbols, inner, limits, known=self.features)
            self._compute_features = compiler.lambdify_list(inputs, parts, limits)
        self._model = None
        self.hessian = None
        if need_hessian:
            self.compile_hessian()

    def compile_hessian(self) -> None:
        """Derive and compile the Hessian of the inner value (once; its own time budget)."""
        if self.hessian is not None:
            return
        budget = Budget(self._limits.time_budget)
        with budget.spend("computing the Hessian of the model"):
            hess = derive.hessian(self.inner, self.params, self._limits, grad=self.inner_grad)
        with budget.spend("compiling the Hessian of the model"):
            self._slopes = compiler.lambdify_list(self._outer_symbols, [self._dl, self._d2l], self._limits)
            self.hessian = compiler.lambdify_list(self._inner_symbols, list(hess), self._limits, known=self.features)

    def columns(self, inputs: Sequence[Array], target: Array) -> list[Array]:
        """The data as the compiled functions take it: the inputs, the features, the target."""
        with np.errstate(all="ignore"):
            features = self._compute_features(list(inputs)) if self.features else []
        k = target.size
        return [*inputs, *(_rows(np.asarray(f, dtype=float), k) for f in features), target]

    def _inner_parts(self, theta: Array, data: Sequence[Array]) -> list:
        """u and ∇θ u per row: arrays over the rows, or numbers where they do not depend on the data."""
        return self.inner_and_grad([*theta, *data[:-1]])  # the parameters as numbers (numpy scalars)

    def _loss_slope(self, u, y: Array, keep: Sequence = ()) -> tuple[Any, Any, Array | None]:
        """The loss and ∂L/∂u per row, and a spare array of the rows to reuse (the residual's
        or u's, where they are this step's own arrays; None otherwise). ``keep``: arrays still needed."""
        if self.residual:
            # u - y in place where u is an array of its own: one array less to allocate per step
            u = np.subtract(u, y, out=u) if _own(u, [*keep, y]) else u - y
            loss, dl = self.outer([u])
        else:
            loss, dl = self.outer([u, y])
        return loss, dl, (u if _own(u, [*keep, y, loss, dl]) else None)

    def inputs_of(self, data: Sequence[Array]) -> Array | Sequence[Array]:
        """The input columns of ``data`` (an empty (0, k) array for a model without inputs)."""
        m = len(self.inputs)
        return data[:m] if m else np.empty((0, data[-1].size))

    def mean_loss_grad(self, theta: Array, data: Sequence[Array]) -> tuple[float, Array]:
        """The mean loss over the rows and its gradient."""
        k = data[-1].size
        with np.errstate(all="ignore"):
            u, *jac = self._inner_parts(theta, data)
            if self.squared and np.ndim(u) == 1:
                r = np.subtract(u, data[-1], out=u) if _own(u, [*jac, *data]) else u - data[-1]
                grad = [2.0 * _mean_product(r, j, None, k) for j in jac]
                return float(np.dot(r, r)) / k, np.array(grad, dtype=float)
            loss, dl, spare = self._loss_slope(u, data[-1], keep=[*jac, *data])
            del u
            mean = float(np.mean(_rows(loss, k)))
            del loss
            # ∂L/∂θ_i = mean of ∂L/∂u · ∂u/∂θ_i, one parameter at a time
            return mean, np.array([_mean_product(dl, j, spare, k) for j in jac], dtype=float)

    def mean_hessian(self, theta: Array, data: Sequence[Array]) -> Array:
        """Mean over the rows of ∂²L/∂u² ∇u ∇uᵀ + ∂L/∂u ∇²u: the exact Hessian of the mean loss."""
        p, k = theta.size, data[-1].size
        h = np.empty((p, p))
        with np.errstate(all="ignore"):
            u, *jac = self._inner_parts(theta, data)
            dl, d2l = self._slopes([u - data[-1]] if self.residual else [u, data[-1]])
            del u
            second = self.hessian([*theta, *data[:-1]])
            finite = None
            for i in range(p):
                curved = _rows(jac[i] * d2l, k)
                for j in range(i, p):  # symmetric: each entry once
                    entry = second[i * p + j]
                    if np.ndim(entry) == 0 and entry == 0:  # ∇²u is 0 here (a model linear in θ_i, θ_j)
                        finite = bool(np.all(np.isfinite(dl))) if finite is None else finite
                        term = 0.0 if finite else np.mean(_rows(entry * dl, k))  # the mean of 0·∂L/∂u
                    else:
                        term = np.mean(_rows(entry * dl, k))
                    h[i, j] = h[j, i] = np.dot(curved, _rows(jac[j], k)) / k + term
        return h

    def predict(self, theta: Array, inputs: Array | Sequence[Array], features: Sequence[Array] | None = None) -> Array:
        """The model at every row of ``inputs`` (one array per input: shape (m, k), or a list);
        ``features``, those of these rows where already computed (`columns`)."""
        k = inputs.shape[1] if isinstance(inputs, np.ndarray) else inputs[0].size
        with np.errstate(all="ignore"):
            if self.inner is self._model_expr:  # u is the model: the very code the fit ran
                if features is None:
                    features = self.columns(list(inputs), np.empty(k))[len(self.inputs) : -1]
                pred = self.inner_and_grad([*theta, *inputs, *features])[0]
            else:
                if self._model is None:
                    self._model = compiler.lambdify_list([*self.params, *self.inputs], [self._model_expr], self._limits)
                (pred,) = self._model([*theta, *inputs])
        if _own(pred, list(inputs)) and pred.shape == (k,):
            return pred
        out = np.empty(k)
        out[...] = pred
        return out

    def predict_data(self, theta: Array, data: Sequence[Array]) -> Array:
        """The model at every row of ``data`` (`columns`)."""
        return self.predict(theta, self.inputs_of(data), data[len(self.inputs) : -1])


def _own(value, others: Sequence) -> bool:
    """Is ``value`` a float array that nothing in ``others`` shares (free to overwrite)?"""
    return (
        isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.ndim == 1
        and value.flags.owndata
        and value.flags.writeable
        and not any(isinstance(o, np.ndarray) and np.may_share_memory(value, o) for o in others)
    )


def _mean_product(a, b, out: Array | None, k: int) -> float:
    """The mean over the ``k`` rows of ``a * b``: one pass of a dot product where both are
    arrays of the rows, else through ``out`` where given."""
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return float(np.dot(a, b)) / k
    return float(np.mean(_times(a, b, out, k)))


def _times(a, b, out: Array | None, k: int) -> Array:
    """``a * b`` over the ``k`` rows, into ``out`` where given."""
    return _rows(a * b, k) if out is None else np.multiply(a, b, out=out)


def _rows(value, k: int) -> Array:
    """``value`` as an array over the ``k`` rows (a number is broadcast, without a copy)."""
    return value if np.ndim(value) == 1 else np.broadcast_to(value, (k,))


# -- the result


@dataclass
class FitResult:
    """What `symgd.fit` returns.

    Attributes
    ----------
    params : dict
        The fitted parameters by name.
    loss : float
        The loss on all the data at ``params`` (with the regularisation, if any).
    history : ndarray (epochs + 1,)
        The loss on all the data at the start and after every epoch.
    status, success, message
        ``"converged"`` (‖∇loss‖ ≤ tol), ``"max_iter"`` (every epoch done; a
        success), ``"diverged"`` or ``"undefined"``; one sentence why.
    iterations, epochs
        Optimizer steps taken, and epochs done.
    grad : dict
        The gradient of the loss at ``params``, by parameter.
    stderr : dict or None
        Standard errors from the exact Hessian (least squares only).
    metrics : dict
        ``r2`` and ``rmse`` for regression; ``accuracy`` and ``log_loss``
        for classification.
    """

    params: dict[str, float]
    loss: float
    history: Array = field(repr=False)
    status: str
    success: bool
    message: str
    iterations: int
    epochs: int
    grad: dict[str, float] = field(repr=False)
    stderr: dict[str, float] | None
    metrics: dict[str, float]
    model: str = ""
    loss_name: str = "mse"
    target: str = "y"
    inputs: tuple[str, ...] = ()
    n_rows: int = 0
    batch_size: int = 0
    optimizer: str = "gd"
    lr: Any = None
    p0: dict[str, float] = field(default_factory=dict, repr=False)
    best_params: dict[str, float] = field(default_factory=dict, repr=False)
    best_loss: float = math.nan
    params_history: Array | None = field(default=None, repr=False)  # (epochs + 1, p): the parameters per epoch
    _predict: Callable[[Array, Array], Array] | None = field(default=None, repr=False)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameter names, in order."""
        return tuple(self.params)

    @property
    def x(self) -> Array:
        """The fitted parameters as an array, in the order of `parameters`."""
        return np.array(list(self.params.values()))

    def __getattr__(self, name: str):
        metrics = self.__dict__.get("metrics", {})
        if name in ("r2", "rmse", "accuracy", "log_loss"):
            return metrics.get(name)
        raise AttributeError(name)

    def predict(self, data: Any) -> Array:
        """The model's predictions on ``data`` (same kinds as `fit` takes; the target is not needed).

        For ``binary_crossentropy`` these are the model's outputs, probabilities.
        """
        if self.inputs:
            columns = numeric_columns(data, self.inputs)
            rows = np.array([columns[name] for name in self.inputs])
        else:  # a model without inputs predicts the same value for every row
            lengths = [_length(values) for values in columns_of(data).values()]
            rows = np.empty((0, lengths[0] if lengths else 1))
        return self._predict(self.x, rows)

    def plot(self, data: Any):
        """A matplotlib `Figure`: the data with the fitted curve (or predicted against actual) and
        the loss per epoch (`symgd.plotting.plot_fit`; needs ``pip install "symgd[plot]"``)."""
        from .plotting import plot_fit

        return plot_fit(self, data)

    def report(self) -> str:
        """A readable report of the fit, in the style of lmfit's ``fit_report``."""
        lines = ["[[Model]]", f"    {self.model}", "[[Fit Statistics]]"]
        batch = "full batch" if self.batch_size >= self.n_rows else f"batch size {self.batch_size}"
        rate = self.lr if not callable(self.lr) else "schedule"
        stats = [
            ("loss function", self.loss_name),
            ("optimizer", f"{self.optimizer} (lr = {rate}), {batch}"),
            ("data points", self.n_rows),
            ("parameters", len(self.params)),
            ("epochs", f"{self.epochs} ({self.iterations} iterations)"),
            ("status", self.status),
            ("final loss", f"{self.loss:.8g}"),
        ]
        stats += [(_METRIC_NAMES[k], f"{v:.8g}") for k, v in self.metrics.items()]
        width = max(len(k) for k, _ in stats)
        lines += [f"    {k:<{width}} = {v}" for k, v in stats]
        lines += [f"    {self.message}", "[[Parameters]]"]
        width = max((len(n) for n in self.params), default=0) + 1
        for name, value in self.params.items():
            line = f"    {name + ':':<{width}} {value: .8g}"
            err = (self.stderr or {}).get(name)
            if err is not None and math.isfinite(err):
                relative = f" ({abs(err / value):.2%})" if value else ""
                line += f" +/- {err:.8g}{relative}"
            line += f" (init = {self.p0.get(name, math.nan):g})"
            lines.append(line)
        if self.stderr is None:
            lines.append("    (standard errors are reported for least-squares fits, loss='mse')")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{value:.8g}</td>"
            f"<td>{_fmt((self.stderr or {}).get(name))}</td><td>{self.p0.get(name, math.nan):g}</td></tr>"
            for name, value in self.params.items()
        )
        stats = [
            ("model", html.escape(self.model)),
            ("loss function", html.escape(self.loss_name)),
            ("optimizer", html.escape(f"{self.optimizer}")),
            ("data points", self.n_rows),
            ("epochs", f"{self.epochs} ({self.iterations} iterations)"),
            ("status", html.escape(self.status)),
            ("final loss", f"{self.loss:.8g}"),
        ] + [(_METRIC_NAMES[k], f"{v:.8g}") for k, v in self.metrics.items()]
        stat_rows = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in stats)
        return (
            "<div><h4>Fit Statistics</h4>"
            f"<table>{stat_rows}</table><p>{html.escape(self.message)}</p>"
            "<h4>Parameters</h4><table><tr><th>name</th><th>value</th><th>standard error</th><th>initial</th></tr>"
            f"{rows}</table></div>"
        )

    def to_dict(self) -> dict:
        """Plain Python data (non-finite numbers as None), e.g. for JSON."""
        return {
            "model": self.model,
            "loss_function": self.loss_name,
            "target": self.target,
            "inputs": list(self.inputs),
            "params": {k: _plain(v) for k, v in self.params.items()},
            "stderr": None if self.stderr is None else {k: _plain(v) for k, v in self.stderr.items()},
            "p0": {k: _plain(v) for k, v in self.p0.items()},
            "loss": _plain(self.loss),
            "grad": {k: _plain(v) for k, v in self.grad.items()},
            "metrics": {k: _plain(v) for k, v in self.metrics.items()},
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "iterations": self.iterations,
            "epochs": self.epochs,
            "n_rows": self.n_rows,
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "history": [_plain(v) for v in self.history],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)


_METRIC_NAMES = {"r2": "R²", "rmse": "RMSE", "accuracy": "accuracy", "log_loss": "log-loss"}


def _fmt(value) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.4g}"


def _plain(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# -- fit


def fit(
    model: str,
    data: Any,
    target: str = "y",
    loss: str = "mse",
    params: Sequence[str] | None = None,
    p0: Mapping[str, float] | Sequence[float] | None = None,
    optimizer: str | GradientTransformation = "gd",
    lr: Any = None,
    epochs: int = 1000,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | None = 0,
    *,
    max_iter: int | None = None,
    tol: float = 1e-8,
    delta: float = 1.0,
    l1: float | Mapping[str, float] | None = None,
    l2: float | Mapping[str, float] | None = None,
    constants: Mapping[str, object] | None = None,
    callback: Callable[[int, float], object] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    **options,
) -> FitResult:
    """Fit the parameters of ``model`` to ``data`` by minimising the mean per-row ``loss``.

    Parameters
    ----------
    model
        A formula such as ``"a*x**2 + b*x"`` or ``"sigmoid(w*x + c)"``. Its
        names that are columns of ``data`` are inputs; every other name is a
        parameter (or those given in ``params``).
    data
        A dict of arrays, a numpy structured array, a pandas DataFrame (any
        object with ``columns`` and ``data[name]``), or the path of a CSV file
        with a header row.
    target
        The column to predict.
    loss
        ``"mse"``, ``"mae"``, ``"huber"`` (with ``delta``), ``"logcosh"``,
        ``"binary_crossentropy"`` / ``"log_loss"`` (targets 0 or 1, the model
        gives probabilities), or a formula in ``pred`` and ``y``.
    params, p0
        Parameter names in order (default: sorted), and where they start: a
        mapping by name or a sequence in order (default 1.0 each).
    optimizer, lr, options
        Any optimizer of `symgd.optimizers` by name, its learning rate (a
        number or a schedule) and its options (``beta1=...``).
    epochs, max_iter
        Passes over the data (``max_iter`` is a synonym, for full batches).
    batch_size, shuffle, seed
        Rows per step: all of them (None, the default), ``k`` (mini-batch)
        or 1 (stochastic); the rows are shuffled every epoch from ``seed``.
    tol
        Stop when the norm of the full-data gradient is at most ``tol``
        (checked after every epoch); 0 runs every epoch.
    l1, l2
        Regularisation added to the mean loss: ``l1·Σ|θ|`` and ``l2·Σθ²``, a
        number for every parameter or a mapping ``{name: weight}``.
    constants
        Names of the model to replace by numbers.
    callback
        ``callback(epoch, loss)`` after every epoch; raising ``StopIteration``
        stops the fit.
    """
    if not isinstance(model, str):
        raise FormulaError(f"the model must be a formula string, not {type(model).__name__}")
    if max_iter is not None:
        epochs = max_iter
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ArgumentError(f"epochs must be a non-negative integer, not {epochs!r}")
    tol = non_negative_number("tol", tol)
    if not isinstance(target, str) or not target:
        raise ArgumentError(f"target must be a column name, not {target!r}")

    parsed = parse(model, constants=constants, limits=limits)
    columns = columns_of(data)  # a CSV file is read once
    names_in_data = set(columns)
    by_name = {s.name: s for s in parsed.symbols}
    if target in by_name:
        raise ArgumentError(f"the model uses the target column {target!r}; the target is what it predicts")
    if params is not None:
        params = [str(p) for p in params]
        if len(set(params)) != len(params):
            raise ArgumentError("params= names the same parameter twice")
        unknown = [p for p in params if p not in by_name]
        if unknown:
            raise ArgumentError(f"params= names {unknown[0]!r}, which the model does not use")
        inputs = [name for name in by_name if name not in params]
        missing = [name for name in inputs if name not in names_in_data]
        if missing:
            raise ArgumentError(f"the model uses {missing[0]!r}, which is neither a parameter nor a data column")
    else:
        params = [name for name in by_name if name not in names_in_data]
        inputs = [name for name in by_name if name in names_in_data]
    if not params:
        raise ArgumentError(f"the model {model!r} has no parameters to fit: every name in it is a data column")

    values = numeric_columns(columns, [*inputs, target])
    n_rows = len(values[target])

    p_symbols = [by_name[p] for p in params]
    i_symbols = [by_name[name] for name in inputs]
    name = optimizer if isinstance(optimizer, str) else "custom"
    compiled = _Compiled(parsed.expr, p_symbols, i_symbols, loss, delta, name in NEEDS_HESSIAN, limits)
    per_row = compiled.per_row
    if per_row.kind == CLASSIFICATION:
        y = values[target]
        if not np.all((y >= 0) & (y <= 1)):
            raise ArgumentError(f"{per_row.name} needs targets between 0 and 1 (class labels 0/1)")

    data = compiled.columns([values[name] for name in inputs], values[target])  # no copy of the data
    theta0 = _start(p0, params)
    weights1, weights2 = _penalty("l1", l1, params), _penalty("l2", l2, params)
    batch = _batch_size(batch_size, n_rows)
    rate = (
        default_learning_rate(optimizer)
        if lr is None and isinstance(optimizer, str) and optimizer in OPTIMIZERS
        else lr
    )
    step = get_optimizer(optimizer, **({} if rate is None else {"lr": rate}), **options)

    def objective(theta: Array, on: list[Array]) -> tuple[float, Array]:
        f, g = compiled.mean_loss_grad(theta, on)
        return penalised(theta, f, g)

    def penalised(theta: Array, f: float, g: Array) -> tuple[float, Array]:
        if weights1 is not None:
            f += float(np.sum(weights1 * np.abs(theta)))
            g = g + weights1 * np.sign(theta)
        if weights2 is not None:
            f += float(np.sum(weights2 * theta * theta))
            g = g + 2 * weights2 * theta
        return f, g

    current = {"rows": data}  # the batch the optimizer's problem functions see

    def value(theta: Array):
        if theta.ndim == 2:
            return np.array([objective(t, current["rows"])[0] for t in theta.T])
        return objective(theta, current["rows"])[0]

    def grad(theta: Array) -> Array:
        if theta.ndim == 2:
            return np.array([objective(t, current["rows"])[1] for t in theta.T]).T
        return objective(theta, current["rows"])[1]

    def hess(theta: Array) -> Array:
        h = compiled.mean_hessian(theta, current["rows"])
        if weights2 is not None:
            h = h + np.diag(2 * weights2)
        return h

    problem = Problem(value, grad, hess if compiled.hessian is not None else None)

    def on_all_data(theta: Array) -> tuple[float, Array, float]:
        """The objective on all the data, and the mean loss without the penalties."""
        current["rows"] = data
        loss, g = compiled.mean_loss_grad(theta, data)
        return (*penalised(theta, loss, g), loss)

    theta = theta0.copy()
    f, g, data_loss = on_all_data(theta)
    history, path = [f], [theta.copy()]
    status, iterations, epoch = None, 0, 0
    best_theta, best_f = theta.copy(), f
    if not (math.isfinite(f) and np.all(np.isfinite(g))):
        status = UNDEFINED
    else:
        state = step.init(theta, problem)
        ceiling = f + GROWTH_LIMIT * max(1.0, abs(f))
        rng = np.random.default_rng(seed)
    while status is None:
        if tol > 0 and math.sqrt(float(g @ g)) <= tol:
            status = CONVERGED
            break
        if epoch == epochs:
            status = MAX_ITER
            break
        if batch >= n_rows:
            current["rows"] = data
            u, state = step.update(g, state, theta, f, g)
            theta = theta + u
            iterations += 1
        else:
            order = rng.permutation(n_rows) if shuffle else np.arange(n_rows)
            for start in range(0, n_rows, batch):
                picked = order[start : start + batch]
                current["rows"] = [column[picked] for column in data]
                fb, gb = objective(theta, current["rows"])
                u, state = step.update(gb, state, theta, fb, gb)
                theta = theta + u
                iterations += 1
        f, g, data_loss = on_all_data(theta)
        epoch += 1
        history.append(f)
        path.append(theta.copy())
        if not (math.isfinite(f) and np.all(np.isfinite(g))) or f > ceiling:
            status = DIVERGED
            break
        if f < best_f:
            best_theta, best_f = theta.copy(), f
            ceiling = f + GROWTH_LIMIT * max(1.0, abs(f), abs(history[0]))
        if callback is not None:
            try:
                callback(epoch, f)
            except StopIteration:
                status = "callback"

    message = _message(status, epoch, epochs, math.sqrt(float(g @ g)) if np.all(np.isfinite(g)) else math.inf, tol)
    data_loss = data_loss if math.isfinite(f) else math.nan
    y, pred = data[-1], compiled.predict_data(theta, data)
    stderr = None
    if per_row.kind == CLASSIFICATION:
        metrics = {"accuracy": float(np.mean((pred >= 0.5) == (y >= 0.5))), "log_loss": float(data_loss)}
    else:
        residual = np.subtract(pred, y, out=pred)  # the predictions are not needed again
        ss = float(residual @ residual)
        metrics = _regression_metrics(ss, y)
        if per_row.least_squares:  # meaningless where the fit failed
            ok = status not in (DIVERGED, UNDEFINED)
            stderr = _standard_errors(compiled, theta, data, ss) if ok else dict.fromkeys(params, math.nan)
    del pred
    return FitResult(
        params={p: float(v) for p, v in zip(params, theta)},
        loss=float(f),
        history=np.array(history),
        params_history=np.array(path),
        status=status,
        success=status not in (DIVERGED, UNDEFINED),
        message=message,
        iterations=iterations,
        epochs=epoch,
        grad={p: float(v) for p, v in zip(params, g)},
        stderr=stderr,
        metrics=metrics,
        model=str(parsed.expr),
        loss_name=per_row.name if per_row.name != "custom" else loss,
        target=target,
        inputs=tuple(inputs),
        n_rows=n_rows,
        batch_size=min(batch, n_rows),
        optimizer=name,
        lr=rate,
        p0={p: float(v) for p, v in zip(params, theta0)},
        best_params={p: float(v) for p, v in zip(params, best_theta)},
        best_loss=float(best_f),
        _predict=compiled.predict,
    )


def _message(status: str, epoch: int, epochs: int, gnorm: float, tol: float) -> str:
    if status == CONVERGED:
        return f"Converged after {epoch} epochs: |grad| = {gnorm:.3g} <= tol = {tol:g}."
    if status == MAX_ITER:
        return f"Ran the requested {epochs} epochs (|grad| = {gnorm:.3g})."
    if status == UNDEFINED:
        return "The loss or its gradient is not a finite number at the start; choose another p0."
    if status == "callback":
        return f"Stopped by the callback after {epoch} epochs."
    return (
        f"Diverged in epoch {epoch}: the loss grew without bound or stopped being a finite number; "
        "try a smaller learning rate."
    )


def _regression_metrics(ss: float, y: Array) -> dict[str, float]:
    """R² and RMSE from the sum of squared residuals ``ss``."""
    spread = y - y.mean()
    total = float(np.sum(np.multiply(spread, spread, out=spread)))
    r2 = 1.0 - ss / total if total > 0 else (1.0 if ss == 0 else -math.inf)
    return {"r2": r2, "rmse": math.sqrt(ss / y.size)}


def _standard_errors(compiled: _Compiled, theta: Array, data: list[Array], ss: float) -> dict[str, float]:
    """lmfit's and symfit's standard errors, from the exact Hessian of the sum of squares S:
    cov = 2·H_S⁻¹ · S / (n − p) (for a model linear in its parameters, (JᵀJ)⁻¹ s²)."""
    n, p = data[-1].size, theta.size
    names = [s.name for s in compiled.params]
    if n <= p:
        return {name: math.nan for name in names}
    try:
        compiled.compile_hessian()
    except LimitError:  # too big to derive in the time budget: the fit stands, without standard errors
        return {name: math.nan for name in names}
    s2 = ss / (n - p)  # ss: the sum of squared residuals
    h = compiled.mean_hessian(theta, data) * n
    try:
        cov = 2 * np.linalg.inv(h) * s2
    except np.linalg.LinAlgError:
        return {name: math.nan for name in names}
    diag = np.diag(cov)
    return {name: float(math.sqrt(v)) if v >= 0 and math.isfinite(v) else math.nan for name, v in zip(names, diag)}


def _start(p0, params: list[str]) -> Array:
    if p0 is None:
        return np.full(len(params), DEFAULT_START)
    if isinstance(p0, Mapping):
        unknown = sorted(set(p0) - set(params))
        if unknown:
            raise ArgumentError(f"p0 names {unknown[0]!r}, which is not a parameter; the parameters are {params}")
        values = [p0.get(name, DEFAULT_START) for name in params]
    else:
        values = list(np.atleast_1d(np.asarray(p0, dtype=object)))
        if len(values) != len(params):
            raise ArgumentError(f"p0 has {len(values)} values but there are {len(params)} parameters: {params}")
    try:
        theta = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"p0 must be numbers, not {p0!r}") from None
    if not np.all(np.isfinite(theta)):
        raise ArgumentError("p0 must be finite numbers")
    return theta


def _penalty(what: str, weight, params: list[str]) -> Array | None:
    if weight is None:
        return None
    if isinstance(weight, Mapping):
        unknown = sorted(set(weight) - set(params))
        if unknown:
            raise ArgumentError(f"{what} names {unknown[0]!r}, which is not a parameter; the parameters are {params}")
        values = np.array([non_negative_number(what, weight.get(name, 0.0)) for name in params])
    else:
        values = np.full(len(params), non_negative_number(what, weight))
    return values if np.any(values) else None


def _batch_size(batch_size, n_rows: int) -> int:
    if batch_size is None:
        return n_rows
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ArgumentError(f"batch_size must be a whole number >= 1 (or None for full batches), not {batch_size!r}")
    return int(batch_size)
