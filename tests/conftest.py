"""Shared references for the tests: finite differences and the seed tables."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def finite_difference_grad(f, x, h=1e-6):
    """Central differences of a scalar function of a 1-D float array: an independent gradient."""
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def seed_tables() -> dict[str, list[list[float]]]:
    """Seed 002's printed tables: name -> rows -> the numbers of each row.

    The tutorial prints every number rounded to 6 decimals (``round(v, 6)``
    or ``%.6f``), so each is exact to half a unit in the 6th decimal.
    """
    tables: dict[str, list] = {}
    current = None
    for line in (DATA / "seed_002_tables.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("== "):
            current = tables.setdefault(line[3:], [])
            continue
        current.append([float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", line.split(":", 1)[1])])
    return tables


def assert_rows_match(printed_rows, computed_rows):
    """Every computed number agrees with the tutorial's to the printed 6 decimals."""
    assert len(printed_rows) == len(computed_rows)
    for i, (printed, computed) in enumerate(zip(printed_rows, computed_rows)):
        assert len(printed) == len(computed), f"row {i}"
        for value, ours in zip(printed, computed):
            assert abs(ours - value) <= 0.5e-6 + 1e-12, f"row {i}: {ours} vs printed {value}"


@pytest.fixture(scope="session", autouse=True)
def symgd_cache(tmp_path_factory) -> Path:
    """Compiled loops go to a folder of the test session, never the user's cache."""
    folder = tmp_path_factory.mktemp("symgd-cache")
    previous = os.environ.get("SYMGD_CACHE_DIR")
    os.environ["SYMGD_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["SYMGD_CACHE_DIR"]
    else:
        os.environ["SYMGD_CACHE_DIR"] = previous
