"""Step rules: small update functions, state in, state out (in the style of optax).

An optimizer is a `GradientTransformation`: ``init(x) -> state`` and
``update(grad, state, x) -> (step, state)``; the engine adds ``step`` to
``x``. The gradient it receives is always that of the function being
*minimised* (the engine negates it for ascent). Arrays of shape (n,) and
(n, k) flow through the same code.

>>> import numpy as np
>>> opt = gd(lr=0.2)
>>> state = opt.init(np.array([44.0]))
>>> step, state = opt.update(np.array([80.0]), state, np.array([44.0]))
>>> step
array([-16.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .errors import ArgumentError

Array = np.ndarray


class GradientTransformation(NamedTuple):
    """A pair of pure functions: ``init(x) -> state``, ``update(grad, state, x, **extra) -> (step, state)``."""

    init: Callable[[Array], Any]
    update: Callable[..., tuple[Array, Any]]


class EmptyState(NamedTuple):
    """State of a transformation that keeps none."""


def _positive(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number, not {value!r}") from None
    if not value > 0 or value == float("inf"):
        raise ArgumentError(f"{name} must be a positive finite number, not {value!r}")
    return value


def gd(lr: float = 0.1) -> GradientTransformation:
    """Plain gradient descent: ``step = -lr * grad``."""
    lr = _positive("the learning rate", lr)

    def init(x: Array) -> EmptyState:
        return EmptyState()

    def update(grad: Array, state: EmptyState, x: Array | None = None, **extra) -> tuple[Array, EmptyState]:
        return -lr * grad, state

    return GradientTransformation(init, update)


OPTIMIZERS: dict[str, Callable[..., GradientTransformation]] = {"gd": gd}


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
