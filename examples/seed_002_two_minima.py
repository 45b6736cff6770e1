"""Seed 002, "Common Challenges": g(x) = 0.001x⁴ − 0.03x³ + 0.1x² + x + 2 has two minima.

From x = −11.26 gradient descent (lr = 0.2, 30 iterations) settles in the
local minimum near x ≈ −2.36; from x = 11.33 it finds the global one near
x ≈ 19.2. Both tables match the tutorial's. Here the tutorial's first row is
the start point itself: the only start whose first step lands on −11.26 is
x ≈ 51.2, beyond the other minimum, which is not what the tutorial ran.

    python examples/seed_002_two_minima.py
"""

import symgd

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


if __name__ == "__main__":
    main()
