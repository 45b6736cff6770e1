"""Learning-rate sweeps: the same start with several rates, compared in one table.

>>> import symgd
>>> sweep = symgd.minimize("x^2 - 8x + 4", 44.87, lr=[0.01, 0.2], max_iter=100)
>>> [run.status for run in sweep.results.values()]
['max_iter', 'converged']
>>> sweep.verdicts()
['slow', 'converged']
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import align
from .result import CONVERGED, DIVERGED, MAX_ITER, Result

_VERDICT = {CONVERGED: "converged", MAX_ITER: "slow", DIVERGED: "diverged"}


@dataclass(frozen=True)
class LearningRateSweep:
    """One `Result` per learning rate, in the order given."""

    results: dict[float, Result]

    def verdicts(self) -> list[str]:
        """``converged``, ``slow`` (ran out of iterations) or ``diverged``, per rate."""
        return [_VERDICT.get(run.status, run.status) for run in self.results.values()]

    def best(self) -> Result:
        """The successful run that reached the lowest (highest, for ascent) value, else the first."""
        runs = [run for run in self.results.values() if run.success] or list(self.results.values())
        return min(runs, key=lambda run: -run.fun if run.maximize else run.fun)

    def plot(self, objective=None, **options):
        """A matplotlib `Figure` comparing the rates (see `symgd.plotting.plot_sweep`)."""
        from .plotting import plot_sweep

        return plot_sweep(self, objective, **options)

    def table(self, digits: int = 8) -> str:
        """The comparison: rate, final point, f, iterations, verdict."""
        first = next(iter(self.results.values()))
        header = ["lr", *first.variables, "f", "iterations", "status"]
        body = [
            [f"{lr:g}", *(f"{v:.{digits}g}" for v in run.x), f"{run.fun:.{digits}g}", str(run.nit), verdict]
            for (lr, run), verdict in zip(self.results.items(), self.verdicts())
        ]
        return align(header, body)
