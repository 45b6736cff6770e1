"""Tables, summaries and CSV of a run."""

from __future__ import annotations

import csv
import io

import pytest

import symgd
from symgd.report import columns, summary, trace_csv, trace_table


def test_columns_name_every_variable_and_partial():
    res = symgd.minimize("x^2 + y^2", [1, 2], max_iter=2, tol=0)
    assert columns(res) == ["iter", "x", "y", "f", "df/dx", "df/dy"]


def test_short_trace_shows_every_row():
    res = symgd.minimize("x^2 - 8x + 4", 44.866666666666667, lr=0.2, max_iter=30, tol=0)
    lines = trace_table(res).splitlines()
    assert len(lines) == 32
    assert lines[2].split() == ["1", "28.52", "589.2304", "49.04"]
    assert lines[3].split() == ["2", "18.712", "204.442944", "29.424"]


def test_long_trace_shows_first_and_last_rows():
    res = symgd.minimize("x^2", 1.0, lr=0.001, max_iter=500, tol=0)
    lines = trace_table(res, max_rows=10).splitlines()
    assert len(lines) == 12
    assert lines[1].split()[0] == "0" and lines[-1].split()[0] == "500"
    assert "491 rows not shown" in lines[6]


def test_summary_mentions_best_point_after_divergence():
    with pytest.warns(symgd.LearningRateWarning):
        res = symgd.minimize("x^2 - 8x + 4", lr=1.06)
    text = summary(res)
    assert text.startswith("Diverged at iteration")
    assert "best seen: f = -3 at iteration 0" in text


def test_csv_has_full_precision():
    res = symgd.minimize("x^2 - 8x + 4", 44.866666666666667, lr=0.2, max_iter=3, tol=0)
    rows = list(csv.reader(io.StringIO(trace_csv(res))))
    assert rows[0] == ["iter", "x", "f", "df/dx"]
    assert float(rows[1][1]) == 44.866666666666667
    assert len(rows) == 5
