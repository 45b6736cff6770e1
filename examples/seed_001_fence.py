"""Seed 001, "Gradient Descent" (Teb's Lab): the fence problem.

200 m of fencing around a rectangle: the area is A(l) = l·(100 − l) =
100l − l². The tutorial finds A′(l) = 100 − 2l, the critical point l = 50,
checks A(49) = A(51) = 2499 < A(50) = 2500, computes A′(57) = −14 and A(54)
= 2484, A(52) = 2496, then climbs by gradient ascent. symgd does each step.

    python examples/seed_001_fence.py
    python examples/seed_001_fence.py --plot docs/img   # also draw its picture (needs matplotlib)
"""

import symgd
import symgd.plotting

area = symgd.Objective("100*l - l^2")


def main() -> None:
    (dA,) = area.gradient
    print(f"A(l) = {area.expr}")
    print(f"A'(l) = {dA}")
    for length in (49, 50, 51, 54, 52):
        print(f"A({length}) = {area.value(length):g}")
    print(f"A'(57) = {area.grad(57)[0]:g}")

    res = symgd.maximize(area, 57, lr=0.1)
    print(f"\ngradient ascent from l = 57: {res.message}")
    print(f"optimum l = {res.x[0]:.6f}, width = {100 - res.x[0]:.6f}, area = {res.fun:.6f}")


def pictures(directory) -> None:
    """Gradient ascent on the area, from l = 57 (``--plot DIR``; needs matplotlib)."""
    from symgd import plotting

    res = symgd.maximize(area, 57, lr=0.1)
    plotting.save(plotting.plot_result(res, area, optimizer="gd", lr=0.1), directory / "seed_001_fence.png")


if __name__ == "__main__":
    main()
    if (directory := symgd.plotting.example_plot_dir()) is not None:  # --plot DIR: also draw
        pictures(directory)
