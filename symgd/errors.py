"""The exceptions symgd raises: every user-facing failure is a `SymgdError`."""

from __future__ import annotations


class SymgdError(Exception):
    """Base class of every error symgd raises for bad input or an impossible request.

    The message is one sentence a person can act on; the command line prints it
    on one line and exits with status 2.
    """


class FormulaError(SymgdError, ValueError):
    """A formula string that cannot be read, or that uses something not allowed.

    ``column`` is the 1-based position in the string where the problem starts,
    or ``None`` when the problem is not tied to one place.
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


class LimitError(FormulaError):
    """A formula that exceeds a resource limit (length, depth, number size, time)."""


class ArgumentError(SymgdError, ValueError):
    """A bad argument: a start point of the wrong size, a negative learning rate, ..."""


class SymgdWarning(UserWarning):
    """Advice about a run that may go wrong; the run still happens."""


class LearningRateWarning(SymgdWarning):
    """The learning rate exceeds the largest stable one (2/λmax of the Hessian)."""
