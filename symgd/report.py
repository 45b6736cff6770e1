"""Readable text for a `Result`: the trace as a table, a summary, CSV.

>>> import symgd
>>> res = symgd.minimize("x^2 - 8x + 4", x0=44.866666666666667, lr=0.2, max_iter=2, tol=0)
>>> print(trace_table(res))
iter            x            f        df/dx
   0  44.86666667  1658.084444  81.73333333
   1        28.52     589.2304        49.04
   2       18.712   204.442944       29.424
"""

from __future__ import annotations

import csv
import io

import numpy as np

from .result import Result


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def columns(res: Result) -> list[str]:
    """Column names of the trace: iter, each variable, f, each partial derivative."""
    return ["iter", *res.variables, "f", *(f"df/d{name}" for name in res.variables)]


def rows(res: Result, max_rows: int | None = None) -> list[list[float] | None]:
    """Trace rows ``[iter, *x, f, *grad]``; with ``max_rows``, the first and last
    rows only, a ``None`` marking the rows left out."""
    h = res.history
    index = np.arange(len(h))
    if max_rows and len(h) > max_rows + 1:  # never hide a single row behind a marker
        head = (max_rows + 1) // 2
        index = np.concatenate([index[:head], [-1], index[len(h) - (max_rows - head) :]])
    return [None if i < 0 else [i, *h.x[i], h.fun[i], *h.grad[i]] for i in index]


def trace_table(res: Result, max_rows: int | None = 40, digits: int = 10) -> str:
    """The trace as an aligned text table; long runs show their first and last rows."""
    header = columns(res)
    body = [
        None if row is None else [str(int(row[0]))] + [_number(v, digits) for v in row[1:]]
        for row in rows(res, max_rows)
    ]
    shown = [line for line in body if line is not None]
    widths = [max(len(line[k]) for line in [header, *shown]) for k in range(len(header))]
    hidden = f"{'...':>{widths[0]}}  ({len(res.history) - len(shown)} rows not shown)"
    return "\n".join(hidden if line is None else "  ".join(map(str.rjust, line, widths)) for line in [header, *body])


def summary(res: Result, digits: int = 10) -> str:
    """Where the run ended, f there, and why it stopped."""
    point = ", ".join(f"{name} = {_number(v, digits)}" for name, v in zip(res.variables, res.x))
    lines = [res.message, f"  {point}", f"  f = {_number(res.fun, digits)}"]
    if not res.success and res.best_iter != res.nit:
        best = ", ".join(f"{name} = {_number(v, digits)}" for name, v in zip(res.variables, res.best_x))
        lines.append(f"  best seen: f = {_number(res.best_fun, digits)} at iteration {res.best_iter} ({best})")
    return "\n".join(lines)


def trace_csv(res: Result) -> str:
    """The whole trace as CSV, full precision."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns(res))
    for row in rows(res):
        writer.writerow([int(row[0]), *(repr(float(v)) for v in row[1:])])
    return out.getvalue()
