"""Seed 001, "Gradient Descent" (Teb's Lab), second part: fitting a curve to the fence data.

Every pasture is built with 100 m of fencing; the data are the length x of one
side, x = 0, 1, ..., 99, and the area y = 100x − x². The tutorial guesses the
template F(x) = a·x² + b·x, starts from a = −2, b = 30, measures the error
with a short script (error = −674850), derives the subgradient of the mean
absolute error — sign(F(xᵢ) − yᵢ)·xᵢ² for a and sign(F(xᵢ) − yᵢ)·xᵢ for b,
0 where a prediction is exact — and reasons that a and b must both grow.
symgd does each step, then fits a and b, recovering a = −1 and b = 100.

    python examples/seed_001_curve_fit.py
    python examples/seed_001_curve_fit.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import numpy as np

import symgd
import symgd.plotting
from symgd.schedules import cosine_decay

x = np.arange(0, 100, 1)
fence = {"x": x, "y": 100 * x - x * x}  # the ground truth: a = -1, b = 100
TEMPLATE = "a*x**2 + b*x"


def main() -> None:
    print(f"data: {len(x)} pastures, x = {x[0]}..{x[-1]}, y = 100x - x^2")
    print(f"template F(x) = {TEMPLATE}\n")

    # The tutorial's script, at its guess a = -2, b = 30 (no steps: epochs=0 just evaluates).
    start = symgd.fit(TEMPLATE, fence, loss="mae", p0={"a": -2, "b": 30}, epochs=0)
    error = start.predict(fence) - fence["y"]
    print("at the guess a = -2, b = 30:")
    print(f"  error = {error.sum():.0f}")
    print(f"  mean_error = error / {len(x)} = {error.sum() / len(x):g}")
    print("  (the tutorial's comment prints mean_error = -67485, a factor of 10 off: -674850 / 100 = -6748.5)")
    print(f"  mean absolute error = {start.loss:g}")
    print(f"  subgradient of the MAE: dL/da = {start.grad['a']:g}, dL/db = {start.grad['b']:g}")
    print("  both negative: the predictions are too small, so a and b must both grow")

    better = symgd.fit(TEMPLATE, fence, loss="mae", p0={"a": -0.5, "b": 33}, epochs=0)
    print(f"\nthe tutorial's next guess a = -0.5, b = 33: mean absolute error = {better.loss:g} (smaller)")

    fitted = fit_mae()
    print(f"\nfit (mae, adam, cosine learning rate, {fitted.epochs} epochs): {fitted.status}")
    print(f"  a = {fitted.params['a']:.4f}, b = {fitted.params['b']:.4f}")
    print(f"  mean absolute error: {fitted.history[0]:g} -> {fitted.loss:.2g}")

    # Least squares with Newton's method on the exact Hessian: one step to the exact answer.
    exact = symgd.fit(TEMPLATE, fence, loss="mse", p0={"a": -2, "b": 30}, optimizer="newton", epochs=10)
    print(f"\nfit (mse, newton): {exact.status} after {exact.iterations} iteration(s)")
    print(f"  a = {exact.params['a']:.6f}, b = {exact.params['b']:.6f}, R^2 = {exact.r2:.6f}")


def fit_mae() -> symgd.FitResult:
    # Let gradient descent do it: Adam on the MAE, with a cosine-decaying learning rate
    # (a subgradient method needs a shrinking step to settle on the corner at the optimum).
    fitted = symgd.fit(
        TEMPLATE,
        fence,
        loss="mae",
        p0={"a": -2, "b": 30},
        optimizer="adam",
        lr=cosine_decay(0.2, 3000),
        epochs=3000,
    )
    return fitted


def pictures(directory) -> None:
    """The data, the guess a = -2, b = 30 and the fitted curve; the loss per epoch (``--plot DIR``)."""
    from symgd import plotting

    fitted = fit_mae()
    fig = plotting.figure(11, 4.5)
    left, right = fig.subplots(1, 2)
    left.scatter(x, fence["y"], s=8, color="black", label="data: y = 100x - x²")
    left.plot(x, -2 * x**2 + 30 * x, color="tab:red", label="guess: a = -2, b = 30")
    left.plot(
        x,
        fitted.predict(fence),
        color="tab:blue",
        label=f"fit: a = {fitted.params['a']:.3f}, b = {fitted.params['b']:.3f}",
    )
    left.set(xlabel="x (length of one side)", ylabel="area", title="F(x) = a·x² + b·x, mean absolute error")
    left.legend()
    right.semilogy(np.maximum(fitted.history, 1e-12), color="tab:blue")
    right.set(xlabel="epoch", ylabel="mean absolute error", title="loss per epoch (adam, cosine learning rate)")
    plotting.save(fig, directory / "seed_001_curve_fit.png")


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
