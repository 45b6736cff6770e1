"""symgd fit: output, JSON, exit status 0/1/2, one-line errors, progress."""

from __future__ import annotations

import json

import numpy as np
import pytest

from symgd import fit_cli
from symgd.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def fence(tmp_path):
    """The seed's fence data: x = 0..99, area = 100x - x²."""
    x = np.arange(100)
    path = tmp_path / "fence.csv"
    path.write_text("x,area\n" + "".join(f"{a},{100 * a - a * a}\n" for a in x))
    return str(path)


def test_fit_table_reports_parameters_metrics_and_history(capsys, fence):
    status, out, err = run(
        capsys, "fit", "a*x**2 + b*x", "--data", fence, "--target", "area", "--loss", "mse",
        "--p0", "a=-2,b=30", "--optimizer", "newton", "--epochs", "5",
    )  # fmt: skip
    assert status == 0 and err == ""
    assert out.startswith("fit area = a*x**2 + b*x   (loss mse, newton, lr = 1.0, full batch, 100 rows)")
    assert "[[Parameters]]" in out and "R²" in out and "RMSE" in out
    assert "a: -1 " in out and "b:  100 " in out
    assert "epoch          loss" in out and "(init = -2)" in out


def test_fit_mae_minibatch_json_recovers_the_fence(capsys, fence):
    status, out, _ = run(
        capsys, "fit", "a*x**2 + b*x", "--data", fence, "--target", "area", "--loss", "mae",
        "--p0", "a=-2,b=30", "--optimizer", "adam", "--lr", "1", "--schedule", "cosine:3000",
        "--epochs", "3000", "--format", "json",
    )  # fmt: skip
    assert status == 0
    result = json.loads(out)
    assert result["params"]["a"] == pytest.approx(-1, abs=1e-3)
    assert result["params"]["b"] == pytest.approx(100, abs=1e-3)
    assert result["loss_function"] == "mae" and result["history"][0] == pytest.approx(6748.5)
    assert len(result["history"]) == 3001 and result["stderr"] is None

    status, out, _ = run(
        capsys, "fit", "a*x**2 + b*x", "--data", fence, "--target", "area", "--p0", "-2,30",
        "--batch-size", "32", "--epochs", "3", "--lr", "1e-9", "--format", "json",
    )  # fmt: skip
    result = json.loads(out)
    assert status == 0 and result["batch_size"] == 32 and result["iterations"] == 3 * 4


def test_fit_history_rows(capsys, fence):
    _, out, _ = run(capsys, "fit", "a*x", "--data", fence, "--target", "area", "--epochs", "4", "--lr", "1e-7")
    history = out.split("epoch          loss\n")[1].splitlines()
    assert [int(line.split()[0]) for line in history] == [0, 1, 2, 3, 4]
    _, out, _ = run(
        capsys, "fit", "a*x", "--data", fence, "--target", "area", "--epochs", "40", "--lr", "1e-7", "--history", "4"
    )
    history = out.split("epoch          loss\n")[1].splitlines()
    assert [line.split()[0] for line in history] == ["0", "1", "...", "39", "40"]


def test_diverged_fit_exits_1(capsys, fence):
    status, out, _ = run(capsys, "fit", "a*x**2 + b*x", "--data", fence, "--target", "area", "--lr", "1")
    assert status == 1 and "diverged" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope"], "no column 'nope'"),
        (["--target", "area", "--loss", "pred + zz"], "unknown loss"),
        (["--target", "area", "--p0", "q=1"], "not a parameter"),
        (["--target", "area", "--batch-size", "0"], "expected a whole number >= 1"),
        (["--target", "area", "--schedule", "cosine:10"], "--schedule needs --lr"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, fence, args, message):
    status, out, err = run(capsys, "fit", "a*x", "--data", fence, *args)
    assert status == 2 and out == ""
    assert err.startswith("symgd: error: ") and message in err and err.count("\n") == 1


def test_missing_data_file_and_missing_option(capsys, tmp_path):
    status, _, err = run(capsys, "fit", "a*x", "--data", str(tmp_path / "none.csv"))
    assert status == 2 and "cannot read the data file" in err
    status, _, err = run(capsys, "fit", "a*x")
    assert status == 2 and "--data" in err


def test_progress_is_drawn_on_long_fits(capsys, fence, monkeypatch):
    monkeypatch.setattr(fit_cli, "PROGRESS_AFTER", 0.0)
    status, _, err = run(
        capsys, "fit", "a*x", "--data", fence, "--target", "area", "--epochs", "50", "--lr", "1e-7", "--progress"
    )
    assert status == 0 and "symgd fit: epoch 50/50" in err and err.endswith("\n")
    _, _, err = run(capsys, "fit", "a*x", "--data", fence, "--target", "area", "--epochs", "5", "--lr", "1e-7")
    assert err == ""  # not a terminal: no progress
