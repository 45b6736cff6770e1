"""A stranger's formula in a worker process under CPU, memory and wall-clock limits."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from symgd import FormulaError, LimitError, Limits
from symgd.sandbox import safe_objective

posix_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resource limits need Linux here")


def test_result_is_a_working_objective():
    obj = safe_objective("x^2 + x*y")
    assert obj.variables == ("x", "y")
    assert obj.gradient == tuple(obj.expr.diff(s) for s in obj.symbols)
    np.testing.assert_array_equal(obj.grad([1, 2]), [4.0, 1.0])
    np.testing.assert_array_equal(obj.hess([1, 2]), [[2.0, 1.0], [1.0, 0.0]])


def test_formula_errors_come_back_with_their_type():
    with pytest.raises(FormulaError, match="unknown function 'sine'"):
        safe_objective("sine(x)")


SLOW = "*".join(f"(x+{i})" for i in range(1, 301))  # its derivative has 300 terms of 299 factors


def test_wall_clock_limit():
    start = time.perf_counter()
    with pytest.raises(LimitError, match="longer than 1 s"):
        safe_objective(SLOW, limits=Limits(time_budget=None), timeout=1.0)
    assert time.perf_counter() - start < 5.0


@posix_only
def test_memory_limit():
    with pytest.raises(LimitError, match=r"memory|MB"):
        # an exact number of 2^28 bits (32 MiB), allowed by the in-process limits but not by the worker's memory
        safe_objective("2^(2^28) x", limits=Limits(max_digits=10**9, time_budget=None), memory_mb=16, timeout=60)
