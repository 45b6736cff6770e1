"""Resource limits on formulas, and a time budget for symbolic work.

A formula string may come from anyone, so every stage that could blow up on a
hostile one (parsing, exact arithmetic, differentiation, compilation) is
bounded. The defaults suit interactive use; trusted callers may raise them:

>>> import symgd
>>> generous = symgd.Limits(max_length=100_000, time_budget=60)
>>> symgd.Objective("x**2", limits=generous).variables
('x',)
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import LimitError


@dataclass(frozen=True)
class Limits:
    """Bounds applied while reading, deriving and compiling a formula.

    Parameters
    ----------
    max_length
        Characters in the formula string.
    max_depth
        Nesting depth: brackets, unary signs and powers inside one another.
    max_nodes
        Tokens in the formula (numbers, names, operators).
    max_digits
        Decimal digits of any exact number, whether written in the formula
        (``1e500``) or produced by exact arithmetic (``9**9**9``).
    time_budget
        Seconds allowed for each symbolic step (parse, differentiate,
        compile). Enforced with a timer signal, so only in the main thread
        on POSIX systems; elsewhere use `symgd.safe_objective`.
    """

    max_length: int = 10_000
    max_depth: int = 100
    max_nodes: int = 5_000
    max_digits: int = 400
    time_budget: float | None = 10.0


DEFAULT_LIMITS = Limits()


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_budget(seconds: float | None, what: str) -> Iterator[None]:
    """Raise `LimitError` if the body runs longer than ``seconds``.

    >>> with time_budget(1.0, "a quick step"):
    ...     1 + 1
    2
    """
    if not seconds or not _can_use_alarm() or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield  # no timer available, or an outer budget already runs
        return

    def on_alarm(signum, frame):
        raise LimitError(f"{what} took longer than the time budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
