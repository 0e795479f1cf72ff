"""Fan-out behaviour: failing and slow strategies are dropped, never fatal."""

from __future__ import annotations

import asyncio
import time

import pytest

from retrievers.base import Candidate, RetrievalQuery, rank_candidates
from service.metrics import Metrics
from service.pipeline import RetrievalPlan, SearchPipeline


class StaticRetriever:
    def __init__(self, name: str, ids: list[str], delay_s: float = 0.0) -> None:
        self.name = name
        self.ids = ids
        self.delay_s = delay_s

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        time.sleep(self.delay_s)
        return rank_candidates(
            ((eid, 1.0 / (i + 1)) for i, eid in enumerate(self.ids[:k])), self.name
        )


class BrokenRetriever:
    name = "broken"

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        raise RuntimeError("index unavailable")


def _pipeline(metrics: Metrics) -> SearchPipeline:
    return SearchPipeline(
        {
            "a": StaticRetriever("a", ["x", "y", "z"]),
            "b": StaticRetriever("b", ["y", "w"]),
            "slow": StaticRetriever("slow", ["s"], delay_s=1.0),
            "broken": BrokenRetriever(),
        },
        metrics,
        timeout_s=0.2,
    )


def _sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_union_keeps_provenance_and_depth() -> None:
    metrics = Metrics()
    pipeline = _pipeline(metrics)
    result = asyncio.run(
        pipeline.run(RetrievalQuery("q"), RetrievalPlan(depths={"a": 2, "b": 5, "slow": 0}))
    )
    assert [c.entity_id for c in result.runs["a"]] == ["x", "y"]
    ranked = {c.entity_id: c for c in result.ranked}
    assert result.ranked[0].entity_id == "y"  # found by both strategies
    assert set(ranked["y"].found_by) == {"a", "b"}
    assert "slow" not in result.runs  # depth 0: not called
    pipeline.close()


def test_failing_and_slow_strategies_are_dropped_and_counted() -> None:
    metrics = Metrics()
    pipeline = _pipeline(metrics)
    plan = RetrievalPlan(depths={"a": 10, "slow": 10, "broken": 10})
    result = asyncio.run(pipeline.run(RetrievalQuery("q"), plan))
    assert set(result.runs) == {"a"}
    assert result.failures["slow"].startswith("timeout")
    assert "RuntimeError: index unavailable" in result.failures["broken"]
    assert (
        _sample(metrics, "ltrr_strategy_failures_total", {"strategy": "slow", "reason": "timeout"})
        == 1
    )
    assert (
        _sample(metrics, "ltrr_strategy_failures_total", {"strategy": "broken", "reason": "error"})
        == 1
    )
    pipeline.close()


def test_unknown_strategy_in_plan_is_refused() -> None:
    pipeline = _pipeline(Metrics())
    with pytest.raises(ValueError, match=r"unknown strategies \['nope'\]"):
        asyncio.run(pipeline.run(RetrievalQuery("q"), RetrievalPlan(depths={"nope": 3})))
    pipeline.close()


def test_negative_depth_is_refused() -> None:
    with pytest.raises(ValueError, match="plan depths must be >= 0"):
        RetrievalPlan(depths={"a": -1})
