"""``POST /search`` and its quick ``GET`` form."""

from __future__ import annotations

import time
from typing import Annotated

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bandit.policy import PlanChoice
from catalog.model import EntityType
from ranker.feature_spec import FeatureSpecMismatch
from ranker.interventions import Swap, maybe_swap
from ranker.registry import UnknownModelVersion
from ranker.serving import Ranker
from retrievers.base import RetrievalQuery, SearchFilters
from retrievers.normalize import normalize_query
from service.app_state import Services
from service.decisions import Decision, LoggedCandidate
from service.deps import ServicesDep
from service.pipeline import PipelineResult, RetrievalPlan
from service.ranking import Listener, RankOutcome, search_seed
from service.schemas import (
    MAX_QUERY_CHARS,
    BanditExplanation,
    CandidateOut,
    Explanation,
    SearchHit,
    SearchRequest,
    SearchResponse,
)

router = APIRouter(tags=["search"])

GET_PARAMS = {
    "q",
    "size",
    "explain",
    "user_id",
    "type",
    "genre",
    "year_min",
    "year_max",
    "language",
    "explicit",
}


@router.post("/search", response_model=SearchResponse, response_model_exclude_none=True)
async def search(body: SearchRequest, services: ServicesDep) -> SearchResponse:
    """Search the catalog; every response carries a signed ``search_id`` for feedback."""
    return await run_search(body, services)


@router.get("/search", response_model=SearchResponse, response_model_exclude_none=True)
async def search_get(
    request: Request,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    size: Annotated[int, Query(ge=1, le=1000)] = 10,
    explain: bool = False,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    type: Annotated[list[EntityType] | None, Query()] = None,
    genre: Annotated[list[str] | None, Query()] = None,
    year_min: int | None = None,
    year_max: int | None = None,
    language: Annotated[list[str] | None, Query()] = None,
    explicit: bool | None = None,
) -> SearchResponse:
    """Quick search from a browser: ``/search?q=bohemian+rhapsody&type=track``."""
    unknown = sorted(set(request.query_params) - GET_PARAMS)
    if unknown:
        raise HTTPException(
            status_code=422,
            detail=f"unknown query parameters {unknown}; valid: {sorted(GET_PARAMS)}",
        )
    try:
        body = SearchRequest(
            query=q,
            size=size,
            explain=explain,
            user_id=user_id,
            filters=SearchFilters(
                types=type,
                genres=genre,
                year_min=year_min,
                year_max=year_max,
                languages=language,
                explicit=explicit,
            ),
        )
    except ValidationError as error:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in error.errors()
        )
        raise HTTPException(status_code=422, detail=detail) from error
    return await run_search(body, services)


def _plan_for(body: SearchRequest, services: Services) -> tuple[RetrievalPlan, str]:
    """The request's pinned plan (checked) or the service's default plan."""
    if body.plan is None:
        return services.default_plan, "default"
    registered = set(services.pipeline.retrievers)
    unknown = sorted(set(body.plan) - registered)
    if unknown:
        raise HTTPException(
            status_code=422,
            detail=f"plan: unknown strategies {unknown}; registered: {sorted(registered)}",
        )
    plan = RetrievalPlan(depths=body.plan)
    budget = services.settings.pipeline.candidate_budget
    if plan.total > budget:
        raise HTTPException(
            status_code=422,
            detail=f"plan: draws {plan.total} candidates, over the budget of {budget}",
        )
    if not plan.active:
        raise HTTPException(status_code=422, detail="plan: calls no strategy (all depths are 0)")
    return plan, "pinned"


def _bandit_plan(
    body: SearchRequest, services: Services, query: RetrievalQuery, stage_ms: dict[str, float]
) -> tuple[RetrievalPlan, PlanChoice, Listener]:
    """The bandit's plan for this search (runs in a worker thread: it reads state stores)."""
    assert services.bandit is not None
    start = time.perf_counter()
    planner = services.bandit.planner
    context = planner.context(
        body.query,
        query.understanding,
        user_id=body.user_id,
        device=body.context.device,
        locale=body.context.locale,
        when=body.context.timestamp,
    )
    choice = planner.choose(context)
    plan_s = time.perf_counter() - start
    services.metrics.stage_latency.labels("plan").observe(plan_s)
    stage_ms["plan"] = plan_s * 1000
    listener = Listener(query_count=context.query_count, tastes=dict(context.tastes))
    return RetrievalPlan(depths=choice.plan), choice, listener


def _listener(body: SearchRequest, services: Services) -> Listener:
    """Query frequency and the listener's tastes, when the bandit did not read them already."""
    key = normalize_query(body.query)
    state = services.listener_state
    return Listener(
        query_count=state.count_query(key) if key else 0,
        tastes=dict(state.tastes(body.user_id)) if body.user_id else {},
    )


def _rank(
    body: SearchRequest,
    services: Services,
    query: RetrievalQuery,
    result: PipelineResult,
    listener: Listener | None,
) -> RankOutcome:
    """The ranking stage (in a worker thread: it reads the catalog, memory and state)."""
    start = time.perf_counter()
    stage = services.ranking
    if listener is None:
        listener = _listener(body, services)
    pinned: Ranker | None = None
    if body.ranker is not None and body.ranker != "rrf":
        try:
            pinned = stage.holder.get(body.ranker)
        except (UnknownModelVersion, FeatureSpecMismatch) as error:
            raise HTTPException(status_code=422, detail=f"ranker: {error}") from error
    outcome = stage.rank(
        query,
        result,
        model=pinned if body.ranker is not None else stage.active(),
        listener=listener,
        locale=body.context.locale,
        device=body.context.device,
        when=body.context.timestamp,
        size=body.size,
    )
    rank_s = time.perf_counter() - start
    services.metrics.stage_latency.labels("rank").observe(rank_s)
    result.stage_ms["rank"] = rank_s * 1000
    return outcome


def _explain_choice(choice: PlanChoice) -> BanditExplanation:
    return BanditExplanation(
        propensity=choice.propensity,
        greedy_plan=choice.greedy,
        explored=choice.explored,
        pmf=choice.pmf_top,
        context=choice.features,
        strategy_stats=choice.stats,
        query_class=choice.query_class,
        design=choice.design,
        cold_start=choice.cold_start,
        policy_version=choice.version,
    )


async def run_search(body: SearchRequest, services: Services) -> SearchResponse:
    """Understand → plan → retrieve → fuse → rank → hydrate → log; both routes' shared path."""
    start = time.perf_counter()
    plan, plan_source = _plan_for(body, services)
    stage_ms: dict[str, float] = {}
    query = RetrievalQuery(body.query, body.filters)
    choice: PlanChoice | None = None
    listener: Listener | None = None
    if plan_source == "default" and services.bandit is not None:
        query = services.pipeline.understand(query, stage_ms)
        plan, choice, listener = await run_in_threadpool(
            _bandit_plan, body, services, query, stage_ms
        )
        plan_source = "bandit"
    result = await services.pipeline.run(query, plan, stage_ms)
    if services.bandit is not None:
        services.bandit.planner.observe_latency(result.strategy_ms)
    outcome = await run_in_threadpool(_rank, body, services, query, result, listener)

    hydrate_start = time.perf_counter()
    top = outcome.ranked[: body.size]
    entities = outcome.entities
    missing = [c.entity_id for c in top if c.entity_id not in entities]
    if missing:
        entities = {**entities, **await run_in_threadpool(services.entities.get_many, missing)}
    page = [c for c in top if c.entity_id in entities]

    search_id = services.signer.mint()
    swap: Swap | None = None
    if services.settings.ranker.swaps.rate > 0:
        # On the page as shown, so logged swap positions are the positions listeners saw.
        rng = np.random.default_rng(search_seed(search_id))
        page, swap = maybe_swap(page, services.settings.ranker.swaps, rng)
        if swap is not None:
            services.metrics.ranker_swaps.inc()
    hits = [
        SearchHit(
            rank=rank,
            score=candidate.score,
            strategies=sorted(candidate.found_by),
            entity=entities[candidate.entity_id],
        )
        for rank, candidate in enumerate(page, start=1)
    ]
    hydrate_s = time.perf_counter() - hydrate_start
    services.metrics.stage_latency.labels("hydrate").observe(hydrate_s)
    result.stage_ms["hydrate"] = hydrate_s * 1000

    decision = Decision(
        search_id=search_id,
        created_at=time.time(),
        query=body.query,
        user_id=body.user_id,
        context=body.context.model_dump(mode="json"),
        filters=body.filters,
        plan=plan.depths,
        plan_source=plan_source,
        # A pinned or default plan is deterministic given the request: probability 1.
        propensity=1.0 if choice is None else choice.propensity,
        candidates={
            name: [LoggedCandidate(entity_id=c.entity_id, rank=c.rank, score=c.score) for c in run]
            for name, run in result.runs.items()
        },
        failed_strategies=result.failures,
        shown=[hit.entity.id for hit in hits],
        ranker=outcome.ranker,
        ranker_fallback=outcome.fallback,
        swap=swap,
        features=outcome.feature_log(
            services.ranking.spec,
            [hit.entity.id for hit in hits],
            services.settings.ranker.unshown_sample,
            search_seed(search_id),
        ),
        retrieval_ms=result.stage_ms.get("fanout", 0.0),
        bandit=choice,
    )
    log_start = time.perf_counter()
    await run_in_threadpool(services.decisions.record, decision)
    log_s = time.perf_counter() - log_start
    services.metrics.stage_latency.labels("log").observe(log_s)
    result.stage_ms["log"] = log_s * 1000

    explanation = None
    if body.explain:
        explanation = Explanation(
            plan=plan.depths,
            plan_source=plan_source,
            bandit=None if choice is None else _explain_choice(choice),
            ranker=outcome.ranker,
            ranker_fallback=outcome.fallback,
            swap=swap,
            ranker_scores={
                hit.entity.id: outcome.scores[hit.entity.id]
                for hit in hits
                if hit.entity.id in outcome.scores
            }
            or None,
            ranker_contributions=outcome.explain(
                [hit.entity.id for hit in hits], services.settings.ranker.explain_features
            )
            or None,
            candidates={
                name: [CandidateOut(entity_id=c.entity_id, rank=c.rank, score=c.score) for c in run]
                for name, run in result.runs.items()
            },
            failed_strategies=result.failures,
            stage_ms=result.stage_ms,
            understanding=result.understanding,
        )
    return SearchResponse(
        search_id=search_id,
        query=body.query,
        took_ms=(time.perf_counter() - start) * 1000,
        total_candidates=len(outcome.ranked),
        results=hits,
        explain=explanation,
    )
