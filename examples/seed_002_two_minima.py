"""Seed 002, "Common Challenges": g(x) = 0.001x⁴ − 0.03x³ + 0.1x² + x + 2 has two minima.

From x = −11.26 gradient descent (lr = 0.2, 30 iterations) settles in the
local minimum near x ≈ −2.36; from x = 11.33 it finds the global one near
x ≈ 19.2. Both tables match the tutorial's. Here the tutorial's first row is
the start point itself: the only start whose first step lands on −11.26 is
x ≈ 51.2, beyond the other minimum, which is not what the tutorial ran.

    python examples/seed_002_two_minima.py
    python examples/seed_002_two_minima.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import symgd
import symgd.plotting

g = symgd.Objective("0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2")


def main() -> None:
    for x0 in (-11.26, 11.33):
        print(f"== g(x) = {g.expr}, n = 0.2, from x = {x0}")
        res = symgd.minimize(g, x0, lr=0.2, max_iter=30, tol=0)
        h = res.history
        for x, gx, dgdx in zip(h.x[:, 0], h.fun, h.grad[:, 0]):
            print(f"X_value: {round(x, 6)}, Y_value: {round(gx, 6)}, dy/dx= {round(dgdx, 6)}")
        end = symgd.minimize(g, x0, lr=0.2)  # run on to convergence
        print(f"run on: {end.message} x = {end.x[0]:.6f}, g(x) = {end.fun:.6f}\n")


def pictures(directory) -> None:
    """The two runs side by side, each on g (``--plot DIR``; needs matplotlib)."""
    from symgd import plotting

    fig = plotting.figure(11, 4.6)
    for ax, x0 in zip(fig.subplots(1, 2), (-11.26, 11.33)):
        res = symgd.minimize(g, x0, lr=0.2, max_iter=30, tol=0)
        plotting.path_1d(ax, res, g, ranges=[(-15, 30)])
        ax.set_title(f"from x = {x0}", fontsize="medium")
    fig.suptitle(plotting.title(g, ("x",), "gd", 0.2))
    plotting.save(fig, directory / "seed_002_two_minima.png")


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
