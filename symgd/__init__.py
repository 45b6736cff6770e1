"""symgd: gradient descent on formulas.

Type a formula; symgd derives its exact gradient and Hessian with sympy,
compiles them with numpy, and descends.

>>> import symgd
>>> symgd.minimize("x^2 - 8x + 4", x0=10, lr=0.2).x.round(6).tolist()
[4.0]
"""

from . import plotting
from . import plotting as plot  # symgd.plot.*: the picture building blocks (matplotlib loads on first use)
from .calculus import check_derivative, critical_points
from .engine import descend
from .errors import ArgumentError, FormulaError, LearningRateWarning, LimitError, SymgdError, SymgdWarning
from .fitting import FitResult, fit
from .limits import Limits
from .objective import Objective
from .optimize import maximize, minimize
from .result import History, Result
from .sandbox import safe_objective

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "FitResult",
    "FormulaError",
    "History",
    "LearningRateWarning",
    "LimitError",
    "Limits",
    "Objective",
    "Result",
    "SymgdError",
    "SymgdWarning",
    "check_derivative",
    "critical_points",
    "descend",
    "fit",
    "maximize",
    "minimize",
    "plot",
    "plotting",
    "safe_objective",
]
