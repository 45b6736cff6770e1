"""Resource limits: the time budget and the boundary that turns every symbolic failure into a SymgdError."""

from __future__ import annotations

import time

import pytest

from symgd import FormulaError, LimitError, Limits, Objective
from symgd.limits import DEFAULT_LIMITS, Budget, guarded, time_budget

# d/dx of a product of 300 factors has 300 terms of 299 factors: many seconds in sympy.
SLOW = "*".join(f"(x+{i})" for i in range(1, 301))


def test_time_budget_stops_slow_symbolic_work_quickly():
    start = time.perf_counter()
    with pytest.raises(LimitError, match=r"time budget of 0.5 s \(while differentiating the formula\)"):
        _ = Objective(SLOW, limits=Limits(time_budget=0.5)).gradient
    assert time.perf_counter() - start < 2.0


def test_budget_is_shared_by_all_steps_of_one_formula():
    budget = Budget(0.3)
    with budget.spend("one"):
        time.sleep(0.2)
    with pytest.raises(LimitError, match="while two"), budget.spend("two"):
        time.sleep(0.5)
    with pytest.raises(LimitError, match="while three"), budget.spend("three"):
        pass


def test_no_budget_means_no_limit():
    with Budget(None).spend("anything"):
        time.sleep(0.01)
    with time_budget(None, "never"):
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (RecursionError(), LimitError, "too deeply nested"),
        (MemoryError(), LimitError, "ran out of memory"),
        (ValueError("Exceeds the limit (4300 digits) for integer string conversion"), LimitError, "too large"),
        (OverflowError("int too large"), LimitError, "too large"),
        (TypeError("bad operand"), FormulaError, "failed inside sympy"),
        (NotImplementedError("no"), FormulaError, "failed inside sympy"),
    ],
)
def test_guard_translates_failures(error, kind, message):
    with pytest.raises(kind, match=message), guarded("doing it", DEFAULT_LIMITS):
        raise error


def test_trusted_callers_can_raise_limits():
    with pytest.raises(LimitError):
        Objective("2^2000")
    assert Objective("2^2000 x", limits=Limits(max_digits=1000)).variables == ("x",)
