"""Answer latency percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (0 < q <= 100): always a latency that was actually seen."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency_metrics(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    return {"latency_p50_ms": percentile(latencies_ms, 50), "latency_p95_ms": percentile(latencies_ms, 95)}
