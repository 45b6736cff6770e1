"""Seed 002, "What is Gradient Descent?": f(x) = x² − 8x + 4 with three learning rates.

Reproduces the tutorial's three tables, digit for digit: lr = 0.2 converges
to the minimum x = 4, lr = 0.01 crawls, and lr = 1.06 overshoots further at
every step. The tutorial prints the state after each step; each start point
below is the one whose first step gives the tutorial's first row.

    python examples/seed_002_learning_rates.py
    python examples/seed_002_learning_rates.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import warnings

import symgd
import symgd.plotting

f = symgd.Objective("x^2 - 8x + 4")

# learning rate -> start point whose first step lands on the tutorial's first row
RUNS = {0.2: 44.866666666666667, 0.01: 29.204081632653061, 1.06: 5.696428571428571}


def main() -> None:
    for lr, x0 in RUNS.items():
        print(f"== f(x) = x^2 - 8x + 4, n = {lr}, from x = {x0}")
        with warnings.catch_warnings(record=True) as advice:
            warnings.simplefilter("always", symgd.SymgdWarning)
            res = symgd.minimize(f, x0, lr=lr, max_iter=31, tol=0)
        for warning in advice:  # lr = 1.06 is past the stable limit 2/λmax = 1, and symgd says so
            print(f"symgd warns: {warning.message}")
        h = res.history
        for x, fx, dfdx in zip(h.x[1:, 0], h.fun[1:], h.grad[1:, 0]):
            print(f"X_value: {round(x, 6)}, Y_value: {round(fx, 6)}, dy/dx= {round(dfdx, 6)}")
        print()

    # Left to run on, lr = 1.06 is caught as divergent, with the reason.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", symgd.SymgdWarning)  # said above
        res = symgd.minimize(f, RUNS[1.06], lr=1.06)
    print(f"lr = 1.06 with the default stopping rules: {res.status}")
    print(res.message)


def pictures(directory) -> None:
    """The three runs in one picture, and lr = 0.2 as a GIF (``--plot DIR``; needs matplotlib)."""
    from symgd import plotting
    from symgd.sweep import LearningRateSweep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", symgd.SymgdWarning)
        runs = {lr: symgd.minimize(f, x0, lr=lr, max_iter=31, tol=0) for lr, x0 in RUNS.items()}
    fig = plotting.plot_sweep(LearningRateSweep(runs), f, optimizer="gd")
    plotting.save(fig, directory / "seed_002_learning_rates.png")
    plotting.animate(runs[0.2], f, directory / "seed_002_learning_rates.gif", max_frames=32, optimizer="gd", lr=0.2)


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
