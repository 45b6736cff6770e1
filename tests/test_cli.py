"""The symgd command: output, exit status 0/1/2, one-line errors, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from symgd import __version__
from symgd.cli import main


def symgd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symgd", *args], capture_output=True, text=True, timeout=60)


def test_seed_table_through_the_command():
    done = symgd("x**2-8*x+4", "--lr", "0.2", "--x0", "44.866666666666667", "--iters", "30", "--tol", "0")
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [r[1] for r in rows[1:4]] == ["28.52", "18.712", "12.8272"]
    assert rows[-1][0] == "30"
    assert "Ran the requested 30 iterations" in done.stdout


def test_divergence_exits_1():
    done = symgd("x**2-8*x+4", "--lr", "1.06")
    assert done.returncode == 1
    assert "Diverged at iteration" in done.stdout and "smaller learning rate" in done.stdout


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_backend_option(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    done = symgd(
        "x**2-8*x+4", "--lr", "0.2", "--x0", "44.866666666666667", "--iters", "3", "--tol", "0", "--backend", backend
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [r[1] for r in rows[1:]] == ["28.52", "18.712", "12.8272"]
    refused = symgd("x^2", "--backend", backend, "--optimizer", "newton", "--line-search")
    assert refused.returncode == (2 if backend == "numba" else 0)
    if backend == "numba":
        assert refused.stderr.count("\n") == 1 and "general engine" in refused.stderr


@pytest.mark.parametrize("formula", ["x**2-8*x+", "sine(x)", "__import__('os').system('echo hi')"])
def test_bad_formula_exits_2_with_one_line(formula):
    done = symgd(formula)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("symgd: error: ")
    assert "Traceback" not in done.stderr


def test_json_output():
    done = symgd("x^2 + y^2", "--x0", "x=-4.1,y=5.3", "--lr", "0.1", "--format", "json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    for key in ["variables", "x", "fun", "grad", "nit", "status", "history", "message", "success"]:
        assert key in data
    assert data["variables"] == ["x", "y"]
    assert data["history"]["x"][0] == [-4.1, 5.3]
    assert len(data["history"]["fun"]) == data["nit"] + 1
    assert data["status"] == "converged"


def test_help_and_version():
    assert symgd("--version").stdout.strip() == f"symgd {__version__}"
    done = symgd("--help")
    assert done.returncode == 0 and "--lr" in done.stdout and "--x0" in done.stdout


# In-process for the rest: same entry point, faster.


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_divergence_has_no_nan_tokens(capsys):
    status, out, _ = run(capsys, "exp(x)", "--maximize", "--lr", "1", "--format", "json")
    assert status == 1
    data = json.loads(out)  # strict JSON: non-finite numbers are null
    assert data["status"] == "diverged"


def test_csv_output(capsys):
    status, out, _ = run(capsys, "x^2", "--x0", "1", "--iters", "2", "--tol", "0", "--format", "csv")
    assert status == 0
    rows, x = ["iter,x,f,df/dx"], 1.0
    for i in range(3):  # the same steps in plain Python floats, full precision
        rows.append(f"{i},{x!r},{x * x!r},{2 * x!r}")
        x -= 0.1 * (2 * x)
    assert out.splitlines() == rows


@pytest.mark.parametrize(
    ("x0", "expected"),
    [("44.87", [44.87]), ("-3", [-3.0]), ("pi/2", [1.5707963267948966])],
)
def test_x0_forms_one_variable(capsys, x0, expected):
    _, out, _ = run(capsys, "x^2", "--x0", x0, "--iters", "0", "--format", "json")
    assert json.loads(out)["x"] == expected


@pytest.mark.parametrize("x0", ["1,2", "x=1,y=2", "y=2,x=1", "-1,-2"])
def test_x0_forms_two_variables(capsys, x0):
    _, out, _ = run(capsys, "x^2 + y^2", "--x0", x0, "--iters", "0", "--format", "json")
    expected = [-1.0, -2.0] if x0.startswith("-") else [1.0, 2.0]
    assert json.loads(out)["x"] == expected


def test_formula_starting_with_minus(capsys):
    status, out, _ = run(capsys, "-x^2 + 4x", "--maximize", "--format", "json")
    assert status == 0 and json.loads(out)["x"] == pytest.approx([2.0])


def test_vars_and_const(capsys):
    _, out, _ = run(capsys, "a*(x - y)^2", "--vars", "y,x", "--const", "a=2", "--iters", "0", "--format", "json")
    data = json.loads(out)
    assert data["variables"] == ["y", "x"] and data["formula"] == "2*(x - y)**2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x^2", "--x0", "1,2"], "needs 1 coordinate"),
        (["x^2", "--x0", "x=1,2"], "all values by name or none"),
        (["x^2", "--x0", "y=1"], "unknown variable 'y'"),
        (["x^2", "--lr", "-1"], "learning rate must be a positive"),
        (["x^2", "--iters", "-5"], "max_iter must be"),
        (["x^2", "--lr", "abc"], "argument --lr: expected a number such as 0.2"),
        (["x^2", "--optimizer", "sgdd"], "invalid choice: 'sgdd'"),
        (["x^2", "--optimizer", "adam", "--line-search"], "line search works with 'gd' and 'newton'"),
        (["x^2", "--optimizer", "momentum", "--beta", "1.5"], "beta must be in [0, 1)"),
        (["x^2", "--bounds", "1"], "write lo:hi"),
        (["x^2", "--bounds", "y=1:2"], "unknown variable 'y'"),
        (["x^2", "--restarts", "0"], "restarts must be a positive integer"),
        (["x^2", "--schedule", "warp:2"], "unknown schedule 'warp'"),
        (["x^2", "--format", "xml"], "invalid choice"),
        (["x^2", "--digits", "0"], "argument --digits: expected a whole number from 1 to 17"),
        (["x^2", "--bogus"], "unrecognized arguments"),
        ([], "the following arguments are required: formula"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, args, message):
    status, out, err = run(capsys, *args)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err


def test_not_converged_exits_1(capsys):
    status, out, _ = run(capsys, "x^2", "--lr", "0.0001", "--iters", "5")
    assert status == 1 and "without converging" in out


def test_multistart_table_through_the_command():
    done = symgd("x**4/1000-0.03*x**3+0.1*x**2+x+2", "--restarts", "50", "--domain", "-30:40", "--seed", "0")
    assert done.returncode == 0, done.stderr
    minima = done.stdout.split("minima found:")[1].split("every start:")[0].split("\n")
    rows = [line.split() for line in minima if line.strip()[:1].isdigit()]
    assert [round(float(r[1]), 3) for r in rows] == [19.222, -2.322]  # the global minimum first
    assert sum(int(r[3]) for r in rows) == 50
    assert "Best of 50 starts" in done.stdout


def test_learning_rate_comparison_through_the_command():
    done = symgd("x**2-8*x+4", "--lr", "0.01,0.2,1.06")
    assert done.returncode == 0
    verdicts = {line.split()[0]: line.split()[-1] for line in done.stdout.splitlines() if line.strip()[:1].isdigit()}
    assert verdicts == {"0.01": "slow", "0.2": "converged", "1.06": "diverged"}
    assert done.stderr.count("symgd: warning: lr = 1.06 exceeds 2/λmax = 1") == 1


def test_newton_uses_its_own_learning_rate(capsys):
    status, out, _ = run(capsys, "x^2 + 3y^2 + x*y", "--optimizer", "newton", "--format", "json")
    assert status == 0 and json.loads(out)["nit"] == 1


def test_plot_and_animation_files(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    picture, movie = tmp_path / "path.png", tmp_path / "path.gif"
    status, _, err = run(capsys, "x^2 + y^2", "--x0", "x=-4,y=5", "--plot", str(picture), "--animate", str(movie))
    assert status == 0 and err == ""
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and movie.read_bytes()[:6] == b"GIF89a"


def test_plot_without_matplotlib_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    status, out, err = run(capsys, "x^2", "--plot", str(tmp_path / "a.png"))
    assert status == 2 and out == ""
    assert 'pip install "symgd[plot]"' in err and len(err.splitlines()) == 1
