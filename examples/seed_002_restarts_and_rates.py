"""Seed 002's two remedies, done by symgd: restarts for local minima, and the right learning rate.

The tutorial's g(x) = 0.001x⁴ − 0.03x³ + 0.1x² + x + 2 traps gradient descent
in its local minimum near x ≈ −2.3, and it suggests "repeating the algorithm
several times with different starting points". With `restarts=50` symgd
runs fifty starts at once and reports both minima, the global one (x ≈ 19.2)
first. The tutorial then shows a learning rate too small (0.01) and one too
large (1.06) on f(x) = x² − 8x + 4; `lr=[...]` compares them in one table,
and symgd knows the largest stable rate from the exact Hessian, 2/λmax = 1.

    python examples/seed_002_restarts_and_rates.py
    python examples/seed_002_restarts_and_rates.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import warnings

import symgd
import symgd.plotting


def main() -> None:
    g = "0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2"
    res = symgd.minimize(g, restarts=50, domain=(-30, 40), seed=0, lr=0.2)
    print(f"g(x) = {g}: 50 starts in [-30, 40]")
    for k, minimum in enumerate(res.minima, 1):
        print(f"  minimum {k}: x = {minimum.x[0]:.6f}, g = {minimum.fun:.6f}, found by {minimum.count} starts")
    print(f"  best: x = {res.x[0]:.6f}\n")

    f = symgd.Objective("x^2 - 8x + 4")
    limit, exact = symgd.optimize.learning_rate_limit(f, f.point(44.87))
    print(f"f(x) = x^2 - 8x + 4: largest stable learning rate 2/λmax = {limit:g} ({'exact' if exact else 'local'})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", symgd.LearningRateWarning)  # 1.06 is past the limit, on purpose
        sweep = symgd.minimize(f, 44.87, lr=[0.01, 0.2, 1.06])
    print(sweep.table())


def pictures(directory) -> None:
    """Fifty starts on g, and the three rates on f (``--plot DIR``; needs matplotlib)."""
    from symgd import plotting

    g = "0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2"
    res = symgd.minimize(g, restarts=50, domain=(-30, 40), seed=0, lr=0.2, keep_history="all")
    fig = plotting.plot_result(res, g, optimizer="gd, 50 starts", lr=0.2)
    plotting.save(fig, directory / "seed_002_restarts.png")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", symgd.LearningRateWarning)
        sweep = symgd.minimize("x^2 - 8x + 4", 44.87, lr=[0.01, 0.2, 1.06])
    plotting.save(sweep.plot("x^2 - 8x + 4", optimizer="gd"), directory / "seed_002_rates.png")


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
