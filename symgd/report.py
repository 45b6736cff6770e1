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

from .result import Result


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def columns(res: Result) -> list[str]:
    """Column names of the trace: iter, each variable, f, each partial derivative."""
    return ["iter", *res.variables, "f", *(f"df/d{name}" for name in res.variables)]


def sampled(count: int, max_rows: int | None) -> list[int | None]:
    """Row indices to show: all, or the first and last ``max_rows`` with ``None`` where rows are left out."""
    if not max_rows or count <= max_rows + 1:  # never hide a single row behind a marker
        return list(range(count))
    head = (max_rows + 1) // 2
    return [*range(head), None, *range(count - (max_rows - head), count)]


def align(header: list[str], body: list[list[str] | None], hidden: int = 0) -> str:
    """Right-aligned columns; a ``None`` row stands for ``hidden`` rows left out."""
    shown = [line for line in body if line is not None]
    widths = [max(len(line[k]) for line in [header, *shown]) for k in range(len(header))]
    marker = f"{'...':>{widths[0]}}  ({hidden} rows not shown)"
    return "\n".join(marker if line is None else "  ".join(map(str.rjust, line, widths)) for line in [header, *body])


def rows(res: Result) -> list[list[float]]:
    """Every trace row: ``[iter, *x, f, *grad]``."""
    h = res.history
    return [[i, *h.x[i], h.fun[i], *h.grad[i]] for i in range(len(h))]


def trace_table(res: Result, max_rows: int | None = 40, digits: int = 10) -> str:
    """The trace as an aligned text table; long runs show their first and last rows."""
    h = res.history
    body = [
        None if i is None else [str(i), *(_number(v, digits) for v in (*h.x[i], h.fun[i], *h.grad[i]))]
        for i in sampled(len(h), max_rows)
    ]
    return align(columns(res), body, len(h) - sum(line is not None for line in body))


def starts_table(res: Result, max_rows: int | None = 40, digits: int = 8) -> str:
    """Every start of a multi-start run: where it ended, f there, iterations, status."""
    starts = res.starts
    body = [
        None
        if j is None
        else [
            str(j),
            *(_number(v, digits) for v in (*starts.x[:, j], starts.fun[j])),
            str(starts.nit[j]),
            starts.status[j],
        ]
        for j in sampled(len(starts), max_rows)
    ]
    header = ["start", *res.variables, "f", "iterations", "status"]
    return align(header, body, len(starts) - sum(line is not None for line in body))


def minima_table(res: Result, digits: int = 10) -> str:
    """The distinct minima (maxima) a multi-start run found, best first, with how many starts found each."""
    header = ["#", *res.variables, "f", "starts"]
    body = [[str(k), *(_number(v, digits) for v in (*m.x, m.fun)), str(m.count)] for k, m in enumerate(res.minima, 1)]
    return align(header, body)


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
