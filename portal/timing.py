"""Wall-clock timing for the benchmarks (`python -m portal.bench` and each area's bench
module): one helper, so every figure is a median of the same kind."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], runs: int = 1) -> tuple[float, Any]:
    """Median wall time in milliseconds, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result
