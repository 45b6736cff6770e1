"""The suite's machinery: contenders, workloads, timing, memory and answer checks.

A *workload* is one problem of a fixed size (W1 … W5) with a list of
*contenders*, the ways of solving it. Each contender runs in a fresh Python
process of its own: it is prepared untimed (imports, building arrays,
parsing a formula), run once to warm up (that first call is timed on its
own: JIT compilation shows there), then timed ``repeat`` times (the median
is reported) and, where tracemalloc can see its memory, run once more under
tracemalloc for the peak. Every answer is checked against the workload's
reference.
"""

from __future__ import annotations

import functools
import gc
import importlib
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent  # the repository root, where `python -m bench` runs

#: Contenders whose memory tracemalloc cannot see: their peak memory is reported as '—'.
UNTRACED = frozenset({"symgd-numba", "numba", "jax", "torch"})


class Unavailable(Exception):
    """A contender that cannot run here: a library is not installed, a feature does not exist yet."""


def optional(name: str):
    """Import an optional library, or raise `Unavailable` ('not installed')."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        raise Unavailable("not installed") from None
    if name == "jax":
        module.config.update("jax_enable_x64", True)  # float64 like every other contender
    return module


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


@dataclass(frozen=True)
class Answer:
    """What a run found: the numbers to check, and the size of the problem it solved.

    ``size`` selects the reference (iterations run, terms of a formula; None for
    the workload's own size); ``exact`` compares with the exact optimum instead
    (a contender run to convergence). ``tol`` is the relative tolerance of the
    check (absolute near zero). ``note`` goes in the table (BFGS's iterations).
    """

    values: np.ndarray
    size: int | None = None
    tol: float = 1e-9
    note: str = ""
    exact: bool = False


@dataclass(frozen=True)
class Contender:
    """One way of solving a workload.

    ``prepare()`` does the untimed setup and returns the call to time (which
    returns an `Answer`); it raises `Unavailable` when the contender cannot run.
    ``key`` names it in the targets (``python``, ``numpy``, ``symgd``,
    ``symgd-numba``, ``numba``, ``jax``, ``torch``, ``scipy``).
    """

    key: str
    name: str
    prepare: Callable[[], Callable[[], Answer]]
    converge: bool = False  # timed to convergence (scipy), not comparable per iteration
    fraction: float = 1.0  # ran this fraction of the workload; its time is scaled up
    units: int | None = None  # overrides the workload's units (W5's per-term column)
    reset: Callable[[], None] | None = None  # untimed, before every run (sympy's cache)
    pending: bool = False  # a feature still being built: failing to start means unavailable, not an error

    @property
    def traced(self) -> bool:
        """Whether tracemalloc sees its buffers (Python objects and numpy arrays do; numba's, XLA's, torch's don't)."""
        return self.key not in UNTRACED


def contender(key: str, name: str, prepare: Callable[..., Callable[[], Answer]], *args, **options) -> Contender:
    """A `Contender` whose setup is ``prepare(*args)``."""
    return Contender(key, name, functools.partial(prepare, *args), **options)


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    unit: str  # "iteration", "start × iteration", "term" ...
    units: int  # how many of them one run does
    contenders: list[Contender]
    reference: Callable[[int | None], np.ndarray]  # the expected answer for a size (None: the workload's)
    inputs: int | None = None  # bytes of the inputs, for memory / inputs
    optimum: Callable[[], np.ndarray] | None = None  # the exact optimum, for contenders run to convergence
    notes: tuple[str, ...] = ()


@dataclass
class Row:
    contender: Contender
    status: str = "ok"  # ok, unavailable: …, error: …, wrong: …
    seconds: float | None = None  # median, scaled to the whole workload
    first: float | None = None  # the first (warm-up) call, unscaled
    peak: int | None = None  # bytes, tracemalloc
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in MEASURED})

    @classmethod
    def from_json(cls, contender: Contender, text: str) -> Row:
        return cls(contender, **{name: value for name, value in json.loads(text).items() if name in MEASURED})


MEASURED = ("status", "seconds", "first", "peak", "note")


def _timed(run: Callable[[], Answer], reset) -> tuple[float, Answer]:
    if reset is not None:
        reset()
    gc.collect()
    start = time.perf_counter()
    answer = run()
    return time.perf_counter() - start, answer


def _peak(run: Callable[[], Answer], reset) -> int:
    if reset is not None:
        reset()
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check(workload: Workload, answer: Answer) -> str | None:
    """None if the answer agrees with the reference, else what is wrong."""
    expected = workload.optimum() if answer.exact else workload.reference(answer.size)
    expected = np.asarray(expected, dtype=float)
    got = np.asarray(answer.values, dtype=float)
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    if np.allclose(got, expected, rtol=answer.tol, atol=answer.tol):
        return None
    error = np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0))
    return f"differs from the reference by {error:.2g} (tolerance {answer.tol:g})"


def measure(workload: Workload, contender: Contender, repeat: int) -> Row:
    """Prepare, warm up (timed: the first call), time ``repeat`` runs, measure the peak memory, check."""
    row = Row(contender)
    try:
        run = contender.prepare()
        row.first, answer = _timed(run, contender.reset)
    except Unavailable as reason:
        row.status = f"unavailable: {reason}"
        return row
    except Exception as error:  # a failing contender is reported, and the suite goes on
        row.status = f"{'unavailable' if contender.pending else 'error'}: {first_line(error)}"
        return row
    try:
        times = []
        for _ in range(repeat):
            seconds, answer = _timed(run, contender.reset)
            times.append(seconds)
        row.seconds, row.note = statistics.median(times) / contender.fraction, answer.note
        row.peak = _peak(run, contender.reset) if contender.traced else None
        problem = check(workload, answer)
    except Exception as error:
        row.status = f"error: {first_line(error)}"
        return row
    if problem:
        row.status = f"wrong: {problem}"
    return row


def measure_apart(workload: Workload, index: int, repeat: int, quick: bool) -> Row:
    """`measure` in a fresh Python process, so that no contender's thread pools, caches or
    compiled code are there while another runs (torch's idle OpenMP threads had slowed
    numba's parallel loops 30× in one process)."""
    contender = workload.contenders[index]
    command = [sys.executable, "-m", "bench", "--worker", f"{workload.key}:{index}", "--repeat", str(repeat)]
    done = subprocess.run(command + ["--quick"] * quick, cwd=ROOT, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return Row(contender, status=f"error: worker failed: {error}")
    return Row.from_json(contender, lines[-1])


def run_workload(workload: Workload, repeat: int, quick: bool, log: Callable[[str], None]) -> list[Row]:
    rows = []
    for index, contender in enumerate(workload.contenders):
        row = measure_apart(workload, index, repeat, quick)
        timing = f"{row.seconds:.4g} s, first call {row.first:.3g} s, " if row.seconds is not None else ""
        log(f"{workload.key} {contender.name}: {timing}{row.status}")
        rows.append(row)
    return rows


#: symgd's contenders: what a user gets by default (``backend="auto"`` picks numba for long runs when
#: it is installed), the engine without numba, and the compiled backend. ``backend=`` is being built:
#: until a symgd has it, those two are reported unavailable, and the default is the engine without numba.
SYMGD_BACKENDS = (
    ("symgd", "symgd default", {}),
    ("symgd-python", 'symgd, backend="python"', {"backend": "python"}),
    ("symgd-numba", 'symgd compiled, backend="numba"', {"backend": "numba"}),
)


def symgd_contenders(prepare: Callable[[dict], Callable[[], Answer]]) -> list[Contender]:
    """The symgd contenders of a workload; ``prepare(keywords)`` gets the backend's keywords."""
    return [
        Contender(key, name, functools.partial(prepare, keywords), pending=bool(keywords))
        for key, name, keywords in SYMGD_BACKENDS
    ]
