"""What every benchmark reports latencies with."""

from __future__ import annotations

from typing import List


def percentile(values: List[float], p: float) -> float:
    """The value below which p % of the values fall (nearest rank)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]
