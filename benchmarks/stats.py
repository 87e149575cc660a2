"""What every benchmark reports latencies with."""

from __future__ import annotations

import time
from typing import Callable, List


def percentile(values: List[float], p: float) -> float:
    """The value below which p % of the values fall (nearest rank)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_times(action: Callable[[], object], runs: int) -> List[float]:
    """The seconds each of `runs` calls of action took."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times
