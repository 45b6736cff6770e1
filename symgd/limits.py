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
import time
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import FormulaError, LimitError, SymgdError


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
        Seconds allowed for all the symbolic work on one formula together
        (reading, differentiating, compiling); ``None`` for no limit.
        Enforced with a timer signal, so only in the main thread on POSIX
        systems; elsewhere use `symgd.safe_objective`.
    """

    max_length: int = 10_000
    max_depth: int = 100
    max_nodes: int = 5_000
    max_digits: int = 400
    time_budget: float | None = 1.0


DEFAULT_LIMITS = Limits()


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_budget(seconds: float | None, message: str) -> Iterator[None]:
    """Raise `LimitError(message)` if the body runs longer than ``seconds``.

    A no-op where no timer signal is available, or inside another budget.

    >>> with time_budget(1.0, "too slow"):
    ...     1 + 1
    2
    """
    if not seconds or not _can_use_alarm() or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield  # no timer available, or an outer budget already runs
        return

    def on_alarm(signum, frame):
        raise LimitError(message)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Budget:
    """The time budget shared by all symbolic steps on one formula.

    >>> budget = Budget(1.0)
    >>> with budget.spend("reading the formula"):
    ...     pass
    >>> 0 <= budget.spent < 1.0
    True
    """

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.spent = 0.0

    def _message(self, what: str) -> str:
        return (
            f"the symbolic work on this formula took longer than its time budget of {self.seconds:g} s "
            f"(while {what}); trusted callers can raise it with symgd.Limits(time_budget=...) or --time-budget"
        )

    @contextlib.contextmanager
    def spend(self, what: str) -> Iterator[None]:
        if not self.seconds:
            yield
            return
        left = self.seconds - self.spent
        if left <= 0:
            raise LimitError(self._message(what))
        start = time.perf_counter()
        try:
            with time_budget(left, self._message(what)):
                yield
        finally:
            self.spent += time.perf_counter() - start


@contextlib.contextmanager
def guarded(what: str, limits: Limits) -> Iterator[None]:
    """The boundary around a symbolic step: a time budget, and every failure as a `SymgdError`.

    sympy and Python can fail deep inside on hostile input (recursion, memory,
    the integer-to-string digit limit, internal errors); the user sees one
    sentence instead.

    >>> with guarded("reading the formula", DEFAULT_LIMITS):
    ...     raise RecursionError
    Traceback (most recent call last):
    symgd.errors.LimitError: the formula is too deeply nested for reading the formula
    """
    try:
        with time_budget(limits.time_budget, f"{what} took longer than the time budget of {limits.time_budget} s"):
            yield
    except SymgdError:
        raise
    except RecursionError:
        raise LimitError(f"the formula is too deeply nested for {what}") from None
    except MemoryError:
        raise LimitError(f"the formula is too large: {what} ran out of memory") from None
    except (ValueError, OverflowError) as error:
        if "digit" in str(error) or isinstance(error, OverflowError):
            raise LimitError(f"a number in the formula is too large for {what}") from None
        raise FormulaError(f"{what} failed: {error}") from None
    except Exception as error:  # sympy's internal errors: TypeError, NotImplementedError, PolynomialError, ...
        raise FormulaError(f"{what} failed inside sympy ({type(error).__name__}: {error})") from None
