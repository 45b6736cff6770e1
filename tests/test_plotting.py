"""Pictures (symgd.plotting): the data drawn equals the trace; ranges, levels, files, a missing matplotlib."""

from __future__ import annotations

import argparse
import runpy
import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import ROOT

import symgd
from symgd import plotting
from symgd.errors import ArgumentError, SymgdError

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    import matplotlib

    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib.use("Agg")


def gid(fig, name):
    """The one line drawn with this gid, on any axes."""
    (line,) = [line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == name]
    return line


def quiet_minimize(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", symgd.SymgdWarning)  # lr past the stable limit, on purpose
        return symgd.minimize(*args, **kwargs)


def test_missing_matplotlib_is_a_clear_symgd_error(monkeypatch):
    res = symgd.minimize("x^2", 1.0)
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)  # import now fails, as if not installed
    with pytest.raises(SymgdError, match=r'pip install "symgd\[plot\]"') as caught:
        res.plot("x^2")
    assert "\n" not in str(caught.value)
    args = argparse.Namespace(plot="out.png", animate=None, plot_range=None)
    with pytest.raises(SymgdError, match="matplotlib"):  # the command line turns this into exit status 2
        plotting.write_figures(args, res, symgd.Objective("x^2"))


def test_the_core_never_imports_matplotlib():
    code = "import sys, symgd; symgd.minimize('x^2 + y^2', [1, 2]); print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_one_variable_path_is_the_trace():
    res = symgd.minimize("x^2 - 8x + 4", 44.87, lr=0.2)
    fig = res.plot("x^2 - 8x + 4", optimizer="gd", lr=0.2)
    path = gid(fig, "path")
    np.testing.assert_array_equal(path.get_xdata(), res.history.x[:, 0])
    np.testing.assert_array_equal(path.get_ydata(), res.history.fun)
    assert gid(fig, "start").get_xdata()[0] == 44.87
    assert gid(fig, "end").get_xdata()[0] == res.x[0]
    star = gid(fig, "optimum")
    assert star.get_xdata()[0] == pytest.approx(4) and star.get_ydata()[0] == pytest.approx(-12)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert lo < 4 and hi > 44.87
    curve = gid(fig, "curve")
    np.testing.assert_allclose(curve.get_ydata(), curve.get_xdata() ** 2 - 8 * curve.get_xdata() + 4)
    assert "minimum" in ax.texts[0].get_text() and "x = 4" in ax.texts[0].get_text()
    assert fig._suptitle.get_text() == r"min f(x) = $x^{2} - 8 x + 4$   (gd, lr = 0.2)"


def test_maximize_marks_the_maximum():
    res = symgd.maximize("100*l - l^2", 57, lr=0.1)
    fig = res.plot("100*l - l^2")
    np.testing.assert_array_equal(gid(fig, "path").get_ydata(), res.history.fun)
    assert gid(fig, "optimum").get_xdata()[0] == pytest.approx(50)
    assert fig.axes[0].texts[0].get_text().startswith("maximum")
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 45 and hi > 57  # both sides of the hill
    assert fig._suptitle.get_text().startswith("max f(l)")


def test_two_variables_contours_cover_the_path():
    obj = symgd.Objective("x^2 + 3y^2 + x*y")
    res = symgd.minimize(obj, [-4, 5], lr=0.1)
    fig = res.plot(obj, surface=True)
    path = gid(fig, "path")
    np.testing.assert_array_equal(path.get_xdata(), res.history.x[:, 0])
    np.testing.assert_array_equal(path.get_ydata(), res.history.x[:, 1])
    cs = next(c for c in fig.axes[0].collections if hasattr(c, "levels"))
    assert cs.levels[0] <= res.history.fun.min() and cs.levels[-1] >= res.history.fun.max()
    assert np.all(np.diff(cs.levels) > 0)
    assert any(ax.name == "3d" for ax in fig.axes)
    (x0, x1), (y0, y1) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    assert x0 <= -4 and x1 >= 0 and y0 <= 0 and y1 >= 5


def test_multistart_draws_every_path_thin_the_best_bold_and_the_minima():
    f = "(x^2 - 1)^2 + y^2"
    res = symgd.minimize(f, restarts=6, domain=(-2, 2), seed=1, lr=0.05, keep_history="all")
    fig = res.plot(f)
    ax = fig.axes[0]
    thin = [line for line in ax.get_lines() if line.get_gid() is None]
    assert len(thin) == 6
    for k, line in enumerate(thin):
        np.testing.assert_array_equal(line.get_xdata(), res.starts.history_x[:, 0, k])
    assert gid(fig, "path").get_linewidth() > thin[0].get_linewidth()
    stars = gid(fig, "optimum")
    assert sorted(np.round(stars.get_xdata(), 4)) == sorted(np.round([m.x[0] for m in res.minima], 4))


def test_more_variables_show_objective_and_gradient_norm():
    res = symgd.minimize("a^2 + b^2 + c^2 + sin(a)", [1, 2, 3])
    for fig in (res.plot(), res.plot("a^2 + b^2 + c^2 + sin(a)")):
        np.testing.assert_array_equal(gid(fig, "fun").get_ydata(), res.history.fun)
        np.testing.assert_array_equal(gid(fig, "grad_norm").get_ydata(), res.history.grad_norm)
        assert gid(fig, "grad_norm").axes.get_yscale() == "log"


def test_a_diverging_path_does_not_flatten_the_picture():
    res = quiet_minimize("x^2 - 8x + 4", 5.696428571428571, lr=1.06)
    assert res.status == "diverged" and np.abs(res.history.x).max() > 1e5
    fig = res.plot("x^2 - 8x + 4")
    lo, hi = fig.axes[0].get_xlim()
    assert hi - lo < 50 and lo < 4 < hi  # the first swings around x = 4, then off the edge
    res2 = quiet_minimize("x^2 + y^2", [1, 2], lr=1.5, max_iter=200)
    assert res2.status == "diverged"
    fig = res2.plot("x^2 + y^2")
    assert np.ptp(fig.axes[0].get_xlim()) < 100 and np.ptp(fig.axes[0].get_ylim()) < 100
    assert plotting.auto_range([1.0], [[1.0, -3.0, 9.0, -1e30, 1e30]])[1] < 20


def test_sweep_picture_keeps_the_diverging_rate_from_squashing_the_others():
    sweep = quiet_minimize("x^2 - 8x + 4", 44.87, lr=[0.01, 0.2, 1.06])
    fig = sweep.plot("x^2 - 8x + 4", optimizer="gd")
    paths = [gid(fig, f"path{k}") for k in range(3)]
    for line, run in zip(paths, sweep.results.values()):
        np.testing.assert_array_equal(line.get_xdata(), run.history.x[:, 0])
    assert "diverged" in paths[2].get_label()
    ax_f = fig.axes[1]
    assert ax_f.get_ylim()[1] < 2000 < sweep.results[1.06].history.fun.max()
    assert fig.axes[0].get_xlim()[1] < 100


def test_animation_caps_the_frames(tmp_path):
    res = symgd.minimize("x^2 + y^2", [-4, 5], lr=0.05)
    assert res.nit > 100
    out = tmp_path / "run.gif"
    assert plotting.animate(res, "x^2 + y^2", out, max_frames=12) == 12
    with Image.open(out) as gif:
        assert gif.format == "GIF" and 2 <= gif.n_frames <= 12
    assert plotting.frame_indices(500, 10).tolist()[::9] == [0, 499]


def test_command_line_helpers(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting, "MAX_FRAMES", 8)  # a short GIF: the test is about the wiring
    parser = argparse.ArgumentParser()
    plotting.add_plot_arguments(parser)
    obj = symgd.Objective("x^2 - 8x + 4")
    res = symgd.minimize(obj, 44.87, lr=0.2)
    png, gif = tmp_path / "f.png", tmp_path / "f.gif"
    args = parser.parse_args(["--plot", str(png), "--animate", str(gif), "--plot-range=-10:50"])
    assert plotting.write_figures(args, res, obj) == [png, gif]
    with Image.open(png) as image:
        assert image.size[0] > 400
    for suffix in ("svg", "pdf"):
        args = parser.parse_args(["--plot", str(tmp_path / f"f.{suffix}")])
        assert plotting.write_figures(args, res, obj)[0].stat().st_size > 1000
    assert plotting.write_figures(parser.parse_args([]), res, obj) == []
    sweep = quiet_minimize(obj, 44.87, lr=[0.2, 1.06])
    assert plotting.write_figures(parser.parse_args(["--plot", str(png)]), sweep, obj) == [png]
    with pytest.raises(ArgumentError, match=r"\.png, \.svg or \.pdf"):
        plotting.write_figures(parser.parse_args(["--plot", str(tmp_path / "f.jpg")]), res, obj)
    with pytest.raises(ArgumentError, match="lo:hi"):
        plotting.write_figures(parser.parse_args(["--plot", str(png), "--plot-range", "a:b"]), res, obj)
    with pytest.raises(ArgumentError, match="cannot write"):
        plotting.write_figures(parser.parse_args(["--plot", str(tmp_path / "no" / "f.png")]), res, obj)
    assert plotting.parse_ranges("-5:5,0:1") == [(-5, 5), (0, 1)]
    fig = plotting.plot_result(res, obj, ranges=plotting.parse_ranges("-10:50"))
    assert fig.axes[0].get_xlim() == (-10, 50)


EXAMPLE_PICTURES = {
    "seed_000_partial_derivatives": ["seed_000_partial_derivatives.png"],
    "seed_001_curve_fit": ["seed_001_curve_fit.png"],
    "seed_001_fence": ["seed_001_fence.png"],
    "seed_002_learning_rates": ["seed_002_learning_rates.png", "seed_002_learning_rates.gif"],
    "seed_002_restarts_and_rates": ["seed_002_restarts.png", "seed_002_rates.png"],
    "seed_002_two_minima": ["seed_002_two_minima.png"],
    "seed_002_two_variables": ["seed_002_two_variables.png"],
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_PICTURES))
def test_every_example_writes_its_picture(name, tmp_path, monkeypatch, capsys):
    assert {p.stem for p in (ROOT / "examples").glob("seed_*.py")} == set(EXAMPLE_PICTURES)
    script = str(ROOT / "examples" / f"{name}.py")
    monkeypatch.delenv("SYMGD_PLOT_DIR", raising=False)
    monkeypatch.setattr(sys, "argv", [script])
    runpy.run_path(script, run_name="__main__")
    plain = capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", [script, "--plot", str(tmp_path)])
    runpy.run_path(script, run_name="__main__")
    assert capsys.readouterr().out == plain  # drawing changes nothing printed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(EXAMPLE_PICTURES[name])
    for file in EXAMPLE_PICTURES[name]:
        with Image.open(tmp_path / file) as image:
            pixels = np.asarray(image.convert("L"))
        assert image.size[0] >= 500 and pixels.std() > 10  # a real picture, not a blank


def test_sweep_in_two_variables_and_without_the_formula():
    sweep = quiet_minimize("x^2 + 2y^2", [3, -2], lr=[0.05, 0.3, 0.6], max_iter=200)
    fig = sweep.plot("x^2 + 2y^2")
    for k, run in enumerate(sweep.results.values()):
        np.testing.assert_array_equal(gid(fig, f"path{k}").get_ydata(), run.history.x[:, 1])
    assert np.ptp(fig.axes[0].get_xlim()) < 50  # lr = 0.6 diverges off the edge
    fig = sweep.plot()
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 3


def test_titles_fall_back_to_plain_text_for_long_formulas():
    obj = symgd.Objective(" + ".join(f"sin(x{i})^2" for i in range(40)))
    text = plotting.title(obj, obj.variables[:2], "adam", 0.01)
    assert "$" not in text and text.endswith("(adam, lr = 0.01)") and len(text) < 200
    assert plotting.title(None, ("x",), None, None, maximize=True) == "max f(x)"


def test_fit_picture_draws_the_data_and_the_fitted_curve():
    x = np.arange(100.0)
    data = {"x": x, "y": 100 * x - x**2}
    fitted = symgd.fit("a*x**2 + b*x", data, optimizer="newton", p0={"a": -2, "b": 30})
    fig = fitted.plot(data)
    left, right = fig.axes[:2]
    np.testing.assert_array_equal(left.collections[0].get_offsets(), np.column_stack([x, data["y"]]))
    np.testing.assert_allclose(left.lines[0].get_ydata(), 100 * x - x**2, atol=1e-6)  # a = -1, b = 100
    np.testing.assert_array_equal(right.lines[0].get_ydata(), fitted.history)


def test_fit_picture_with_two_inputs_is_predicted_against_actual():
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=50), "z": rng.normal(size=50)}
    data["y"] = 2 * data["x"] - data["z"]
    fitted = symgd.fit("a*x + b*z", data, optimizer="newton")
    left = fitted.plot(data).axes[0]
    np.testing.assert_allclose(left.collections[0].get_offsets(), np.column_stack([data["y"], fitted.predict(data)]))
    assert left.get_xlabel() == "actual y" and left.get_ylabel() == "predicted y"


def test_fit_command_writes_its_picture(tmp_path):
    csv = tmp_path / "fence.csv"
    csv.write_text("x,area\n" + "\n".join(f"{a},{100 * a - a * a}" for a in range(100)))
    picture = tmp_path / "fit.png"
    done = subprocess.run(
        [sys.executable, "-m", "symgd", "fit", "a*x**2 + b*x", "--data", str(csv), "--target", "area",
         "--optimizer", "newton", "--plot", str(picture)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_animation_shows_the_parameters_epoch_by_epoch(tmp_path):
    from PIL import Image

    x = np.arange(20.0)
    data = {"x": x, "y": 3 * x + 1}
    fitted = symgd.fit("a*x + b", data, optimizer="adam", lr=0.5, epochs=40)
    assert fitted.params_history.shape == (41, 2)
    np.testing.assert_array_equal(fitted.params_history[-1], [fitted.params["a"], fitted.params["b"]])
    out = tmp_path / "fit.gif"
    assert plotting.animate_fit(fitted, data, out, max_frames=10) == 10
    with Image.open(out) as gif:
        assert gif.n_frames == 10
