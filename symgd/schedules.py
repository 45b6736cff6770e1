"""Learning-rate schedules: ``count -> learning rate``, count = steps already taken.

>>> schedule = exponential_decay(0.1, rate=0.5)
>>> [schedule(k) for k in range(3)]
[0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .errors import ArgumentError

Schedule = Callable[[int], float]


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


def constant(lr: float) -> Schedule:
    """The same rate at every step."""
    lr = positive_number("the learning rate", lr)
    return lambda count: lr


def step_decay(lr: float, rate: float = 0.5, every: int = 100) -> Schedule:
    """``lr * rate ** (count // every)``: drop by ``rate`` every ``every`` steps."""
    lr, rate, every = (
        positive_number("the learning rate", lr),
        positive_number("rate", rate),
        int(positive_number("every", every)),
    )
    return lambda count: lr * rate ** (count // every)


def exponential_decay(lr: float, rate: float = 0.99) -> Schedule:
    """``lr * rate ** count``."""
    lr, rate = positive_number("the learning rate", lr), positive_number("rate", rate)
    return lambda count: lr * rate**count


def inverse_time_decay(lr: float, rate: float = 0.01) -> Schedule:
    """``lr / (1 + rate * count)``."""
    lr, rate = positive_number("the learning rate", lr), positive_number("rate", rate)
    return lambda count: lr / (1 + rate * count)


def cosine_decay(lr: float, steps: int = 1000, floor: float = 0.0) -> Schedule:
    """Half a cosine from ``lr`` down to ``floor * lr`` over ``steps`` steps, then ``floor * lr``."""
    lr, steps = positive_number("the learning rate", lr), int(positive_number("steps", steps))
    floor = float(floor)

    def schedule(count: int) -> float:
        progress = min(count, steps) / steps
        return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))

    return schedule


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
