"""What a run records: latencies per endpoint and per operation, outcomes by problem type."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(values: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p90, p99 and max of latencies given in seconds, in milliseconds."""
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50": round(percentile(ordered, 50) * 1000, 2),
        "p90": round(percentile(ordered, 90) * 1000, 2),
        "p99": round(percentile(ordered, 99) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


@dataclass
class Stats:
    """Shared by all virtual clients of a run; only counts while ``recording``."""

    recording: bool = False
    requests: int = 0
    status_5xx: int = 0
    bad_nonce_retries: int = 0
    completed: int = 0
    #: Polls of the completed orders only (flow mode).
    authz_polls: int = 0
    order_polls: int = 0
    endpoint_latency: dict[str, list[float]] = field(default_factory=dict)
    operation_latency: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    warmup_failures: Counter[str] = field(default_factory=Counter)

    def request(self, endpoint: str, seconds: float, status: int) -> None:
        if not self.recording:
            return
        self.requests += 1
        if status >= 500:
            self.status_5xx += 1
        self.endpoint_latency.setdefault(endpoint, []).append(seconds)

    def bad_nonce_retry(self) -> None:
        if self.recording:
            self.bad_nonce_retries += 1

    def success(self, seconds: float) -> None:
        if self.recording:
            self.completed += 1
            self.operation_latency.append(seconds)

    def polls(self, authz: int, order: int) -> None:
        """The polls of an order that completed (call right after ``success``)."""
        if self.recording:
            self.authz_polls += authz
            self.order_polls += order

    def failure(self, kind: str) -> None:
        (self.failures if self.recording else self.warmup_failures)[kind] += 1

    def report(self) -> dict[str, Any]:
        return {
            "completed": self.completed,
            "failed": sum(self.failures.values()),
            "failures": dict(self.failures.most_common()),
            "warmup_failures": dict(self.warmup_failures.most_common()),
            "requests": self.requests,
            "http_5xx": self.status_5xx,
            "bad_nonce_retries": self.bad_nonce_retries,
            "polls": {
                "authz": self.authz_polls,
                "order": self.order_polls,
                "authz_per_order": (
                    round(self.authz_polls / self.completed, 3) if self.completed else None
                ),
                "order_per_order": (
                    round(self.order_polls / self.completed, 3) if self.completed else None
                ),
            },
            "latency_ms": {
                "operation": summary_ms(self.operation_latency),
                **{name: summary_ms(v) for name, v in sorted(self.endpoint_latency.items())},
            },
        }
