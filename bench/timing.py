"""Shared by the benchmarks: the median wall-clock time of a call, and its answer."""

from __future__ import annotations

import statistics
import time


def median_time(fn, *args, repeat: int):
    """Run ``fn(*args)`` ``repeat`` times; the median seconds and the last answer."""
    times, answer = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), answer
