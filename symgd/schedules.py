"""Learning-rate schedules: ``count -> learning rate``, count = steps already taken.

>>> schedule = exponential_decay(0.1, rate=0.5)
>>> [schedule(k) for k in range(3)]
[0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .errors import ArgumentError


def positive_number(name: str, value: float) -> float:
    """``value`` as a float, if it is a positive finite number; else an `ArgumentError` naming it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number, not {value!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ArgumentError(f"{name} must be a positive finite number, not {value!r}")
    return value


def non_negative_number(name: str, value: float) -> float:
    """``value`` as a float, if it is a finite number >= 0; else an `ArgumentError` naming it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number >= 0, not {value!r}") from None
    if not 0 <= value < math.inf:
        raise ArgumentError(f"{name} must be a finite number >= 0, not {value!r}")
    return value


class Schedule:
    """A learning rate as a formula of ``count`` (the steps already taken), written once:
    called here on a number, and inlined as it stands into the generated descent loops
    of `symgd.kernel` (Python or numba). The formula may use ``math`` and ``min``.

    >>> Schedule("lr / (1 + rate * count)", lr=0.5, rate=1.0)(1)
    0.25
    """

    def __init__(self, formula: str, **constants: float):
        self.formula = formula
        self.constants = constants
        self._rate = eval(f"lambda count: {formula}", {"math": math, "min": min, **constants})  # our own text

    def __call__(self, count: int) -> float:
        return self._rate(count)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.constants.items())
        return f"Schedule({self.formula!r}, {values})"


def constant(lr: float) -> Schedule:
    """The same rate at every step."""
    return Schedule("lr", lr=positive_number("the learning rate", lr))


def step_decay(lr: float, rate: float = 0.5, every: int = 100) -> Schedule:
    """``lr * rate ** (count // every)``: drop by ``rate`` every ``every`` steps."""
    lr, rate, every = (
        positive_number("the learning rate", lr),
        positive_number("rate", rate),
        int(positive_number("every", every)),
    )
    return Schedule("lr * rate ** (count // every)", lr=lr, rate=rate, every=every)


def exponential_decay(lr: float, rate: float = 0.99) -> Schedule:
    """``lr * rate ** count``."""
    lr, rate = positive_number("the learning rate", lr), positive_number("rate", rate)
    return Schedule("lr * rate ** count", lr=lr, rate=rate)


def inverse_time_decay(lr: float, rate: float = 0.01) -> Schedule:
    """``lr / (1 + rate * count)``."""
    lr, rate = positive_number("the learning rate", lr), positive_number("rate", rate)
    return Schedule("lr / (1 + rate * count)", lr=lr, rate=rate)


def cosine_decay(lr: float, steps: int = 1000, floor: float = 0.0) -> Schedule:
    """Half a cosine from ``lr`` down to ``floor * lr`` over ``steps`` steps, then ``floor * lr``."""
    lr, steps = positive_number("the learning rate", lr), int(positive_number("steps", steps))
    return Schedule(
        "lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (min(count, steps) / steps))))",
        lr=lr,
        steps=steps,
        floor=float(floor),
    )


SCHEDULES: dict[str, Callable[..., Schedule]] = {
    "constant": constant,
    "step": step_decay,
    "exponential": exponential_decay,
    "inverse_time": inverse_time_decay,
    "cosine": cosine_decay,
}


def parse_schedule(text: str, lr: float) -> Schedule:
    """A schedule from the command line: ``exponential:0.99``, ``step:0.5:100``, ``inverse_time:0.01``,
    ``cosine:1000``; numbers after the name are its parameters after ``lr``.

    >>> parse_schedule("step:0.5:10", 0.2)(25)
    0.05
    """
    name, *params = text.split(":")
    if name not in SCHEDULES:
        raise ArgumentError(f"unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}")
    try:
        numbers = [float(p) for p in params]
        return SCHEDULES[name](lr, *numbers)
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the schedule {text!r}") from None
