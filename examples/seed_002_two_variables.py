"""Seed 002, "Gradient Descent on two variable function": h(x, y) = x² + y², lr = 0.1.

Reproduces the tutorial's table (x, y, both partial derivatives and h after
each of 31 steps) on the way to the minimum (0, 0). The start (−25/6, 355/66)
is the point whose first step gives the tutorial's first row.

    python examples/seed_002_two_variables.py
    python examples/seed_002_two_variables.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import symgd
import symgd.plotting

h = symgd.Objective("x^2 + y^2")


def main() -> None:
    print(f"== h(x, y) = {h.expr}, gradient {h.gradient}, n = 0.1")
    res = symgd.minimize(h, {"x": -25 / 6, "y": 355 / 66}, lr=0.1, max_iter=31, tol=0)
    trace = res.history
    for (x, y), z, (dx, dy) in zip(trace.x[1:], trace.fun[1:], trace.grad[1:]):
        print(f"X_value: {x:.6f},  Y_value:{y:.6f}, dz/dx= {dx:.6f},  dz/dy= {dy:.6f},  Z_value: {z:.6f}")
    end = symgd.minimize(h, res.x, lr=0.1)
    print(f"\nrun on: {end.message} (x, y) = ({end.x[0]:.2e}, {end.x[1]:.2e})")


def pictures(directory) -> None:
    """The path on h's contours (``--plot DIR``; needs matplotlib)."""
    from symgd import plotting

    res = symgd.minimize(h, {"x": -25 / 6, "y": 355 / 66}, lr=0.1, max_iter=31, tol=0)
    fig = plotting.plot_result(res, h, optimizer="gd", lr=0.1)
    plotting.save(fig, directory / "seed_002_two_variables.png")


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
