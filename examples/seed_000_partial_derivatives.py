"""Seed 000, "What is Gradient Descent?" (University of York): z(x, y) = x² + xy + y².

The tutorial derives the partial derivatives by hand, ∂z/∂x = 2x + y and
∂z/∂y = 2y + x, and then steps against the gradient,
[x, y] ← [x, y] − γ∇z. symgd derives the same gradient exactly, evaluates it,
and runs those steps down to the minimum at (0, 0).

    python examples/seed_000_partial_derivatives.py
    python examples/seed_000_partial_derivatives.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import symgd
import symgd.plotting

z = symgd.Objective("x^2 + x*y + y^2")


def main() -> None:
    dzdx, dzdy = z.gradient
    print(f"z(x, y) = {z.expr}")
    print(f"dz/dx = {dzdx}")
    print(f"dz/dy = {dzdy}")
    print(f"gradient at (1, 2): {z.grad([1, 2]).tolist()}   (by hand: [2*1 + 2, 2*2 + 1] = [4, 5])")
    res = symgd.minimize(z, [1, 2], lr=0.1)
    print(f"\ngradient descent from (1, 2), gamma = 0.1: {res.message}")
    print(f"minimum near (x, y) = ({res.x[0]:.2e}, {res.x[1]:.2e}), z = {res.fun:.2e}")


def pictures(directory) -> None:
    """The path on z's contours, and z as a surface (``--plot DIR``; needs matplotlib)."""
    from symgd import plotting

    res = symgd.minimize(z, [1, 2], lr=0.1)
    fig = plotting.plot_result(res, z, surface=True, optimizer="gd", lr=0.1, ranges=[(-2.5, 2.5), (-2.5, 2.5)])
    plotting.save(fig, directory / "seed_000_partial_derivatives.png")


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
