"""Per-stage timings of the pipeline (NLU, store, handler, send), kept in bounded windows for ``GET /metrics``."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

# overhead: total minus the NLU call, per message; broadcast: one platform call to many chats (bot/outbox/)
STAGES = ("nlu", "store", "handler", "send", "broadcast", "total", "overhead")


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))  # nearest rank
    return sorted_values[k]


class StageTimes:
    def __init__(self, window: int = 20_000) -> None:
        self._samples: dict[str, deque[float]] = {s: deque(maxlen=window) for s in STAGES}
        self.counters: dict[str, int] = {"accepted": 0, "duplicates": 0, "processed": 0, "failed": 0}

    @contextmanager
    def measure(self, stage: str, into: dict[str, float]) -> Iterator[None]:
        """Add the time of the block to ``into[stage]``; ``record(into)`` keeps one message's stages."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            into[stage] = into.get(stage, 0.0) + (time.perf_counter() - t0) * 1000

    def record(self, per_stage: dict[str, float]) -> None:
        for stage, ms in per_stage.items():
            self._samples[stage].append(ms)
        if "total" in per_stage:
            self._samples["overhead"].append(per_stage["total"] - per_stage.get("nlu", 0.0))

    def reset(self) -> None:
        for samples in self._samples.values():
            samples.clear()

    def summary(self) -> dict[str, object]:
        out: dict[str, object] = {"counters": dict(self.counters)}
        for stage, samples in self._samples.items():
            values = sorted(samples)
            out[stage] = {
                "n": len(values),
                "mean_ms": round(sum(values) / len(values), 3) if values else 0.0,
                "p50_ms": round(_percentile(values, 0.50), 3),
                "p95_ms": round(_percentile(values, 0.95), 3),
            }
        return out
