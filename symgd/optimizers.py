"""Step rules: small update functions, state in, state out (in the style of optax).

A `GradientTransformation` is a pair of functions::

    init(x, problem) -> state
    update(u, state, x, f, g) -> (u, state)

``g`` is the gradient and ``f`` the value at ``x`` of the function being
*minimised* (the engine negates both for ascent); ``u`` is what flows along a
`chain`: ``g`` for the first transformation, the step for the engine at the
end, which adds it to ``x``. ``problem`` gives the transformations that need
them the compiled functions (`Problem`). Arrays of shape (n,) and (n, k)
(k independent starts) flow through the same code.

>>> import numpy as np
>>> opt = gd(lr=0.2)
>>> x = np.array([44.0])
>>> state = opt.init(x, None)
>>> step, state = opt.update(np.array([80.0]), state, x, 1612.0, np.array([80.0]))
>>> step
array([-16.])
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .errors import ArgumentError
from .schedules import Schedule, non_negative_number, positive_number

Array = np.ndarray


class Problem(NamedTuple):
    """The compiled functions of the function being minimised, for steps that need them,
    and the box ``(lo, hi)`` the engine projects every iterate into (None without bounds)."""

    value: Callable[[Array], Any]
    grad: Callable[[Array], Array]
    hess: Callable[[Array], Array] | None = None
    box: tuple[Array, Array] | None = None


class Rule(NamedTuple):
    """An update formula, written once as Python statements on one coordinate.

    ``prelude`` runs once per step, on numbers: the step count ``t`` (1 for the
    first step), the ``constants`` and ``norm(u)``, the Euclidean norm of the
    incoming direction over all variables. ``body`` then runs per coordinate:
    it reads the direction ``u`` and the point ``x``, updates the ``state``
    (each starts at 0) and rewrites ``u``, using ``sqrt``, ``minimum`` and
    ``maximum``. `from_rule` runs it on numpy arrays; `symgd.kernel` inlines
    the same text into the generated loops, so the paths cannot drift.
    """

    body: str
    constants: dict[str, float]
    state: tuple[str, ...] = ()
    prelude: str = ""


class GradientTransformation(NamedTuple):
    """``init(x, problem) -> state`` and ``update(u, state, x, f, g) -> (u, state)``.

    ``uses_value`` says whether ``update`` reads ``f``; a multi-start run
    evaluates f at every step only for those that do. ``rules`` are the
    update formulas it is made of, for the generated loops; None for a step
    that is only code (the line search, Newton's method, your own).
    """

    init: Callable[[Array, Problem | None], Any]
    update: Callable[..., tuple[Array, Any]]
    uses_value: bool = False
    rules: tuple[Rule, ...] | None = None


def _norm(u: Array) -> Array:
    """Euclidean norm over the variables: a float for shape (n,), shape (k,) for (n, k)."""
    return np.sqrt(np.sum(u * u, axis=0))


_ARRAY_FUNCTIONS = {"sqrt": np.sqrt, "minimum": np.minimum, "maximum": np.maximum, "norm": _norm, "math": math}


def from_rule(rule: Rule) -> GradientTransformation:
    """The transformation that runs ``rule`` on arrays of shape (n,) or (n, k).

    >>> halve = from_rule(Rule("u = -rate * u", {"rate": 0.5}))
    >>> halve.update(np.array([4.0]), halve.init(np.zeros(1), None), None, None, None)[0]
    array([-2.])
    """
    state = ", ".join(("t", *rule.state))
    source = "\n    ".join(
        [
            "def update(u, state, x, f, g):",
            f"({state},) = state",
            "t = t + 1",
            *rule.prelude.splitlines(),
            *rule.body.splitlines(),
            f"return u, ({state},)",
        ]
    )
    namespace = {**_ARRAY_FUNCTIONS, **rule.constants}
    exec(_compiled(source), namespace)  # our own rule text, never user input

    def init(x, problem):
        return (0, *(np.zeros_like(x) for _ in rule.state))

    return GradientTransformation(init, namespace["update"], rules=(rule,))


@functools.lru_cache(maxsize=64)
def _compiled(source: str):
    return compile(source, "<symgd rule>", "exec")


# -- building blocks


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transformations one after the other, each to the previous one's output."""
    if len(transforms) == 1:
        return transforms[0]

    def init(x, problem):
        return tuple(t.init(x, problem) for t in transforms)

    def update(u, state, x, f, g):
        states = []
        for t, s in zip(transforms, state):
            u, s = t.update(u, s, x, f, g)
            states.append(s)
        return u, tuple(states)

    parts = [t.rules for t in transforms]
    rules = None if None in parts else tuple(r for p in parts for r in p)
    return GradientTransformation(init, update, any(t.uses_value for t in transforms), rules)


def scale_by_learning_rate(lr: float | Callable[[int], float]) -> GradientTransformation:
    """``-lr * u``, with ``lr`` a number or a schedule of the step count (`symgd.schedules`)."""
    if isinstance(lr, Schedule):
        prelude = f"step_size = {lr.formula.replace('count', '(t - 1)')}"  # count = steps already taken
        return from_rule(Rule("u = -step_size * u", lr.constants, prelude=prelude))
    if callable(lr):
        schedule = lr

        def update(u, count, x, f, g):
            return -schedule(count) * u, count + 1

        return GradientTransformation(lambda x, problem: 0, update)
    return from_rule(Rule("u = -lr * u", {"lr": positive_number("the learning rate", lr)}))


def clip_by_norm(max_norm: float) -> GradientTransformation:
    """Scale ``u`` down to norm ``max_norm`` where it is longer (each start on its own)."""
    max_norm = positive_number("the clipping norm", max_norm)
    scale = "scale = minimum(1.0, max_norm / maximum(norm(u), 1e-300))"
    return from_rule(Rule("u = u * scale", {"max_norm": max_norm}, prelude=scale))


def scale_by_momentum(beta: float = 0.9, nesterov: bool = False) -> GradientTransformation:
    """Heavy ball: ``v = beta*v + u``, step along ``v`` (Polyak 1964); with ``nesterov``,
    along ``u + beta*v`` (Sutskever et al. 2013, as in PyTorch)."""
    step = "u = u + beta * velocity" if nesterov else "u = velocity"
    return from_rule(Rule(f"velocity = beta * velocity + u\n{step}", {"beta": _fraction("beta", beta)}, ("velocity",)))


def scale_by_adagrad(eps: float = 1e-10) -> GradientTransformation:
    """``u / (sqrt(sum of u²) + eps)`` (Duchi et al. 2011)."""
    body = "total = total + u * u\nu = u / (sqrt(total) + eps)"
    return from_rule(Rule(body, {"eps": non_negative_number("eps", eps)}, ("total",)))


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8) -> GradientTransformation:
    """``u / (sqrt(s) + eps)`` with ``s = decay*s + (1-decay)*u²`` (RMSprop, Tieleman & Hinton 2012)."""
    body = "total = decay * total + (1 - decay) * u * u\nu = u / (sqrt(total) + eps)"
    constants = {"decay": _fraction("decay", decay), "eps": non_negative_number("eps", eps)}
    return from_rule(Rule(body, constants, ("total",)))


def scale_by_adam(
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, amsgrad: bool = False
) -> GradientTransformation:
    """Adam (Kingma & Ba 2015): bias-corrected moment estimates, ``mu_hat / (sqrt(nu_hat) + eps)``.

    With ``amsgrad``, the running maximum of ``nu_hat`` (Reddi et al. 2018).
    """
    constants = {"b1": _fraction("beta1", b1), "b2": _fraction("beta2", b2), "eps": non_negative_number("eps", eps)}
    prelude = "unbias1 = 1 - b1**t\nunbias2 = 1 - b2**t"
    moments = "mu = b1 * mu + (1 - b1) * u\nnu = b2 * nu + (1 - b2) * u * u\nnu_hat = nu / unbias2\n"
    if amsgrad:
        body = moments + "nu_max = maximum(nu_max, nu_hat)\nu = (mu / unbias1) / (sqrt(nu_max) + eps)"
        return from_rule(Rule(body, constants, ("mu", "nu", "nu_max"), prelude))
    return from_rule(Rule(moments + "u = (mu / unbias1) / (sqrt(nu_hat) + eps)", constants, ("mu", "nu"), prelude))


def add_decayed_weights(weight_decay: float) -> GradientTransformation:
    """``u + weight_decay * x``: decoupled weight decay (AdamW, Loshchilov & Hutter 2019)."""
    weight_decay = non_negative_number("weight_decay", weight_decay)
    return from_rule(Rule("u = u + weight_decay * x", {"weight_decay": weight_decay}))


def newton_direction(damping: float = 1e-8) -> GradientTransformation:
    """Solve ``H d = u`` with the exact Hessian, made positive definite where it is not.

    The Hessian's eigenvalues λ are replaced by ``max(|λ|, damping)``: where H
    is positive definite this is Newton's step; at a saddle the directions of
    negative curvature are followed downhill instead of uphill, so saddles
    are escaped rather than sought ("saddle-free Newton", Dauphin et al.
    2014). Where the Hessian is not finite, the step falls back to ``u``.
    """
    damping = positive_number("the damping", damping)

    def init(x, problem):
        if problem is None or problem.hess is None:
            raise ArgumentError("newton needs the Hessian: use it through symgd.minimize or pass a hess callable")
        return problem

    def update(u, problem, x, f, g):
        H = problem.hess(x)
        if u.ndim == 1:
            H, u_, at_bound = H[None], u[None, :, None], _at_bound(problem.box, x, g)[None]
        else:
            H, u_, at_bound = np.moveaxis(H, -1, 0), u.T[:, :, None], _at_bound(problem.box, x, g).T
        d = _modified_solve(H, u_, at_bound)[:, :, 0]
        return (d[0] if u.ndim == 1 else d.T), problem

    def _modified_solve(H, u, at_bound):
        """H: (k, n, n), u: (k, n, 1), at_bound: (k, n)."""
        finite = np.all(np.isfinite(H), axis=(-2, -1))
        eye = np.eye(H.shape[-1])
        safe = np.where(finite[:, None, None], H, eye)
        if at_bound.any():
            # two-metric projection (Bertsekas 1982): coordinates held at a bound take a plain
            # gradient step and leave the Newton system, so the projected step still descends
            free = ~at_bound
            safe = np.where(free[:, :, None] & free[:, None, :], safe, 0.0) + eye * at_bound[:, :, None]
        eigenvalues, vectors = np.linalg.eigh(safe)
        inverse = 1.0 / np.maximum(np.abs(eigenvalues), damping)
        d = vectors @ (inverse[..., :, None] * (np.swapaxes(vectors, -1, -2) @ u))
        return np.where(finite[:, None, None], d, u)

    return GradientTransformation(init, update)


def _at_bound(box, x: Array, g: Array) -> Array:
    """Coordinates at a bound that the gradient pushes outward (descent would leave the box)."""
    if box is None:
        return np.zeros(x.shape, dtype=bool)
    lo, hi = (b if x.ndim == 1 else b.reshape(-1, 1) for b in box)
    return ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))


def backtracking_line_search(c: float = 1e-4, shrink: float = 0.5, max_steps: int = 40) -> GradientTransformation:
    """Armijo backtracking: shorten the step ``u`` until ``f(x + u) <= f(x) + c * g·u``.

    Each start finds its own step length; all trials of one round are one
    vectorised call. A direction that is not downhill (``g·u >= 0``) is
    replaced by ``-g`` scaled to the same length.
    """
    c, shrink = _fraction("c", c), _fraction("shrink", shrink)

    def init(x, problem):
        if problem is None:
            raise ArgumentError("the line search needs the objective's value function")
        return problem

    def update(u, problem, x, f, g):
        slope = np.sum(g * u, axis=0)
        uphill = ~(slope < 0)
        if np.any(uphill):
            u = np.where(uphill, -g * (_norm(u) / np.maximum(_norm(g), 1e-300)), u)
        project = _projector(problem.box, x)
        rounding = 16 * np.spacing(np.abs(f))
        t = np.ones_like(slope)
        pending = np.ones_like(slope, dtype=bool)
        for _ in range(max_steps):
            # Armijo along the projected path: the step taken is the one tested (Bertsekas 1976)
            step = project(x + t * u) - x
            trial, slope = np.asarray(problem.value(x + step)), np.sum(g * step, axis=0)
            level = np.abs(trial - f) <= rounding
            accepted = ~level & (trial <= f + c * slope)
            if np.any(level):
                # f no longer resolves the change (its last digits are noise): the approximate
                # Wolfe test of Hager & Zhang (2005) decides from the slope at the trial point
                slope_there = np.sum(problem.grad(x + step) * step, axis=0)
                accepted = accepted | (level & (slope_there <= -0.8 * slope))
            pending = pending & ~accepted
            if not np.any(pending):
                break
            t = np.where(pending, t * shrink, t)
        return project(x + t * u) - x, problem

    return GradientTransformation(init, update, uses_value=True)


def _projector(box, x: Array) -> Callable[[Array], Array]:
    if box is None:
        return lambda y: y
    lo, hi = (b if x.ndim == 1 else b.reshape(-1, 1) for b in box)
    return lambda y: np.clip(y, lo, hi)


def _fraction(name: str, value: float) -> float:
    value = float(value)
    if not 0 <= value < 1:
        raise ArgumentError(f"{name} must be in [0, 1), not {value!r}")
    return value


# -- the optimizers, by name


def _with_lr(direction: list[GradientTransformation], lr, clip, line_search) -> GradientTransformation:
    parts = ([clip_by_norm(clip)] if clip else []) + direction + [scale_by_learning_rate(lr)]
    if line_search:
        parts.append(backtracking_line_search())
    return chain(*parts)


def gd(lr: float | Schedule = 0.1, clip: float | None = None, line_search: bool = False) -> GradientTransformation:
    """Plain gradient descent: ``step = -lr * grad``."""
    return _with_lr([], lr, clip, line_search)


def momentum(lr=0.01, beta: float = 0.9, clip=None) -> GradientTransformation:
    """Gradient descent with heavy-ball momentum."""
    return _with_lr([scale_by_momentum(beta)], lr, clip, False)


def nesterov(lr=0.01, beta: float = 0.9, clip=None) -> GradientTransformation:
    """Gradient descent with Nesterov momentum."""
    return _with_lr([scale_by_momentum(beta, nesterov=True)], lr, clip, False)


def adagrad(lr=0.1, eps: float = 1e-10, clip=None) -> GradientTransformation:
    """AdaGrad: per-coordinate rates shrinking with the accumulated squared gradient."""
    return _with_lr([scale_by_adagrad(eps)], lr, clip, False)


def rmsprop(lr=0.01, decay: float = 0.9, eps: float = 1e-8, clip=None) -> GradientTransformation:
    """RMSprop: per-coordinate rates from a running mean of squared gradients."""
    return _with_lr([scale_by_rms(decay, eps)], lr, clip, False)


def adam(lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, clip=None) -> GradientTransformation:
    """Adam."""
    return _with_lr([scale_by_adam(beta1, beta2, eps)], lr, clip, False)


def amsgrad(lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, clip=None) -> GradientTransformation:
    """Adam with the running maximum of the second moment (AMSGrad)."""
    return _with_lr([scale_by_adam(beta1, beta2, eps, amsgrad=True)], lr, clip, False)


def adamw(
    lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.01, clip=None
) -> GradientTransformation:
    """Adam with decoupled weight decay: ``x -= lr * (adam step + weight_decay * x)``."""
    return _with_lr([scale_by_adam(beta1, beta2, eps), add_decayed_weights(weight_decay)], lr, clip, False)


def newton(lr=1.0, damping: float = 1e-8, clip=None, line_search: bool = False) -> GradientTransformation:
    """Newton's method on the exact Hessian, safeguarded at saddles (see `newton_direction`)."""
    return _with_lr([newton_direction(damping)], lr, clip, line_search)


OPTIMIZERS: dict[str, Callable[..., GradientTransformation]] = {
    "gd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "amsgrad": amsgrad,
    "adamw": adamw,
    "newton": newton,
}

#: Optimizers whose step uses the Hessian (compiled only for them).
NEEDS_HESSIAN = frozenset({"newton"})


def default_learning_rate(name: str) -> float:
    """The learning rate the named optimizer uses when none is given (0.1 for gd, 1 for newton, ...)."""
    return inspect.signature(OPTIMIZERS[name]).parameters["lr"].default


def get_optimizer(optimizer: str | GradientTransformation, **options) -> GradientTransformation:
    """The optimizer named ``optimizer`` built with ``options``, or ``optimizer`` itself."""
    if isinstance(optimizer, GradientTransformation):
        if options:
            raise ArgumentError(f"options {sorted(options)} have no effect on an optimizer object")
        return optimizer
    try:
        factory = OPTIMIZERS[optimizer]
    except (KeyError, TypeError):
        raise ArgumentError(f"unknown optimizer {optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}") from None
    try:
        return factory(**options)
    except TypeError as error:
        raise ArgumentError(f"optimizer {optimizer!r}: {error}") from None
