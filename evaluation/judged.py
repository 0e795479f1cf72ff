"""Offline evaluation of retrieval strategies on a judged query set.

A judged query set is two files:

* queries, one per line as ``qid<TAB>text`` (UTF-8, no header, blank lines ignored);
* TREC qrels, one judgment per line as ``qid iteration entity_id grade`` (whitespace-separated;
  the iteration column is ignored, as ``trec_eval`` does; grades above 0 are relevant).

Every requested strategy runs at one depth on every judged query, and so does their **union**,
ordered by reciprocal-rank fusion exactly as the search pipeline orders it before a learned
ranker is active (:func:`service.fusion.reciprocal_rank_fusion`). Each run is scored with
`ranx <https://github.com/AmenRa/ranx>`_ (Bassani, "ranx: A Blazing-Fast Python Library for
Ranking Evaluation and Comparison", ECIR 2022): recall@10, recall@100, nDCG@10 with linear gain
(Järvelin & Kekäläinen 2002, the ``trec_eval`` formulation) and MRR over the whole list.

Queries without any relevant judgment cannot be scored (their recall is undefined); they are
not run and are listed in the report instead.

Reading the two files is :mod:`evaluation.judged_set`; scoring one run with ranx is
:mod:`evaluation.judged_metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from evaluation.judged_metrics import RANX_METRICS, Metrics, score_run
from evaluation.judged_set import (
    JudgedQuery,
    JudgedSet,
    JudgedSetError,
    load_judged_set,
    load_qrels,
    load_queries,
)
from retrievers.base import Candidate, RetrievalQuery, Retriever
from service.fusion import reciprocal_rank_fusion

__all__ = [
    "RANX_METRICS",
    "UNION",
    "EvaluationError",
    "EvaluationReport",
    "JudgedQuery",
    "JudgedSet",
    "JudgedSetError",
    "Metrics",
    "StrategyReport",
    "evaluate_strategies",
    "load_judged_set",
    "load_qrels",
    "load_queries",
    "score_run",
]

UNION = "union"
"""The report's name for the fused union of all evaluated strategies."""


class EvaluationError(RuntimeError):
    """A strategy failed on a query during an evaluation run."""


class StrategyReport(BaseModel):
    """How one strategy (or the fused union) did on the judged set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    metrics: Metrics
    mean_candidates: float = Field(ge=0.0, description="Candidates returned per query.")
    empty_queries: int = Field(ge=0, description="Queries with no candidate at all.")
    mean_latency_ms: float | None = Field(
        default=None, description="Mean search time per query (None for the union)."
    )


class EvaluationReport(BaseModel):
    """The outcome of evaluating strategies and their union on one judged set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(ge=1, description="Candidates drawn from each strategy per query.")
    rrf_k: int = Field(ge=1, description="Reciprocal-rank-fusion constant of the union.")
    strategies: list[str]
    queries: int = Field(ge=0, description="Judged queries evaluated.")
    skipped_queries: list[str] = Field(
        default_factory=list, description="Query ids without any relevant judgment."
    )
    queries_path: str | None = None
    qrels_path: str | None = None
    catalog: str | None = None
    results: list[StrategyReport] = Field(description="Each strategy, then the union.")

    def result(self, name: str) -> StrategyReport:
        """The report of one strategy, or of ``"union"``."""
        for report in self.results:
            if report.name == name:
                return report
        raise KeyError(f"no result named {name!r}; results: {[r.name for r in self.results]}")


def _summary(
    name: str,
    relevant: Mapping[str, Mapping[str, int]],
    ranking: Mapping[str, Sequence[str]],
    latency_ms: float | None,
) -> StrategyReport:
    sizes = [len(ranking.get(qid, ())) for qid in relevant]
    return StrategyReport(
        name=name,
        metrics=score_run(relevant, ranking),
        mean_candidates=sum(sizes) / len(sizes),
        empty_queries=sum(1 for size in sizes if size == 0),
        mean_latency_ms=latency_ms,
    )


def evaluate_strategies(
    judged: JudgedSet,
    retrievers: Mapping[str, Retriever],
    depth: int,
    *,
    rrf_k: int = 60,
    on_query: Callable[[], None] | None = None,
) -> EvaluationReport:
    """Run every retriever at ``depth`` on every judged query, fuse the union by RRF, and
    score each run and the union. ``on_query`` is called once per query (progress)."""
    if depth < 1:
        raise ValueError(f"depth must be a positive integer, but {depth} is given")
    if not retrievers:
        raise ValueError("at least one strategy is needed")
    if UNION in retrievers:
        raise ValueError(f"{UNION!r} names the fused union and cannot be a strategy name")
    relevant = judged.relevant
    queries = [query for query in judged.queries if query.qid in relevant]
    skipped = [query.qid for query in judged.queries if query.qid not in relevant]
    if not queries:
        raise ValueError("no query of the judged set has a relevant judgment (grade above 0)")

    rankings: dict[str, dict[str, list[str]]] = {name: {} for name in retrievers}
    seconds: dict[str, float] = dict.fromkeys(retrievers, 0.0)
    union: dict[str, list[str]] = {}
    for query in queries:
        runs: dict[str, list[Candidate]] = {}
        for name, retriever in retrievers.items():
            start = time.perf_counter()
            try:
                candidates = retriever.search(RetrievalQuery(query.text), depth)[:depth]
            except Exception as error:
                raise EvaluationError(
                    f"strategy {name!r} failed on query {query.qid!r} ({query.text!r}): "
                    f"{type(error).__name__}: {error}"
                ) from error
            seconds[name] += time.perf_counter() - start
            runs[name] = candidates
            rankings[name][query.qid] = [c.entity_id for c in candidates]
        union[query.qid] = [eid for eid, _ in reciprocal_rank_fusion(runs, k=rrf_k)]
        if on_query is not None:
            on_query()

    results = [
        _summary(name, relevant, rankings[name], seconds[name] * 1000 / max(1, len(queries)))
        for name in retrievers
    ]
    results.append(_summary(UNION, relevant, union, None))
    return EvaluationReport(
        depth=depth,
        rrf_k=rrf_k,
        strategies=list(retrievers),
        queries=len(queries),
        skipped_queries=skipped,
        queries_path=judged.queries_path,
        qrels_path=judged.qrels_path,
        results=results,
    )
