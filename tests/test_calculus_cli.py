"""symgd diff / check / critical and --verify: output, exit status 0/1/2, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from symgd.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_diff_gradient_and_hessian_at_a_point(capsys):
    status, out, _ = run(capsys, "diff", "x^2*y + sin(x)", "--hessian", "--at", "x=0,y=3")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "f(x, y) = x**2*y + sin(x)"
    # by hand: 2xy + cos x = 1, x² = 0, 2y − sin x = 6, 2x = 0, 0
    values = [float(line.split("= ")[-1].split()[0]) for line in lines[1:]]
    assert values == [1.0, 0.0, 6.0, 0.0, 0.0]
    assert [line.split(" =")[0] for line in lines[1:]] == ["df/dx", "df/dy", "d2f/dx2", "d2f/dxdy", "d2f/dy2"]


def test_diff_forms(capsys):
    assert run(capsys, "diff", "x^2*y", "--wrt", "y", "--latex")[1].splitlines()[1] == (
        r"\frac{\partial f}{\partial y} = x^{2}"
    )
    assert run(capsys, "diff", "sin(x)", "--code")[1].splitlines()[1] == "df_dx = numpy.cos(x)"


def test_diff_steps(capsys):
    status, out, _ = run(capsys, "diff", "x/(x^2+1)", "--steps")
    assert status == 0
    assert "by the quotient rule" in out and "so d/dx [x/(x**2 + 1)] =" in out


def test_check_right_and_wrong(capsys):
    status, out, _ = run(capsys, "check", "x**2-8*x+4", "--grad", "2*x-8")
    assert status == 0 and "d/dx: right" in out
    status, out, _ = run(capsys, "check", "x^2 + x*y + y^2", "--grad", "x = 2x + y; y = 2y")
    assert status == 1
    assert "d/dy: wrong; the derivative is x + 2*y" in out
    status, out, _ = run(capsys, "check", "sin(x^2)", "--grad", "cos(x^2)")
    assert status == 1 and "chain-rule factor" in out


def test_check_hessian(capsys):
    assert run(capsys, "check", "x^2*y", "--hessian", "2y, 2x; 2x, 0")[0] == 0
    assert run(capsys, "check", "atan2(y, x)", "--grad", "-y/(x^2+y^2); x/(x^2+y^2)")[0] == 0


def test_critical(capsys):
    status, out, _ = run(capsys, "critical", "x^2 - y^2")
    assert status == 0 and "saddle" in out
    status, out, _ = run(capsys, "critical", "(x^2+y-11)^2+(x+y^2-7)^2", "--domain", "-6:6")
    assert out.count("minimum") == 4 and out.count("saddle") == 4 and out.count("maximum") == 1
    assert "numerically" in out


def test_verify_flag(capsys):
    status, out, _ = run(capsys, "x^2-y^2", "--x0", "1,0", "--iters", "200", "--verify")
    assert status == 0
    assert "verify: the run stopped" in out and "saddle" in out


@pytest.mark.parametrize(
    "args",
    [
        ["check", "x^2", "--grad", "2x+"],
        ["check", "x^2"],
        ["check", "x^2", "--grad", "y=2x"],
        ["diff", "x^2", "--wrt", "z"],
        ["diff", "x^2", "--at", "1,2"],
        ["critical", "5"],
        ["diff", "x^2", "--nope"],
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args):
    status, out, err = run(capsys, *args)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("symgd: error: ")


def test_through_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "symgd", "check", "cos(x)", "--grad", "sin(x)"], capture_output=True, text=True
    )
    assert done.returncode == 1 and "the sign is wrong" in done.stdout and done.stderr == ""
