"""The search pipeline: plan → concurrent fan-out → union with provenance → fusion.

Retrievers are synchronous (tantivy, faiss release the GIL in their cores), so
each runs in a worker thread under its own timeout. A strategy that raises or
overruns its timeout is dropped from that request and counted; the search
still answers from the others. Query understanding, the bandit and the
learned ranker slot into this flow as their issues land.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from retrievers.base import Candidate, RetrievalQuery, Retriever
from retrievers.query_parse import QueryParse
from retrievers.understanding import QueryUnderstanding
from service.fusion import reciprocal_rank_fusion
from service.metrics import Metrics

logger = logging.getLogger(__name__)


class RetrievalPlan(BaseModel):
    """Which strategies to call and how many candidates to draw from each (0 = not called)."""

    model_config = ConfigDict(frozen=True)

    depths: dict[str, int] = Field(description="Strategy name → depth.")

    @model_validator(mode="after")
    def _non_negative(self) -> RetrievalPlan:
        negative = {name: depth for name, depth in self.depths.items() if depth < 0}
        if negative:
            raise ValueError(f"plan depths must be >= 0, but got {negative}")
        return self

    @property
    def active(self) -> dict[str, int]:
        return {name: depth for name, depth in self.depths.items() if depth > 0}

    @property
    def total(self) -> int:
        return sum(self.depths.values())


@dataclass(frozen=True)
class FusedCandidate:
    """An entity of the union, with every strategy that found it."""

    entity_id: str
    score: float
    found_by: dict[str, Candidate]


@dataclass
class PipelineResult:
    plan: RetrievalPlan
    runs: dict[str, list[Candidate]]
    failures: dict[str, str]
    ranked: list[FusedCandidate]
    stage_ms: dict[str, float] = field(default_factory=dict)
    understanding: QueryParse | None = None
    strategy_ms: dict[str, float] = field(default_factory=dict)


class SearchPipeline:
    """Runs one search under a retrieval plan over the registered strategies."""

    def __init__(
        self,
        retrievers: Mapping[str, Retriever],
        metrics: Metrics,
        *,
        timeout_s: float,
        rrf_k: int = 60,
        max_workers: int | None = None,
        understanding: QueryUnderstanding | None = None,
    ) -> None:
        self.retrievers = dict(retrievers)
        self.understanding = understanding
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.rrf_k = rrf_k
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers or max(4, 4 * len(self.retrievers)),
            thread_name_prefix="ltrr-retrieve",
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def check_plan(self, plan: RetrievalPlan) -> None:
        unknown = sorted(set(plan.depths) - set(self.retrievers))
        if unknown:
            raise ValueError(
                f"plan names unknown strategies {unknown}; registered: {sorted(self.retrievers)}"
            )

    def _timed_search(self, name: str, query: RetrievalQuery, depth: int) -> list[Candidate]:
        start = time.perf_counter()
        try:
            return self.retrievers[name].search(query, depth)
        finally:
            self.metrics.stage_latency.labels(f"retrieve:{name}").observe(
                time.perf_counter() - start
            )

    async def _call(
        self, name: str, query: RetrievalQuery, depth: int, took: dict[str, float]
    ) -> tuple[str, list[Candidate] | None, str | None]:
        start = time.perf_counter()
        try:
            return await self._call_timed(name, query, depth)
        finally:
            took[name] = (time.perf_counter() - start) * 1000

    async def _call_timed(
        self, name: str, query: RetrievalQuery, depth: int
    ) -> tuple[str, list[Candidate] | None, str | None]:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._timed_search, name, query, depth)
        try:
            candidates = await asyncio.wait_for(future, timeout=self.timeout_s)
        except TimeoutError:
            self.metrics.strategy_failures.labels(name, "timeout").inc()
            logger.warning("strategy %s timed out after %.0f ms", name, self.timeout_s * 1000)
            return name, None, f"timeout after {self.timeout_s * 1000:.0f} ms"
        except Exception as error:
            self.metrics.strategy_failures.labels(name, "error").inc()
            logger.exception("strategy %s failed", name)
            return name, None, f"error: {type(error).__name__}: {error}"
        self.metrics.strategy_candidates.labels(name).observe(len(candidates))
        return name, candidates[:depth], None

    def understand(self, query: RetrievalQuery, stage_ms: dict[str, float]) -> RetrievalQuery:
        """The query with its parse (parsed once per search; kept if already there)."""
        if self.understanding is None or query.understanding is not None:
            return query
        start = time.perf_counter()
        parse = self.understanding.parse(query.text)
        understand_s = time.perf_counter() - start
        self.metrics.stage_latency.labels("understand").observe(understand_s)
        stage_ms["understand"] = understand_s * 1000
        return dataclasses.replace(query, understanding=parse)

    async def run(
        self,
        query: RetrievalQuery,
        plan: RetrievalPlan,
        stage_ms: dict[str, float] | None = None,
    ) -> PipelineResult:
        """Fan out under ``plan``, union the candidates and order them by fusion."""
        self.check_plan(plan)
        stage_ms = {} if stage_ms is None else stage_ms
        query = self.understand(query, stage_ms)
        start = time.perf_counter()
        took: dict[str, float] = {}
        outcomes = await asyncio.gather(
            *(self._call(name, query, depth, took) for name, depth in plan.active.items())
        )
        fanout_s = time.perf_counter() - start
        self.metrics.stage_latency.labels("fanout").observe(fanout_s)
        stage_ms["fanout"] = fanout_s * 1000

        runs = {name: cands for name, cands, _ in outcomes if cands is not None}
        failures = {name: reason for name, _, reason in outcomes if reason is not None}

        start = time.perf_counter()
        found_by: dict[str, dict[str, Candidate]] = {}
        for name, candidates in runs.items():
            for candidate in candidates:
                found_by.setdefault(candidate.entity_id, {})[name] = candidate
        fused = reciprocal_rank_fusion(runs, k=self.rrf_k)
        ranked = [FusedCandidate(eid, score, found_by[eid]) for eid, score in fused]
        fuse_s = time.perf_counter() - start
        self.metrics.stage_latency.labels("fuse").observe(fuse_s)
        stage_ms["fuse"] = fuse_s * 1000
        return PipelineResult(plan, runs, failures, ranked, stage_ms, query.understanding, took)
