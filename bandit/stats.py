"""Per-strategy action statistics: recent hit rate per query class, expected latency.

Hit rates are learned from rewards (was the engaged entity within the
strategy's candidates) and travel with the policy's snapshots; latencies are
measured by the serving process itself. Both are exponentially weighted, so
they follow a catalog and an audience that change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PRIOR_HIT_RATE = 0.5
HIT_ALPHA = 0.02
LATENCY_ALPHA = 0.05
DEFAULT_LATENCY_MS = 10.0


class StrategyStats:
    """Hit rate per (strategy, query class) and latency per strategy."""

    def __init__(self, hits: Mapping[str, float] | None = None) -> None:
        self.hits: dict[str, float] = dict(hits or {})
        self.latency_ms: dict[str, float] = {}

    @staticmethod
    def _key(strategy: str, query_class: str) -> str:
        return f"{strategy}|{query_class}"

    def hit_rate(self, strategy: str, query_class: str) -> float:
        return self.hits.get(self._key(strategy, query_class), PRIOR_HIT_RATE)

    def record_hit(self, strategy: str, query_class: str, hit: bool) -> None:
        key = self._key(strategy, query_class)
        old = self.hits.get(key, PRIOR_HIT_RATE)
        self.hits[key] = old + HIT_ALPHA * ((1.0 if hit else 0.0) - old)

    def record_latency(self, strategy: str, ms: float) -> None:
        old = self.latency_ms.get(strategy)
        self.latency_ms[strategy] = ms if old is None else old + LATENCY_ALPHA * (ms - old)

    def expected_latency_ms(self, strategy: str) -> float:
        return self.latency_ms.get(strategy, DEFAULT_LATENCY_MS)

    def snapshot(self, strategies: Iterable[str], query_class: str) -> dict[str, dict[str, float]]:
        """What a decision logs: each strategy's hit rate for this class and its latency."""
        return {
            s: {
                "hit": round(self.hit_rate(s, query_class), 2),
                "lat": float(round(self.expected_latency_ms(s))),
            }
            for s in strategies
        }
