"""Every example runs, and reproduces its tutorial's numbers (seed tables copied in tests/data)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT, assert_rows_match, seed_tables

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TABLES = seed_tables()


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def printed_blocks(output: str) -> list[list[list[float]]]:
    """The tables an example printed: consecutive X_value lines, as numbers."""
    blocks, current = [], None
    for line in output.splitlines():
        if line.startswith("X_value"):
            if current is None:
                current = []
                blocks.append(current)
            current.append([float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", line.split(":", 1)[1])])
        else:
            current = None
    return blocks


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path):
    run_example(path.name)


def test_learning_rates_reproduce_the_three_tables():
    output = run_example("seed_002_learning_rates.py")
    blocks = printed_blocks(output)
    for block, name in zip(blocks, ["f_lr0.2", "f_lr0.01", "f_lr1.06"], strict=True):
        assert_rows_match(TABLES[name], block)
    assert "lr = 1.06 with the default stopping rules: diverged" in output


def test_two_minima_reproduce_both_tables_and_end_in_each_minimum():
    output = run_example("seed_002_two_minima.py")
    blocks = printed_blocks(output)
    for block, name in zip(blocks, ["g_start_left", "g_start_right"], strict=True):
        assert_rows_match(TABLES[name], block)
    ends = [float(x) for x in re.findall(r"x = (-?\d+\.\d+), g\(x\)", output)]
    # Independent reference: the roots of g'(x) = 0.004x^3 - 0.09x^2 + 0.2x + 1 (numpy.roots).
    import numpy as np

    roots = sorted(np.roots([0.004, -0.09, 0.2, 1]).real)
    assert ends == pytest.approx([roots[0], roots[2]], abs=1e-6)
    assert roots[0] == pytest.approx(-2.36, abs=0.05) and roots[2] == pytest.approx(19.2, abs=0.05)


def test_two_variables_reproduces_the_table():
    output = run_example("seed_002_two_variables.py")
    (block,) = printed_blocks(output)
    assert_rows_match(TABLES["h_lr0.1"], block)
    assert "gradient (2*x, 2*y)" in output


def test_partial_derivatives_match_the_hand_derivation():
    output = run_example("seed_000_partial_derivatives.py")
    assert "dz/dx = 2*x + y" in output
    assert "dz/dy = x + 2*y" in output
    assert "gradient at (1, 2): [4.0, 5.0]" in output
    assert "Converged" in output


def test_fence_problem_numbers():
    output = run_example("seed_001_fence.py")
    for line in [
        "A'(l) = 100 - 2*l",
        "A(49) = 2499",
        "A(50) = 2500",
        "A(51) = 2499",
        "A(54) = 2484",
        "A(52) = 2496",
        "A'(57) = -14",
        "optimum l = 50.000000",
        "area = 2500.000000",
    ]:
        assert line in output


def test_restarts_and_rates():
    output = run_example("seed_002_restarts_and_rates.py")
    assert "minimum 1: x = 19.222248" in output and "minimum 2: x = -2.322396" in output
    assert "largest stable learning rate 2/λmax = 1 (exact)" in output
    verdicts = [line.split()[-1] for line in output.splitlines() if line.strip()[:1].isdigit()]
    assert verdicts == ["slow", "converged", "diverged"]
