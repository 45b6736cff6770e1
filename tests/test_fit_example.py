"""The curve-fit part of seed 001, reproduced by examples/seed_001_curve_fit.py."""

from __future__ import annotations

import functools
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT


@functools.cache
def run_example() -> str:
    return run_fresh()


def run_fresh() -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "seed_001_curve_fit.py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, pattern
    return float(match.group(1))


def test_curve_fit_reproduces_the_tutorial_and_recovers_the_true_parameters():
    output = run_example()
    # the tutorial's script, computed independently with plain numpy
    x = np.arange(0, 100, 1)
    error = sum(30 * p - 2 * p * p - (100 * p - p * p) for p in x)
    assert error == -674850
    assert "error = -674850" in output
    assert f"mean_error = error / 100 = {error / 100:g}" in output  # -6748.5; the tutorial's comment says -67485
    assert "-67485" in output  # the slip is pointed out
    assert number(r"mean absolute error = (\S+)\n", output) == pytest.approx(
        np.mean(np.abs(30 * x - 2 * x * x - 100 * x + x * x))
    )
    assert number(r"dL/da = (\S+),", output) == pytest.approx(-np.mean(x**2.0))
    assert number(r"dL/db = (\S+)\n", output) == pytest.approx(-x.sum() / 100)  # sign 0 at x = 0
    fitted = re.search(r"fit \(mae.*\n  a = (\S+), b = (\S+)\n", output)
    assert float(fitted.group(1)) == pytest.approx(-1, abs=1e-3)
    assert float(fitted.group(2)) == pytest.approx(100, abs=1e-3)
    exact = re.search(r"fit \(mse, newton\): converged.*\n  a = (\S+), b = (\S+),", output)
    assert float(exact.group(1)) == pytest.approx(-1, abs=1e-9) and float(exact.group(2)) == pytest.approx(
        100, abs=1e-9
    )


def test_the_output_is_deterministic():
    assert run_fresh() == run_example()
