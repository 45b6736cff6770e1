"""Multi-start runs (``restarts=N``), learning-rate sweeps and the stable-rate limit.

References are independent: the roots of g' by numpy.roots, Himmelblau's four known minima,
hand-written values, and single runs of `symgd.descend` for what each start must do on its own.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from symgd import ArgumentError, Objective
from symgd.multistart import Starts, descend_many
from symgd.optimize import learning_rate_limit
from symgd.optimizers import gd
from symgd.sweep import LearningRateSweep

QUARTIC = "0.001x^4 - 0.03x^3 + 0.1x^2 + x + 2"
HIMMELBLAU = "(x^2+y-11)^2 + (x+y^2-7)^2"
HIMMELBLAU_MINIMA = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848127]])


def quartic(x):
    return 0.001 * x**4 - 0.03 * x**3 + 0.1 * x**2 + x + 2


def quartic_minima():
    """The roots of g'(x) = 0.004x³ - 0.09x² + 0.2x + 1 where g'' > 0: the smallest and the largest."""
    roots = np.sort(np.roots([0.004, -0.09, 0.2, 1.0]).real)
    assert np.all(np.abs(np.roots([0.004, -0.09, 0.2, 1.0]).imag) < 1e-12)
    return roots[[0, 2]]


def himmelblau(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def best_start(res) -> int:
    """The start the best run was replayed from: the column of ``starts.x0`` it began at."""
    return int(np.argmin(np.max(np.abs(res.starts.x0 - res.history.x[0][:, None]), axis=0)))


@pytest.fixture(scope="module")
def quartic_run():
    return symgd.minimize(QUARTIC, restarts=50, domain=(-30, 40), seed=0, lr=0.2)


@pytest.fixture(scope="module")
def himmelblau_run():
    return symgd.minimize(HIMMELBLAU, restarts=200, domain=(-5, 5), seed=0, lr=0.01)


# -- finding and grouping the minima


def test_quartic_both_minima_and_the_global_best(quartic_run):
    res, (left, right) = quartic_run, quartic_minima()
    assert left == pytest.approx(-2.3224, abs=1e-4) and right == pytest.approx(19.2222, abs=1e-4)
    found = sorted(m.x[0] for m in res.minima)
    assert len(res.minima) == 2
    np.testing.assert_allclose(found, [left, right], atol=1e-6)
    # best first: the global minimum near 19.2 (g = -18.377...), then the local one near -2.32 (g = 0.62...)
    assert res.minima[0].x[0] == pytest.approx(right, abs=1e-6)
    assert res.minima[0].fun == pytest.approx(quartic(right), abs=1e-9)
    assert res.minima[1].fun == pytest.approx(quartic(left), abs=1e-9)
    assert res.status == "converged" and res.success
    assert res.x[0] == pytest.approx(right, abs=1e-6) and res.fun == pytest.approx(quartic(right), abs=1e-9)
    assert "Best of 50 starts" in res.message and "2 distinct minima found" in res.message


def test_himmelblau_four_minima_found_and_grouped(himmelblau_run):
    res = himmelblau_run
    assert len(res.minima) == 4
    found = np.array([m.x for m in res.minima])
    for known in HIMMELBLAU_MINIMA:  # each known minimum matched by exactly one group
        distances = np.max(np.abs(found - known), axis=1)
        assert np.sum(distances <= 1e-5) == 1, (known, found)
    assert all(m.fun == pytest.approx(0.0, abs=1e-12) for m in res.minima)
    assert all(m.count >= 1 for m in res.minima)
    funs = [m.fun for m in res.minima]
    assert funs == sorted(funs)  # best first
    assert res.fun == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("run", ["quartic_run", "himmelblau_run"])
def test_counts_sum_to_the_converged_starts(run, request):
    res = request.getfixturevalue(run)
    s = res.starts
    assert sum(m.count for m in res.minima) == int(np.sum(s.success)) == int(np.sum(s.status == "converged"))
    # every successful start ended within the grouping distance of its group's point
    centers = np.array([m.x for m in res.minima])
    for j in np.flatnonzero(s.success):
        assert np.min(np.linalg.norm(centers - s.x[:, j], axis=1)) <= 1e-4 * max(1, np.linalg.norm(s.x[:, j]))


def test_starts_shapes():
    res = symgd.minimize(HIMMELBLAU, restarts=7, domain=(-5, 5), seed=3, lr=0.01)
    s = res.starts
    assert isinstance(s, Starts) and len(s) == 7
    assert s.x0.shape == (2, 7) and s.x.shape == (2, 7)
    assert s.fun.shape == (7,) and s.status.shape == (7,) and s.nit.shape == (7,)
    assert s.success.shape == (7,)
    assert s.history_x is None and s.history_fun is None
    assert np.all((s.x0 >= -5) & (s.x0 <= 5))
    one = symgd.minimize(QUARTIC, restarts=4, seed=3, lr=0.2)
    assert one.starts.x0.shape == (1, 4) and one.starts.fun.shape == (4,)


def test_fun_is_the_value_at_each_end_point():
    """``starts.fun[j]`` is f at ``starts.x[:, j]``, whatever step each start stopped at."""
    obj = Objective(QUARTIC)
    for max_iter in (8, 32, 64, 96, 128, 160, 1000):
        res = symgd.minimize(obj, restarts=20, domain=(-30, 40), seed=1, lr=0.2, max_iter=max_iter)
        np.testing.assert_allclose(
            res.starts.fun, quartic(res.starts.x[0]), rtol=1e-12, atol=1e-12, err_msg=f"{max_iter=}"
        )


def test_stale_value_of_a_start_that_stopped_between_checks():
    # start 0 converges (|g| <= 1e-3) after 3 steps; start 1 runs on, to max_iter = 8
    f = Objective("(x^2-1)^2 + x")
    starts = descend_many(f.compiled_value, f.compiled_grad, np.array([[-1.2, 0.9]]), gd(0.1), max_iter=8, tol=1e-3)
    assert list(starts.status) == ["converged", "max_iter"] and starts.nit.tolist() == [3, 8]
    np.testing.assert_allclose(starts.fun, f.compiled_value(starts.x), rtol=1e-12)


# -- seeds, starts and the replay of the best run


def test_same_seed_same_starts_other_seed_other_starts():
    a = symgd.minimize(HIMMELBLAU, restarts=10, domain=(-5, 5), seed=42, lr=0.01)
    b = symgd.minimize(HIMMELBLAU, restarts=10, domain=(-5, 5), seed=42, lr=0.01)
    c = symgd.minimize(HIMMELBLAU, restarts=10, domain=(-5, 5), seed=43, lr=0.01)
    np.testing.assert_array_equal(a.starts.x0, b.starts.x0)
    np.testing.assert_array_equal(a.starts.x, b.starts.x)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.any(np.isclose(a.starts.x0, c.starts.x0))


def test_domain_per_variable_and_from_bounds():
    res = symgd.minimize(HIMMELBLAU, restarts=30, domain=[(0, 1), (10, 20)], seed=0, lr=0.001, max_iter=1)
    assert np.all((res.starts.x0[0] >= 0) & (res.starts.x0[0] <= 1))
    assert np.all((res.starts.x0[1] >= 10) & (res.starts.x0[1] <= 20))
    boxed = symgd.minimize(HIMMELBLAU, restarts=30, bounds=[(0, 4), (0, 4)], seed=0, lr=0.01, keep_history="all")
    assert np.all((boxed.starts.x0 >= 0) & (boxed.starts.x0 <= 4))
    assert np.all((boxed.starts.history_x >= 0) & (boxed.starts.history_x <= 4))
    np.testing.assert_allclose(boxed.x, [3.0, 2.0], atol=1e-8)  # the one minimum inside the box
    default = symgd.minimize(HIMMELBLAU, restarts=30, seed=0, lr=0.001, max_iter=1)
    assert np.all((default.starts.x0 >= -10) & (default.starts.x0 <= 10))


def test_x0_is_the_first_start():
    with_x0 = symgd.minimize(HIMMELBLAU, [1.5, -0.5], restarts=6, domain=(-5, 5), seed=7, lr=0.01)
    without = symgd.minimize(HIMMELBLAU, restarts=6, domain=(-5, 5), seed=7, lr=0.01)
    np.testing.assert_array_equal(with_x0.starts.x0[:, 0], [1.5, -0.5])
    np.testing.assert_array_equal(with_x0.starts.x0[:, 1:], without.starts.x0[:, 1:])
    alone = symgd.minimize(HIMMELBLAU, [1.5, -0.5], lr=0.01)
    np.testing.assert_allclose(with_x0.starts.x[:, 0], alone.x, rtol=1e-12)
    assert with_x0.starts.nit[0] == alone.nit


@pytest.mark.parametrize("run", ["quartic_run", "himmelblau_run"])
def test_best_run_replayed_ends_where_the_batch_ended(run, request):
    res = request.getfixturevalue(run)
    s, j = res.starts, best_start(res)
    np.testing.assert_array_equal(res.history.x[0], s.x0[:, j])
    np.testing.assert_allclose(res.x, s.x[:, j], rtol=1e-12, atol=1e-14)
    assert res.nit == s.nit[j] and res.status == s.status[j]
    assert res.fun == pytest.approx(s.fun[j], rel=1e-9, abs=1e-15)
    assert res.history.x.shape == (res.nit + 1, s.x.shape[0])
    # and it is the best successful start, judged by f at the end points
    obj = Objective(QUARTIC if run == "quartic_run" else HIMMELBLAU)
    ends = obj.value(s.x)
    assert ends[j] <= np.min(ends[s.success]) + 1e-12


def test_keep_history_all_and_best():
    res = symgd.minimize(QUARTIC, restarts=12, domain=(-30, 40), seed=2, lr=0.2, keep_history="all")
    s = res.starts
    T = int(s.nit.max())
    assert s.history_x.shape == (T + 1, 1, 12) and s.history_fun.shape == (T + 1, 12)
    np.testing.assert_array_equal(s.history_x[0], s.x0)
    np.testing.assert_array_equal(s.history_x[-1], s.x)
    np.testing.assert_allclose(s.history_fun, quartic(s.history_x[:, 0, :]), rtol=1e-12, atol=1e-12)
    for j in range(12):  # frozen once stopped
        assert np.all(s.history_x[s.nit[j] :, 0, j] == s.x[0, j])
        assert s.nit[j] == 0 or s.history_x[s.nit[j] - 1, 0, j] != s.x[0, j]
    best = symgd.minimize(QUARTIC, restarts=12, domain=(-30, 40), seed=2, lr=0.2, keep_history="best")
    assert best.starts.history_x is None and best.starts.history_fun is None
    np.testing.assert_allclose(best.starts.x, s.x, rtol=1e-12)
    assert best.history.x.shape == (best.nit + 1, 1)


def test_each_start_stops_on_its_own():
    # start 0 begins next to the local minimum and converges in fewer steps; the far ones go on
    near = quartic_minima()[0] + 1e-6
    res = symgd.minimize(QUARTIC, near, restarts=8, domain=(30, 40), seed=0, lr=0.2, keep_history="all")
    s = res.starts
    assert list(s.status) == ["converged"] * 8
    assert s.nit[0] < s.nit[1:].min()
    k = s.nit[0]
    assert np.all(s.history_x[k:, 0, 0] == s.x[0, 0])  # frozen from its own stop
    assert np.all(np.abs(np.diff(s.history_x[k:, 0, 1:], axis=0)).max(axis=0) > 0)  # the others still move
    obj = Objective(QUARTIC)
    for j in range(8):  # each start's own count of steps is the one a single run takes
        alone = symgd.descend(obj.compiled_value, obj.compiled_grad, s.x0[:, j], gd(0.2))
        assert s.nit[j] == alone.nit
        np.testing.assert_allclose(s.x[:, j], alone.x, rtol=1e-10)


def test_diverging_starts_are_marked_while_others_converge():
    # (x² - 1)² with lr 0.05: starts beyond |x| ~ 1.9 overshoot without bound, inner ones reach ±1
    res = symgd.minimize("(x^2-1)^2", restarts=20, domain=(-6, 6), seed=0, lr=0.05)
    s = res.starts
    diverged, converged = s.status == "diverged", s.status == "converged"
    assert diverged.any() and converged.any() and np.all(diverged | converged)
    assert not np.any(s.success[diverged])
    np.testing.assert_allclose(np.abs(s.x[0, converged]), 1.0, atol=1e-8)
    obj = Objective("(x^2-1)^2")
    for j in range(20):  # each start as a single run would end
        alone = symgd.descend(obj.compiled_value, obj.compiled_grad, s.x0[:, j], gd(0.05))
        assert s.status[j] == alone.status
        if alone.status == "converged":
            assert s.nit[j] == alone.nit
    assert sorted(m.x[0] for m in res.minima) == pytest.approx([-1.0, 1.0], abs=1e-8)
    assert sum(m.count for m in res.minima) == converged.sum()
    assert f"{converged.sum()} starts converged" in res.message and f"{diverged.sum()} diverged" in res.message
    assert res.status == "converged" and abs(res.x[0]) == pytest.approx(1.0, abs=1e-8)


def test_message_counts_starts_stopped_by_xtol_as_converged():
    res = symgd.minimize("(x^2-1)^2", restarts=10, seed=0, domain=(-2, 2), lr=0.05, xtol=1e-6)
    assert list(res.starts.status) == ["xtol"] * 10 and len(res.minima) == 2
    assert "; 10 starts converged," in res.message  # all 10 did, by the step-length rule


def test_maximize_with_restarts():
    res = symgd.maximize("-(x^2-1)^2", restarts=20, domain=(-2, 2), seed=0, lr=0.05)
    assert res.maximize and res.status == "converged"
    assert abs(res.x[0]) == pytest.approx(1.0, abs=1e-8) and res.fun == pytest.approx(0.0, abs=1e-12)
    assert sorted(m.x[0] for m in res.minima) == pytest.approx([-1.0, 1.0], abs=1e-8)
    assert "2 distinct maxima found" in res.message
    # unequal maxima: -(x²-1)² + 0.1x is highest near x = 1.012; best first
    tilted = symgd.minimize("-(x^2-1)^2 + 0.1x", restarts=20, domain=(-2, 2), seed=0, lr=0.05, maximize=True)
    roots = np.sort(np.roots([-4.0, 0.0, 4.0, 0.1]).real)  # f' = -4x³ + 4x + 0.1; maxima: the outer two
    assert [m.x[0] for m in tilted.minima] == pytest.approx([roots[2], roots[0]], abs=1e-8)
    assert tilted.minima[0].fun > tilted.minima[1].fun
    assert tilted.x[0] == pytest.approx(roots[2], abs=1e-8)


def test_other_optimizers_with_restarts():
    res = symgd.minimize(HIMMELBLAU, restarts=40, domain=(-5, 5), seed=0, optimizer="newton", lr=1.0)
    assert len(res.minima) == 4 and all(m.fun == pytest.approx(0, abs=1e-12) for m in res.minima)
    adam = symgd.minimize(HIMMELBLAU, restarts=10, domain=(-5, 5), seed=0, optimizer="adam", lr=0.1)
    assert adam.status == "converged" and adam.fun == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"restarts": 0}, "restarts must be a positive integer"),
        ({"restarts": -3}, "restarts must be a positive integer"),
        ({"restarts": 2.5}, "restarts must be a positive integer"),
        ({"restarts": True}, "restarts must be a positive integer"),
        ({"restarts": 5, "domain": (1, 2, 3)}, "domain must be"),
        ({"restarts": 5, "domain": [(0, 1)]}, "domain must be"),
        ({"restarts": 5, "domain": [(0, 1), (0, 1), (0, 1)]}, "domain must be"),
        ({"restarts": 5, "domain": "wide"}, "domain must be"),
        ({"restarts": 5, "domain": (1, -1)}, "finite, with lo <= hi"),
        ({"restarts": 5, "domain": (-np.inf, 1)}, "finite, with lo <= hi"),
        ({"restarts": 5, "keep_history": "some"}, "keep_history must be 'best' or 'all'"),
    ],
)
def test_bad_multistart_arguments(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        symgd.minimize(HIMMELBLAU, lr=0.01, **kwargs)


# -- learning-rate sweeps and the stable-rate limit


def test_learning_rate_sweep():
    with pytest.warns(symgd.LearningRateWarning, match="lr = 1.06 exceeds 2/λmax = 1"):
        sweep = symgd.minimize("x^2-8x+4", 44.87, lr=[0.01, 0.2, 1.06])
    assert isinstance(sweep, LearningRateSweep)
    assert list(sweep.results) == [0.01, 0.2, 1.06]
    assert sweep.verdicts() == ["slow", "converged", "diverged"]
    assert [run.status for run in sweep.results.values()] == ["max_iter", "converged", "diverged"]
    assert sweep.best() is sweep.results[0.2] and sweep.best().x[0] == pytest.approx(4.0, abs=1e-8)
    lines = sweep.table().splitlines()
    assert len(lines) == 1 + 3
    assert lines[0].split() == ["lr", "x", "f", "iterations", "status"]
    for line, rate, verdict in zip(lines[1:], ["0.01", "0.2", "1.06"], sweep.verdicts()):
        cells = line.split()
        assert cells[0] == rate and cells[-1] == verdict
    assert lines[2].split()[1:4] == ["4", "-12", str(sweep.results[0.2].nit)]


def test_sweep_passes_the_callback_on():
    calls = []
    symgd.minimize("(x^2-1)^2", 0.5, lr=[0.01, 0.05], callback=lambda r: calls.append(r.nit), max_iter=3, tol=0)
    assert calls == [1, 2, 3, 1, 2, 3]


def test_sweep_does_not_drop_restarts_silently():
    try:
        sweep = symgd.minimize("(x^2-1)^2", lr=[0.01, 0.05], restarts=5, seed=0, domain=(-2, 2))
    except ArgumentError:
        return  # refusing the combination is as good as honouring it
    assert all(run.starts is not None and len(run.starts) == 5 for run in sweep.results.values())


@pytest.mark.parametrize("rates", [[0.1, "fast"], []], ids=["not-a-number", "empty"])
def test_bad_rate_lists(rates):
    with pytest.raises(ArgumentError):
        symgd.minimize("x^2", 1.0, lr=rates)


def test_learning_rate_limit():
    assert learning_rate_limit(Objective("x^2 - 8x + 4"), np.array([0.0])) == (1.0, True)
    assert learning_rate_limit(Objective("x^2 - 8x + 4"), np.array([123.0])) == (1.0, True)
    bound, exact = learning_rate_limit(Objective("x^4"), np.array([1.0]))  # f'' = 12x² = 12 at x = 1
    assert bound == pytest.approx(2 / 12, rel=1e-15) and exact is False
    assert learning_rate_limit(Objective("x^4"), np.array([0.0])) is None  # no curvature at 0
    bound, exact = learning_rate_limit(Objective("x^2 + 3y^2"), np.array([5.0, 5.0]))
    assert (bound, exact) == (pytest.approx(1 / 3, rel=1e-15), True)


def test_the_warning_starts_just_above_the_limit():
    at_limit = symgd.minimize("x^2-8x+4", 10, lr=1.0, max_iter=10)  # filterwarnings=error: no warning here
    np.testing.assert_allclose(at_limit.history.x[:4, 0], [10.0, -2.0, 10.0, -2.0])  # x -> 8 - x: oscillates
    with pytest.warns(symgd.LearningRateWarning):
        symgd.minimize("x^2-8x+4", 10, lr=1.001, max_iter=10)


# -- the batched engine's bookkeeping: shared starts, compact statuses, bounded memory


def test_the_starts_are_shared_read_only_and_never_written():
    obj = Objective(QUARTIC)
    X0 = np.linspace(-30, 40, 9)[None, :]
    kept = X0.copy()
    s = descend_many(obj.compiled_value, obj.compiled_grad, X0, gd(0.2), max_iter=50)
    np.testing.assert_array_equal(X0, kept)
    np.testing.assert_array_equal(s.x0, kept)
    assert np.shares_memory(s.x0, X0) and not s.x0.flags.writeable  # no copy of the starts
    assert not np.shares_memory(s.x, X0)
    boxed = descend_many(obj.compiled_value, obj.compiled_grad, X0, gd(0.2), max_iter=5, bounds=[(0, 10)])
    np.testing.assert_array_equal(boxed.x0, np.clip(kept, 0, 10))  # clipped into the box: its own array
    np.testing.assert_array_equal(X0, kept)


def test_every_status_and_count_as_single_runs_give_them():
    # log(x) is undefined for x <= 0; (x - 2)² pulls the others to 2; with lr 1.1 the far ones diverge
    obj = Objective("(x - 2)^2 + log(x)")
    X0 = np.array([[-1.0, 0.5, 1.5, 3.0, 60.0, 1e4, -5.0]])
    for lr, max_iter in [(0.1, 200), (0.1, 7), (1.1, 100)]:
        s = descend_many(obj.compiled_value, obj.compiled_grad, X0, gd(lr), max_iter=max_iter)
        for j in range(X0.shape[1]):
            alone = symgd.descend(obj.compiled_value, obj.compiled_grad, X0[:, j], gd(lr), max_iter=max_iter)
            assert s.status[j] == alone.status, (lr, j)
            if alone.status in ("converged", "max_iter"):  # a divergence is noticed up to CHECK_EVERY steps late
                assert s.nit[j] == alone.nit, (lr, j)
                np.testing.assert_allclose(s.x[:, j], alone.x, rtol=1e-12)
            if alone.status == "undefined":
                np.testing.assert_array_equal(s.x[:, j], X0[:, j])
        assert s.nit.dtype == np.int_ and s.status.dtype == object


def test_divergence_test_block_by_block_is_the_formula():
    from symgd.engine import GROWTH_LIMIT
    from symgd.multistart import BLOCK, _diverged

    rng = np.random.default_rng(3)
    n = 2 * BLOCK + 17
    best = rng.normal(0, 10, n) * 10.0 ** rng.integers(-3, 25, n)
    sf = best + np.abs(rng.normal(0, 1, n)) * 10.0 ** rng.integers(-3, 25, n)
    sf[:5] = [np.nan, np.inf, -np.inf, -1e40, 1e30]
    scale = np.maximum(1.0, np.abs(rng.normal(0, 1e3, n)))
    best = np.minimum(best, sf)  # as the engine updates it before the test
    with np.errstate(invalid="ignore"):
        expected = ~((sf - best <= GROWTH_LIMIT * np.maximum(np.abs(best), scale)) & (sf >= -(GROWTH_LIMIT**2) * scale))
        assert expected.any() and not expected.all()
        np.testing.assert_array_equal(_diverged(sf, best, scale), expected)
        calm = np.linspace(-1, 1, n)
        assert _diverged(calm, calm - 1.0, scale) is None  # none: the quick test clears them all


def test_peak_memory_is_a_few_arrays_of_the_starts():
    import tracemalloc

    obj = Objective(QUARTIC)
    X0 = np.random.default_rng(0).uniform(-30, 40, (1, 50_000))
    descend_many(obj.compiled_value, obj.compiled_grad, X0, gd(0.2), max_iter=3, tol=0)
    tracemalloc.start()
    descend_many(obj.compiled_value, obj.compiled_grad, X0, gd(0.2), max_iter=100, tol=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # x, the gradient and the step (3), each start's best value and scale (2): no per-step temporaries kept
    assert peak <= 6 * X0.nbytes


def test_success_from_the_codes_is_success_from_the_names():
    import dataclasses

    obj = Objective("(x - 2)^2 + log(x)")
    X0 = np.array([[-1.0, 0.5, 1.5, 3.0, 60.0, 1e4, -5.0]])
    for lr, kwargs in [(0.1, {}), (0.1, {"max_iter": 7}), (1.1, {}), (0.1, {"xtol": 1e-3}), (0.1, {"ftol": 1e-6})]:
        s = descend_many(obj.compiled_value, obj.compiled_grad, X0, gd(lr), **kwargs)
        by_name = np.isin(s.status, ["converged", "xtol", "ftol"])
        np.testing.assert_array_equal(s.success, by_name)
        copy = dataclasses.replace(s, status=np.full(7, "max_iter", dtype=object))  # new names: no stale codes
        assert not copy.success.any()
