"""Pictures of a run: the path on the function, convergence, learning-rate sweeps, GIFs.

matplotlib is optional (``pip install "symgd[plot]"``) and imported only
inside these functions, so the core never needs it. Every function returns a
`matplotlib.figure.Figure` built without pyplot (no global state; Jupyter
shows it), or writes a file::

    import symgd
    from symgd import plotting

    res = symgd.minimize("x^2 + y^2", [-4, 5], lr=0.1)
    fig = res.plot("x^2 + y^2")            # = plotting.plot_result(res, "x^2 + y^2")
    fig.savefig("path.png")
    plotting.animate(res, "x^2 + y^2", "path.gif")

Ranges are picked from the start points and where the runs ended, not from
every iterate, so a path that diverges to 1e30 leaves the picture at its
edge instead of flattening the rest. ``ranges=[(lo, hi), ...]`` overrides.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ArgumentError, SymgdError
from .objective import Objective
from .optimizers import OPTIMIZERS, default_learning_rate
from .result import CONVERGED, DIVERGED, FTOL, UNDEFINED, XTOL, Result

#: Most frames in an animation; longer runs are sampled evenly (first and last kept).
MAX_FRAMES = 60
#: Path points farther than this many spans (of starts and ends) from them are left outside the view.
REACH = 0.5
#: ... except a path's first EARLY points, kept within 3 spans (a diverging run's first swings).
EARLY = 8
_COLORS = ("tab:blue", "tab:orange", "tab:red", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
_MISSING = 'plotting needs matplotlib: pip install "symgd[plot]"'


def _mpl():
    """matplotlib, or a one-line `SymgdError` saying how to install it."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise SymgdError(_MISSING) from None
    return matplotlib, Figure


def figure(width: float = 6.4, height: float = 4.8):
    """A new `Figure` (constrained layout, no pyplot), to fill with the building blocks below."""
    _, Figure = _mpl()
    return Figure(figsize=(width, height), layout="constrained")


_figure = figure


# ---------------------------------------------------------------- ranges


def auto_range(
    anchors, paths=(), *, reach: float = REACH, early: int = EARLY, pad: float = 0.08
) -> tuple[float, float]:
    """A readable interval: the anchors (starts, ends, minima) plus the path points near them.

    Path points count when within ``reach`` spans of the anchors. With
    ``early`` > 0 (every run diverged) the first two steps always count, and
    the first ``early`` points within 3 spans, to show the first swings; the
    rest leave the picture at its edge.

    >>> auto_range([4.0, 44.0])
    (0.8, 47.2)
    >>> lo, hi = auto_range([5.0], [[5.0, 2.0, 6.0, -1e30, 1e30]])  # a diverging path is cut off
    >>> -20 < lo < hi < 30
    True
    """
    anchors = np.asarray(anchors, dtype=float).ravel()
    anchors = anchors[np.isfinite(anchors)]
    paths = [np.asarray(p, dtype=float).ravel() for p in paths]
    if anchors.size == 0:
        anchors = np.array([p[0] for p in paths if p.size and np.isfinite(p[0])][:1] or [0.0])
    lo, hi = float(anchors.min()), float(anchors.max())
    finite = [path[np.isfinite(path)] for path in paths]
    if early:  # every run went astray: its first two steps set the scale
        first = np.concatenate([path[:3] for path in finite] + [[lo, hi]])
        lo, hi = float(first.min()), float(first.max())
    span = max(hi - lo, 0.25 * abs(hi + lo), 1.0)
    for path in finite:
        near = path[(path >= lo - reach * span) & (path <= hi + reach * span)]
        head = path[:early][(path[:early] >= lo - 3 * span) & (path[:early] <= hi + 3 * span)]
        for points in (near, head):
            if points.size:
                lo, hi = min(lo, float(points.min())), max(hi, float(points.max()))
    if hi - lo < span:  # never narrower than the scale of the anchors themselves
        middle = (lo + hi) / 2
        lo, hi = middle - span / 2, middle + span / 2
    margin = pad * (hi - lo)
    return round(lo - margin, 12), round(hi + margin, 12)


def parse_ranges(text: str) -> list[tuple[float, float]]:
    """``--plot-range`` text, ``lo:hi`` or ``lo:hi,lo:hi``, as pairs.

    >>> parse_ranges("-5:5,-1:2")
    [(-5.0, 5.0), (-1.0, 2.0)]
    """
    pairs = []
    for part in text.split(","):
        try:
            lo, hi = (float(v) for v in part.split(":"))
        except ValueError:
            raise ArgumentError(f"--plot-range takes lo:hi or lo:hi,lo:hi, not {text!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ArgumentError(f"--plot-range needs finite lo < hi, not {part!r}")
        pairs.append((lo, hi))
    return pairs


def _paths(res: Result) -> list[np.ndarray]:
    """Every start's trace (T + 1, n): all of them with keep_history="all", else the best one."""
    starts = res.starts
    if starts is not None and starts.history_x is not None:
        return [starts.history_x[:, :, k] for k in range(starts.history_x.shape[2])]
    return [res.history.x]


def _anchors(runs: Sequence[Result]) -> np.ndarray:
    """Points that must be in view: every start, and every end that did not diverge."""
    points = []
    for res in runs:
        points.append(res.history.x[0])
        if not _bad(res):
            points += [res.x, res.best_x]
            if res.starts is None and len(runs) == 1:  # the start mirrored through the optimum: both sides
                points.append(2 * res.best_x - res.history.x[0])
        else:
            points.append(res.best_x)
        if res.starts is not None:
            points += list(res.starts.x0.T)
            ok = ~np.isin(res.starts.status, [DIVERGED, UNDEFINED])
            points += list(res.starts.x[:, ok].T)
    return np.array(points, dtype=float)


def _view(runs: Sequence[Result], paths: Sequence[np.ndarray], ranges) -> list[tuple[float, float]]:
    n = len(runs[0].variables)
    if ranges is not None:
        ranges = [tuple(map(float, r)) for r in ranges]
        if len(ranges) == 1 and n > 1:
            ranges = ranges * n
        if len(ranges) != n:
            raise ArgumentError(f"give one range or {n} ranges, not {len(ranges)}")
        return ranges
    anchors = _anchors(runs)
    # the first swings of a diverging run are worth showing only when no run kept its bearings
    early = EARLY if all(_bad(run) for run in runs) else 0
    return [auto_range(anchors[:, i], [p[:, i] for p in paths], early=early) for i in range(n)]


# ---------------------------------------------------------------- titles


def _objective(objective) -> Objective | None:
    if objective is None or isinstance(objective, Objective):
        return objective
    return Objective(objective)


def title(objective: Objective | None, variables: Sequence[str], optimizer=None, lr=None, maximize=False) -> str:
    """``max f(x, y) = x^2 + y^2 · gd, lr = 0.1``, the formula in mathtext when matplotlib can draw it."""
    goal = "max" if maximize else "min"
    names = list(variables) if len(variables) <= 4 else [variables[0], "…", variables[-1]]
    head = f"{goal} f({', '.join(names)})"
    if objective is not None:
        import sympy

        latex = sympy.latex(objective.expr)
        text = f"{head} = ${latex}$"
        if len(latex) > 80 or not _drawable(text):
            plain = str(objective.expr)
            text = f"{head} = {plain if len(plain) <= 60 else plain[:57] + '...'}"
        head = text
    how = [str(optimizer)] if optimizer else []
    if lr is not None:
        how.append(f"lr = {lr:g}" if isinstance(lr, (int, float)) else "lr = schedule")
    return head + ("   (" + ", ".join(how) + ")" if how else "")


def _drawable(text: str) -> bool:
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text[text.index("$") :])
    except Exception:  # mathtext cannot draw some of sympy's LaTeX: fall back to plain text
        return False
    return True


# ---------------------------------------------------------------- pictures


def plot_result(
    res: Result, objective=None, *, ranges=None, surface=False, optimizer=None, lr=None, fig=None, grid: int = 200
):
    """The picture that fits the run: the path on f (1 or 2 variables), else f and ‖∇f‖ per iteration.

    ``objective`` (a formula string or `Objective`) is needed to draw the
    function itself; without it, or with more than two variables, the picture
    is the convergence view. ``surface=True`` adds a 3-D view (2 variables).
    """
    objective = _objective(objective)
    n = len(res.variables)
    if objective is None or n > 2:
        return plot_convergence(res, objective, optimizer=optimizer, lr=lr)
    fig = fig or _figure(11 if surface and n == 2 else 6.4, 4.8)
    ax = fig.add_subplot(1, 2 if surface and n == 2 else 1, 1)
    if n == 1:
        path_1d(ax, res, objective, ranges=ranges)
    else:
        contour_2d(ax, res, objective, ranges=ranges, grid=grid)
        if surface:
            surface_3d(fig.add_subplot(1, 2, 2, projection="3d"), res, objective, ranges=ranges)
    fig.suptitle(title(objective, res.variables, optimizer, lr, res.maximize))
    return fig


def path_1d(ax, res: Result, objective: Objective, *, ranges=None, label="path", color="tab:blue", bold=True):
    """f over a range around the path, the iterates joined in order, start/end marked, the optimum labelled."""
    objective = _objective(objective)
    runs = [res]
    paths = _paths(res)
    ((lo, hi),) = _view(runs, paths, ranges)
    grid = np.linspace(lo, hi, 400)
    curve = _values(objective, grid[None, :])
    ax.plot(grid, curve, color="0.35", lw=1.2, label=f"f({res.variables[0]})", gid="curve")
    for path in paths[:-1] if len(paths) > 1 else []:
        ax.plot(path[:, 0], _values(objective, path.T), color=color, lw=0.6, alpha=0.35, marker=".", ms=2)
    x = res.history.x[:, 0]
    ax.plot(x, res.history.fun, color=color, lw=1.8 if bold else 1, marker="o", ms=3.5, label=label, gid="path")
    _ends(ax, res, x, res.history.fun, color)
    ax.set_xlim(lo, hi)
    shown = np.concatenate([_values(objective, p.T)[(p[:, 0] >= lo) & (p[:, 0] <= hi)] for p in paths])
    ax.set_ylim(*_y_range(shown, curve))
    _mark_optimum(ax, res, objective)
    ax.set_xlabel(res.variables[0])
    ax.set_ylabel(f"f({res.variables[0]})")
    ax.legend(loc="best", fontsize="small")
    return ax


def contour_2d(ax, res: Result, objective: Objective, *, ranges=None, levels=25, grid: int = 200):
    """Filled contours of f with the path on top; for multi-start every path thin, the best bold."""
    objective = _objective(objective)
    from matplotlib.ticker import MaxNLocator

    paths = _paths(res)
    (x0, x1), (y0, y1) = _view([res], paths, ranges)
    X, Y = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    Z = _values(objective, np.stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    inside = np.concatenate([p for p in paths])
    inside = inside[(inside[:, 0] >= x0) & (inside[:, 0] <= x1) & (inside[:, 1] >= y0) & (inside[:, 1] <= y1)]
    path_f = _values(objective, inside.T) if inside.size else np.array([])
    cs = ax.contourf(X, Y, Z, levels=contour_levels(Z, path_f, levels), cmap="viridis", extend="neither")
    ax.contour(X, Y, Z, levels=cs.levels, colors="k", linewidths=0.3, alpha=0.4)
    bar = ax.figure.colorbar(cs, ax=ax, label="f", shrink=0.9, spacing="proportional")
    bar.set_ticks(MaxNLocator(6).tick_values(cs.levels[0], cs.levels[-1]))
    bar.ax.set_ylim(cs.levels[0], cs.levels[-1])
    for path in paths if len(paths) > 1 else []:
        ax.plot(path[:, 0], path[:, 1], color="white", lw=0.7, alpha=0.6)
    h = res.history.x
    ax.plot(h[:, 0], h[:, 1], color="tab:red", lw=2, marker="o", ms=3, label="path", gid="path")
    _ends(ax, res, h[:, 0], h[:, 1], "tab:red")
    _mark_optimum(ax, res, objective, two_d=True)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(res.variables[0])
    ax.set_ylabel(res.variables[1])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=4, fontsize="small", frameon=False)
    return cs


def surface_3d(ax, res: Result, objective: Objective, *, ranges=None):
    """f as a surface with the path on it (ax is a 3-D axes)."""
    (x0, x1), (y0, y1) = _view([res], _paths(res), ranges)
    X, Y = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
    Z = _values(objective, np.stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.7, linewidth=0)
    h = res.history
    keep = (h.x[:, 0] >= x0) & (h.x[:, 0] <= x1) & (h.x[:, 1] >= y0) & (h.x[:, 1] <= y1)
    ax.plot(h.x[keep, 0], h.x[keep, 1], h.fun[keep], color="tab:red", lw=2, marker="o", ms=2)
    ax.set_xlabel(res.variables[0])
    ax.set_ylabel(res.variables[1])
    ax.set_zlabel("f")


def contour_levels(Z, path_f=(), count: int = 25) -> np.ndarray:
    """Increasing contour levels: quantiles of f on the grid (detail where f is flat), widened to the path's f.

    >>> contour_levels(np.array([[0.0, 1.0], [2.0, 3.0]]), [5.0], 4).tolist()
    [0.0, 5.0]
    >>> contour_levels(np.arange(100.0), [-1.0], 6).tolist()
    [-1.0, 49.5, 99.0]
    """
    values = np.asarray(Z, dtype=float).ravel()
    values = values[np.isfinite(values)]
    extra = np.asarray(path_f, dtype=float).ravel()
    extra = extra[np.isfinite(extra)]
    if values.size:  # quantiles show where f is flat, even steps where it is steep
        even = np.linspace(values.min(), values.max(), count // 2)
        levels = np.union1d(np.quantile(values, np.linspace(0, 1, count - count // 2)), even)
    else:
        levels = np.array([0.0, 1.0])
    if extra.size:
        levels[0] = min(levels[0], extra.min())
        levels[-1] = max(levels[-1], extra.max())
    levels = np.unique(levels)
    return levels if levels.size > 1 else np.array([levels[0] - 1, levels[0] + 1])


def plot_convergence(res: Result, objective=None, *, optimizer=None, lr=None, fig=None):
    """f and the gradient norm against iteration (log scales where the numbers span decades)."""
    fig = fig or _figure(9, 3.8)
    ax_f, ax_g = fig.subplots(1, 2)
    h = res.history
    it = np.arange(len(h))
    ax_f.plot(it, h.fun, color="tab:blue", gid="fun")
    gap = np.abs(h.fun - res.best_fun)
    if _spans_decades(h.fun):
        ax_f.set_yscale("symlog", linthresh=max(1e-12, float(np.nanmin(np.abs(h.fun[h.fun != 0]), initial=1.0))))
    elif gap[np.isfinite(gap)].size and _spans_decades(gap[gap > 0]) and np.all(h.fun > 0):
        ax_f.set_yscale("log")
    ax_f.set_xlabel("iteration")
    ax_f.set_ylabel("f")
    ax_f.set_title("objective", fontsize="medium")
    ax_g.plot(it, h.grad_norm, color="tab:orange", gid="grad_norm")
    if np.all(h.grad_norm[np.isfinite(h.grad_norm)] > 0):
        ax_g.set_yscale("log")
    ax_g.set_xlabel("iteration")
    ax_g.set_ylabel("‖∇f‖")
    ax_g.set_title("gradient norm", fontsize="medium")
    fig.suptitle(title(_objective(objective), res.variables, optimizer, lr, res.maximize))
    return fig


def plot_sweep(sweep, objective=None, *, ranges=None, optimizer=None):
    """One picture of a learning-rate sweep: each rate's path on f (1–2 variables) and f against iteration.

    The view is chosen from the starts and the runs that did not diverge; a
    diverging path runs off the edge (marked "diverged" in its label).
    """
    objective = _objective(objective)
    runs = list(sweep.results.values())
    rates = list(sweep.results)
    first = runs[0]
    n = len(first.variables)
    show_path = objective is not None and n <= 2
    fig = _figure(11 if show_path else 6.4, 4.6)
    axes = fig.subplots(1, 2 if show_path else 1, squeeze=False)[0]
    verdicts = sweep.verdicts()
    verdicts = ["diverging" if _bad(run) and v == "slow" else v for run, v in zip(runs, verdicts)]
    labels = [f"lr = {lr:g} ({verdict})" for lr, verdict in zip(rates, verdicts)]
    # bad runs go underneath, thinner, so a diverging zigzag does not hide the others
    style = [
        {"zorder": 1.5, "lw": 0.9, "ms": 2.5} if _bad(run) else {"zorder": 2.5, "lw": 1.5, "ms": 3.5} for run in runs
    ]
    if show_path:
        ax = axes[0]
        paths = [run.history.x for run in runs]
        view = _view(runs, paths, ranges)
        if n == 1:
            grid = np.linspace(*view[0], 400)
            curve = _values(objective, grid[None, :])
            ax.plot(grid, curve, color="0.35", lw=1.2, gid="curve")
            shown = np.concatenate(
                [r.history.fun[(p[:, 0] >= view[0][0]) & (p[:, 0] <= view[0][1])] for r, p in zip(runs, paths)]
            )
            ax.set_ylim(*_y_range(shown, curve))
            ax.set_ylabel(f"f({first.variables[0]})")
        else:
            X, Y = np.meshgrid(np.linspace(*view[0], 150), np.linspace(*view[1], 150))
            Z = _values(objective, np.stack([X.ravel(), Y.ravel()])).reshape(X.shape)
            ax.contourf(X, Y, Z, levels=contour_levels(Z), cmap="viridis")
            ax.set_ylim(*view[1])
            ax.set_ylabel(first.variables[1])
        for k, (run, label) in enumerate(zip(runs, labels)):
            color = _COLORS[k % len(_COLORS)]
            ys = run.history.fun if n == 1 else run.history.x[:, 1]
            ax.plot(run.history.x[:, 0], ys, color=color, marker="o", label=label, gid=f"path{k}", **style[k])
        ax.set_xlim(*view[0])
        ax.set_xlabel(first.variables[0])
        ax.legend(loc="best", fontsize="small")
    ax = axes[-1]
    finite = []
    for k, (run, label) in enumerate(zip(runs, labels)):
        ax.plot(np.arange(len(run.history)), run.history.fun, color=_COLORS[k % len(_COLORS)], label=label)
        if not _bad(run):
            finite.append(run.history.fun)
    fs = np.concatenate(finite or [runs[0].history.fun[:1]])
    lo, hi = _clip_range(fs[np.isfinite(fs)])
    ax.set_ylim(lo, hi)  # a diverging run leaves through the top (or bottom) instead of squashing the rest
    lengths = [len(run.history) for run in runs]
    if max(lengths) > 50 and max(lengths) > 5 * min(lengths):  # a quick run and a slow one: both readable
        ax.set_xscale("symlog", linthresh=1, linscale=0.5)
        ax.set_xlim(0, max(lengths))
    ax.set_xlabel("iteration")
    ax.set_ylabel("f")
    ax.set_title("f against iteration", fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    fig.suptitle(title(objective, first.variables, optimizer, None, first.maximize))
    return fig


def animate(
    res: Result, objective, path, *, ranges=None, max_frames: int = MAX_FRAMES, fps: int = 8, optimizer=None, lr=None
) -> int:
    """Write the descent as a GIF (Pillow, as matplotlib's PillowWriter), at most ``max_frames`` frames.

    The picture is drawn once; each frame redraws only the path (blitting),
    so a 60-frame GIF takes a second, not a minute. Returns the frame count.
    """
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    objective = _objective(objective)
    if objective is None or len(res.variables) > 2:
        raise ArgumentError("an animation needs the formula and one or two variables")
    fig = plot_result(res, objective, ranges=ranges, optimizer=optimizer, lr=lr, fig=_figure(5.6, 4.2))
    fig.set_dpi(90)
    canvas = FigureCanvasAgg(fig)
    line = next(line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == "path")
    xs, ys = line.get_xdata(), line.get_ydata()
    line.set_visible(False)
    canvas.draw()
    fig.set_layout_engine("none")  # keep the layout of that first draw
    background = canvas.copy_from_bbox(fig.bbox)
    line.set_visible(True)
    images = []
    frames = frame_indices(len(xs), max_frames)
    for i in frames:
        canvas.restore_region(background)
        line.set_data(xs[: i + 1], ys[: i + 1])
        line.axes.draw_artist(line)
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3].copy()))
    hold = [round(1000 / fps)] * (len(images) - 1) + [2000]  # linger on the last frame
    images[0].save(path, save_all=True, append_images=images[1:], duration=hold, loop=0)
    return len(frames)


def animate_fit(fit, data, path, *, max_frames: int = MAX_FRAMES, fps: int = 8) -> int:
    """Write a fit as a GIF: the fitted curve (or the predictions) epoch by epoch, at most
    ``max_frames`` frames. Returns the frame count."""
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from .fitting import numeric_columns

    fig = plot_fit(fit, data)
    fig.set_dpi(80)
    canvas = FigureCanvasAgg(fig)
    left = fig.axes[0]
    one_input = len(fit.inputs) == 1
    drawn = left.lines[0] if one_input else left.collections[0]
    rows = np.array([numeric_columns(data, fit.inputs)[name] for name in fit.inputs]).reshape(len(fit.inputs), -1)
    order = np.argsort(rows[0], kind="stable") if one_input else slice(None)
    actual = numeric_columns(data, [fit.target])[fit.target]
    drawn.set_visible(False)
    canvas.draw()
    fig.set_layout_engine("none")
    background = canvas.copy_from_bbox(fig.bbox)
    drawn.set_visible(True)
    images = []
    frames = frame_indices(len(fit.params_history), max_frames)
    for k in frames:
        predicted = np.broadcast_to(fit._predict(fit.params_history[k], rows), actual.shape)
        canvas.restore_region(background)
        if one_input:
            drawn.set_ydata(predicted[order])
        else:
            drawn.set_offsets(np.column_stack([actual, predicted]))
        left.draw_artist(drawn)
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3].copy()))
    hold = [round(1000 / fps)] * (len(images) - 1) + [2000]
    try:
        images[0].save(path, save_all=True, append_images=images[1:], duration=hold, loop=0)
    except OSError as error:
        raise ArgumentError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    return len(frames)


def frame_indices(length: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Rows to show, evenly spread, first and last included, at most ``max_frames``.

    >>> frame_indices(5).tolist(), frame_indices(1000, 4).tolist()
    ([0, 1, 2, 3, 4], [0, 333, 666, 999])
    """
    return np.unique(np.linspace(0, length - 1, min(length, max(max_frames, 2))).astype(int))


# ---------------------------------------------------------------- helpers


def _values(objective: Objective, points: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.asarray(objective.value(np.asarray(points, dtype=float)), dtype=float)
    return np.broadcast_to(out, points.shape[1:]).astype(float) if out.ndim == 0 else out


def _clip_range(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -1.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    margin = 0.06 * (hi - lo) if hi > lo else max(1.0, abs(hi) * 0.1)
    return lo - margin, hi + margin


def _y_range(shown, curve) -> tuple[float, float]:
    """The path's values and the curve's valleys, and of the curve's heights no more than twice as much again."""
    shown = np.asarray(shown, dtype=float)
    shown = shown[np.isfinite(shown)]
    curve = np.asarray(curve, dtype=float)
    curve = curve[np.isfinite(curve)]
    if shown.size == 0:
        return _clip_range(curve)
    lo = min(shown.min(), curve.min()) if curve.size else shown.min()
    top = shown.max() + 2 * (shown.max() - lo)
    hi = max(shown.max(), min(curve.max(), top)) if curve.size else shown.max()
    return _clip_range([lo, hi])


def _bad(run: Result) -> bool:
    """Diverged, undefined, or (stopped early) ended worse than it started: a run not to frame the picture by."""
    if run.status in (DIVERGED, UNDEFINED):
        return True
    f0, f1 = run.history.fun[0], run.fun
    return bool(np.isfinite(f0) and (not np.isfinite(f1) or (f1 < f0 if run.maximize else f1 > f0)))


def _spans_decades(values) -> bool:
    values = np.abs(np.asarray(values, dtype=float))
    values = values[np.isfinite(values) & (values > 0)]
    return values.size > 1 and values.max() / values.min() > 1e3


def _ends(ax, res: Result, xs, ys, color) -> None:
    ax.plot(xs[:1], ys[:1], "s", color=color, ms=8, mec="k", label="start", gid="start")
    ax.plot(xs[-1:], ys[-1:], "D", color="white", ms=7, mec=color, mew=1.5, label="end", gid="end")


def _mark_optimum(ax, res: Result, objective: Objective, two_d: bool = False) -> None:
    """A star on the optimum found (every distinct one, for multi-start), labelled."""
    kind = "maximum" if res.maximize else "minimum"
    settled = res.status in (CONVERGED, XTOL, FTOL) or float(np.linalg.norm(res.grad)) < 1e-3
    if not (settled or res.minima):
        kind = "best point"  # stopped on the way: not (yet) an optimum
    if res.minima:
        points = [(m.x, m.fun) for m in res.minima]
    elif res.status not in (DIVERGED, UNDEFINED):
        points = [(res.best_x, res.best_fun)]
    else:
        return
    xs = np.array([p[0] for p in points], dtype=float)
    if two_d:
        label = f"{kind} ({_num(xs[0, 0])}, {_num(xs[0, 1])})" if len(points) == 1 else f"{kind}s found"
        ax.plot(xs[:, 0], xs[:, 1], "w*", ms=13, mec="k", label=label, gid="optimum")
        return
    fs = np.array([p[1] for p in points], dtype=float)
    ax.plot(xs[:, 0], fs, "*", color="gold", ms=15, mec="k", zorder=5, gid="optimum")
    lo, hi = ax.get_xlim()
    bottom, top = ax.get_ylim()
    room = 0.3 * (top - bottom)  # the labels go under a minimum (over a maximum), where f leaves space
    ax.set_ylim(bottom, top + room) if res.maximize else ax.set_ylim(bottom - room, top)
    order = np.argsort(xs[:3, 0])
    for k, (x, f) in enumerate(zip(xs[:3, 0], fs[:3])):
        name = kind if len(points) == 1 else f"{kind} {k + 1}"
        right = x < (lo + hi) / 2 if len(points) == 1 else order[-1] == k  # labels apart, on the roomier side
        ax.annotate(
            f"{name}\n{res.variables[0]} = {_num(x)}\nf = {_num(f)}",
            (x, f),
            xytext=(40 if right else -40, 50 if res.maximize else -50),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize="small",
            arrowprops={"arrowstyle": "->", "color": "0.3"},
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.9},
        )


def _num(value: float) -> str:
    """Short: 4 significant digits, and rounding noise (-2.6e-09 next to 4.0) shown as 0."""
    return "0" if abs(value) < 1e-6 else f"{value:.4g}"


# ---------------------------------------------------------------- command line


def add_plot_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--plot FILE``, ``--animate FILE.gif`` and ``--plot-range`` (a group "pictures")."""
    group = parser.add_argument_group('pictures (need matplotlib: pip install "symgd[plot]")')
    group.add_argument("--plot", metavar="FILE", help="save a picture of the run: FILE.png, .svg or .pdf")
    group.add_argument("--animate", metavar="FILE.gif", help="save the descent as an animated GIF")
    group.add_argument("--plot-range", metavar="LO:HI[,LO:HI]", help="the picture's ranges, e.g. -5:5 or -5:5,-2:2")


def picture_path(text: str) -> Path:
    """The file ``--plot`` names, if matplotlib can write it (.png, .svg or .pdf)."""
    path = Path(text)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ArgumentError(f"--plot writes .png, .svg or .pdf files, not {path.name!r}")
    return path


def write_figures(args: argparse.Namespace, res: Any, objective=None) -> list[Path]:
    """Write what ``--plot`` / ``--animate`` ask for; returns the files written.

    ``res`` is a `Result` or a `LearningRateSweep`. Raises `SymgdError`
    (exit status 2) for a missing matplotlib, a bad suffix or range.
    """
    plot_file, gif_file = getattr(args, "plot", None), getattr(args, "animate", None)
    if not plot_file and not gif_file:
        return []
    _mpl()
    ranges = parse_ranges(args.plot_range) if getattr(args, "plot_range", None) else None
    optimizer = getattr(args, "optimizer", None)
    rates = getattr(args, "lr", None)
    lr = rates[0] if isinstance(rates, list) and len(rates) == 1 else rates if isinstance(rates, float) else None
    if rates is None and optimizer in OPTIMIZERS:
        lr = default_learning_rate(optimizer)  # the rate the run used
    written = []
    if plot_file:
        path = picture_path(plot_file)
        if hasattr(res, "results"):
            fig = plot_sweep(res, objective, ranges=ranges, optimizer=optimizer)
        else:
            fig = plot_result(res, objective, ranges=ranges, optimizer=optimizer, lr=lr)
        _save(fig, path)
        written.append(path)
    if gif_file:
        path = Path(gif_file)
        if path.suffix.lower() != ".gif":
            raise ArgumentError(f"--animate writes a .gif file, not {path.name!r}")
        run = res.best() if hasattr(res, "results") else res
        if hasattr(res, "results"):  # a sweep: animate its best rate
            lr = next(rate for rate, other in res.results.items() if other is run)
        try:
            animate(run, objective, path, ranges=ranges, max_frames=MAX_FRAMES, optimizer=optimizer, lr=lr)
        except OSError as error:
            raise ArgumentError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
        written.append(path)
    return written


def _save(fig, path: Path) -> None:
    try:
        fig.savefig(path, dpi=110)
    except OSError as error:
        raise ArgumentError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


def plot_fit(fit, data) -> Any:
    """A fit's picture: the data and the fitted curve (one input) or predicted against actual
    (more inputs), beside the loss per epoch. ``data`` as `symgd.fit` takes it.
    """
    from .fitting import numeric_columns  # fitting builds on modules that import this one

    fig = figure(11, 4.5)
    left, right = fig.subplots(1, 2)
    actual = numeric_columns(data, [fit.target])[fit.target]
    predicted = np.asarray(fit.predict(data), dtype=float)
    if len(fit.inputs) == 1:
        (name,) = fit.inputs
        x = numeric_columns(data, [name])[name]
        order = np.argsort(x, kind="stable")
        left.scatter(x, actual, s=10, color="black", label="data")
        left.plot(x[order], predicted[order], color="tab:blue", linewidth=2, label="fit")
        left.set(xlabel=name, ylabel=fit.target)
    else:
        left.scatter(actual, predicted, s=10, color="tab:blue", label="rows")
        low, high = float(np.min(actual)), float(np.max(actual))
        left.plot([low, high], [low, high], color="black", linewidth=1, label="predicted = actual")
        left.set(xlabel=f"actual {fit.target}", ylabel=f"predicted {fit.target}")
    left.set_title(", ".join(f"{k} = {v:.6g}" for k, v in fit.params.items()), fontsize=10)
    left.legend(fontsize=9)
    history = np.asarray(fit.history, dtype=float)
    positive = bool(np.all(history[np.isfinite(history)] > 0))
    (right.semilogy if positive and np.ptp(np.log10(history[history > 0])) > 2 else right.plot)(history)
    right.set(xlabel="epoch", ylabel=f"{fit.loss_name} loss", title="loss per epoch")
    fig.suptitle(f"fit of {fit.model}" if len(fit.model) <= 60 else "fit")
    return fig


def example_plot_dir(argv: Sequence[str] | None = None) -> Path | None:
    """Where an example script should write its pictures: ``--plot DIR`` or ``$SYMGD_PLOT_DIR``, else None."""
    import os
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    given = "--plot" in argv[:-1]
    directory = argv[argv.index("--plot") + 1] if given else os.environ.get("SYMGD_PLOT_DIR")
    if not directory:
        return None
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(fig, path) -> Path:
    """``fig.savefig`` at a readable resolution; a `SymgdError` if the file cannot be written."""
    path = Path(path)
    _save(fig, path)
    return path
