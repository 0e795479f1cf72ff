"""Request and response models of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.model import Entity
from ranker.interventions import Swap
from retrievers.base import SearchFilters
from retrievers.query_parse import QueryParse

MAX_QUERY_CHARS = 512


class SearchContext(BaseModel):
    """What the client knows about the listener's situation."""

    model_config = ConfigDict(extra="forbid")

    locale: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$", examples=["en-US"]
    )
    device: str | None = Field(default=None, max_length=64, examples=["mobile"])
    timestamp: datetime | None = Field(default=None, description="Client time, ISO 8601.")


class SearchRequest(BaseModel):
    """``POST /search`` body."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, examples=["bohemian rhapsody"])
    user_id: str | None = Field(default=None, min_length=1, max_length=128)
    context: SearchContext = Field(default_factory=SearchContext)
    filters: SearchFilters = Field(default_factory=SearchFilters)
    size: int = Field(default=10, ge=1, le=1000, description="Results to return (1..1000).")
    explain: bool = Field(default=False, description="Include the plan and each strategy's list.")
    plan: dict[str, Annotated[int, Field(ge=0, le=1000)]] | None = Field(
        default=None,
        description=(
            "Pin the retrieval plan (strategy → depth, 0 = not called) for debugging and A/B "
            "tests; unknown strategies and plans over the candidate budget are rejected."
        ),
        examples=[{"bm25": 50, "dense": 25}],
    )
    ranker: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description=(
            "Pin what orders the union for this search: `rrf`, or a registered model version "
            "(A/B tests, offline comparison); unknown versions are rejected."
        ),
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("query must contain at least one non-whitespace character")
        if "\x00" in stripped:
            raise ValueError("query must not contain NUL characters")
        return stripped


class CandidateOut(BaseModel):
    entity_id: str
    rank: int
    score: float


class SearchHit(BaseModel):
    rank: int
    score: float = Field(description="Fusion (or ranker) score; comparable within one response.")
    strategies: list[str] = Field(description="Strategies whose candidates included this entity.")
    entity: Entity


class BanditExplanation(BaseModel):
    """Why the bandit chose this plan."""

    propensity: float = Field(description="Probability of the chosen plan under the policy.")
    greedy_plan: dict[str, int] = Field(description="The plan the policy rates best.")
    explored: bool
    pmf: list[tuple[str, float]] = Field(description="Most probable plans and their probability.")
    context: dict[str, dict[str, float]] = Field(description="Context features by namespace.")
    strategy_stats: dict[str, dict[str, float]] = Field(
        description="Each strategy's hit rate for this query class and expected latency (ms)."
    )
    query_class: str
    design: str
    cold_start: bool
    policy_version: int


class Explanation(BaseModel):
    plan: dict[str, int]
    plan_source: str = Field(description="`bandit`, `pinned` (from the request) or `default`.")
    bandit: BanditExplanation | None = None
    ranker: str = Field(description="Model version that ordered the union, or `rrf`.")
    ranker_fallback: str | None = Field(
        default=None, description="Why RRF ordered the union although a model was active."
    )
    ranker_scores: dict[str, float] | None = Field(
        default=None, description="Each result's ranker score, by entity id."
    )
    swap: Swap | None = Field(
        default=None, description="The randomized swap applied to the shown order, if any."
    )
    ranker_contributions: dict[str, list[tuple[str, float]]] | None = Field(
        default=None,
        description="Each result's features that moved its ranker score most (TreeSHAP).",
    )
    candidates: dict[str, list[CandidateOut]]
    failed_strategies: dict[str, str]
    stage_ms: dict[str, float]
    understanding: QueryParse | None = Field(
        default=None, description="How the query was understood: types, slots, interpretations."
    )


class SearchResponse(BaseModel):
    search_id: str = Field(description="Signed id; echo it in feedback events.")
    query: str
    took_ms: float
    total_candidates: int = Field(description="Size of the union of all strategies' candidates.")
    results: list[SearchHit]
    explain: Explanation | None = None


class HealthResponse(BaseModel):
    status: str
    detail: dict[str, int | str] = Field(default_factory=dict)
