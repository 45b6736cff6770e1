"""The suite's output: the machine and versions, the targets, one table per workload (markdown)."""

from __future__ import annotations

import datetime
import importlib.metadata
import math
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .harness import ROOT, Row, Workload

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
LIBRARIES = ("numpy", "sympy", "scipy", "numba", "llvmlite", "jax", "jaxlib", "torch")

Results = dict[str, tuple[Workload, list[Row]]]


# -- the machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])  # MemTotal
        return f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "?"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    """The commit of the checkout, marked when symgd/ has changes not committed (read-only git calls)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "symgd"], cwd=ROOT).returncode
    except OSError:
        return "?"
    return (head.stdout.strip() or "?") + (" with uncommitted changes to symgd/" if dirty == 1 else "")


def machine() -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    libraries = ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{now}, symgd at commit {_commit()}. Machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory()}, "
        f"{platform.system()} {platform.machine()}, load average {load} when the run ended, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}. "
        f"Python {platform.python_version()}; {libraries}."
    )


# -- numbers


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def times_fastest(ratio: float) -> str:
    return f"{ratio:.{2 if ratio < 10 else 1 if ratio < 100 else 0}f}×"


def mebibytes(size: int | None) -> str:
    return "—" if size is None else f"{size / 2**20:.1f} MiB"


#: The engine without numba: ``backend="python"``, or the default of a symgd that has no ``backend=`` yet.
SYMGD_PYTHON = ("symgd-python", "symgd")


def _row(results: Results, workload: str, keys: str | tuple[str, ...]) -> tuple[Workload, Row] | None:
    """The first of the contenders ``keys`` that ran well in ``workload``, with the workload."""
    if workload not in results:
        return None
    found, rows = results[workload]
    for key in (keys,) if isinstance(keys, str) else keys:
        row = next((r for r in rows if r.contender.key == key), None)
        if row is not None and row.ok:
            return found, row
        if row is not None and not row.status.startswith("unavailable"):
            return None
    return None


def ratio(workload: str, key: str | tuple[str, ...], base: str) -> Callable[[Results], float | None]:
    def measure(results: Results) -> float | None:
        mine, theirs = _row(results, workload, key), _row(results, workload, base)
        return None if mine is None or theirs is None else mine[1].seconds / theirs[1].seconds

    return measure


def memory_ratio(workload: str, key: str | tuple[str, ...]) -> Callable[[Results], float | None]:
    def measure(results: Results) -> float | None:
        found = _row(results, workload, key)
        if found is None or found[1].peak is None or not found[0].inputs:
            return None
        return found[1].peak / found[0].inputs

    return measure


def growth_exponent(workload: str) -> Callable[[Results], float | None]:
    """The least-squares slope of log(time) against log(size): 1 is linear growth."""

    def measure(results: Results) -> float | None:
        if workload not in results:
            return None
        rows = [r for r in results[workload][1] if r.ok]
        if len(rows) < 2 or len(rows) < len(results[workload][1]):
            return None
        sizes = np.log([r.contender.units for r in rows])
        times = np.log([r.seconds for r in rows])
        return float(np.polyfit(sizes, times, 1)[0])

    return measure


@dataclass(frozen=True)
class Target:
    text: str
    measure: Callable[[Results], float | None]
    limit: float
    unit: str = "×"
    strict: bool = False  # below the limit, not at most

    def line(self, results: Results) -> str:
        value = self.measure(results)
        if value is None:
            return f"| {self.text} | — | — |"
        met = value < self.limit if self.strict else value <= self.limit
        return f"| {self.text} | {value:.2f}{self.unit} | {'pass' if met else '**fail**'} |"


TARGETS = (
    Target("W1: symgd without numba ≤ 1.5× plain Python", ratio("W1", SYMGD_PYTHON, "python"), 1.5),
    Target("W2: symgd without numba ≤ 1.5× plain Python", ratio("W2", SYMGD_PYTHON, "python"), 1.5),
    Target("W3: symgd without numba ≤ 1.2× hand-written numpy", ratio("W3", SYMGD_PYTHON, "numpy"), 1.2),
    Target("W3: symgd without numba, peak memory ≤ 3× the inputs", memory_ratio("W3", SYMGD_PYTHON), 3),
    Target("W4: symgd without numba ≤ 1.2× hand-written numpy", ratio("W4", SYMGD_PYTHON, "numpy"), 1.2),
    Target("W4: symgd without numba, peak memory ≤ 3× the inputs", memory_ratio("W4", SYMGD_PYTHON), 3),
    *(
        Target(f"{w}: symgd compiled ≤ 2× hand-written numba", ratio(w, "symgd-numba", "numba"), 2)
        for w in ("W1", "W2", "W3")
    ),
    *(
        Target(f"{w}: symgd compiled faster than JAX jit", ratio(w, "symgd-numba", "jax"), 1, strict=True)
        for w in ("W1", "W2", "W3")
    ),
    Target(
        "W5: symbolic work grows no worse than linearly (fitted exponent of time against terms ≤ 1.1)",
        growth_exponent("W5-scaling"),
        1.1,
        unit="",
    ),
)


# -- tables


def table(workload: Workload, rows: list[Row]) -> str:
    memory = workload.inputs is not None
    timed = [r.seconds for r in rows if r.ok and not r.contender.converge]
    fastest = min(timed) if timed else math.nan
    head = ["contender", "median", f"per {workload.unit}", "× fastest", "first call", "peak memory"]
    head += ["memory / inputs"] if memory else []
    lines = ["| " + " | ".join([*head, "note"]) + " |", "|" + "---|" * (len(head) + 1)]
    for r in rows:
        c = r.contender
        if r.seconds is None:
            cells = [c.name, "—", "—", "—", duration(r.first), "—"] + (["—"] if memory else []) + [r.status]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        per = r.seconds / (c.units or workload.units)
        times = "—" if c.converge else times_fastest(r.seconds / fastest)
        note = "; ".join(filter(None, [r.note, "" if r.ok else f"**{r.status}**"]))
        cells = [c.name, duration(r.seconds), "—" if c.converge else duration(per), times, duration(r.first)]
        cells += [mebibytes(r.peak)]
        if memory:
            cells += ["—" if r.peak is None else f"{r.peak / workload.inputs:.1f}×"]
        lines.append("| " + " | ".join([*cells, note]) + " |")
    return "\n".join(lines)


def markdown(results: Results, command: str, repeat: int) -> str:
    parts = [
        f"Produced by `{command}` (median of {repeat} runs after one warm-up call): {machine()}",
        "#### Targets",
        "| target | measured | result |\n|---|---|---|",
    ]
    parts[-1] += "\n" + "\n".join(t.line(results) for t in TARGETS)
    for workload, rows in results.values():
        notes = [f"- {note}" for note in workload.notes]
        if workload.inputs is not None:
            notes.append(f"- inputs: {mebibytes(workload.inputs)}")
        block = f"#### {workload.key}: {workload.title}\n\n{table(workload, rows)}"
        parts.append(block + ("\n\n" + "\n".join(notes) if notes else ""))
    return "\n\n".join(parts) + "\n"


def write(text: str, path: Path = DOCS) -> None:
    """Replace the generated part of docs/benchmarks.md (between the markers) with ``text``."""
    doc = path.read_text(encoding="utf-8")
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has no {BEGIN} … {END} markers to write between")
    path.write_text(doc[: start + len(BEGIN)] + "\n" + text + doc[end:], encoding="utf-8")
