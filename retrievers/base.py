"""The retrieval interface every candidate generator implements.

A retriever answers one question — "which entities might this query want,
and how sure are you?" — with a short ranked list of :class:`Candidate`.
The pipeline runs several retrievers side by side under a retrieval plan and
keeps the provenance of each candidate, so retrievers never see each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog.model import Entity, EntityType
from retrievers.query_parse import QueryParse


class SearchFilters(BaseModel):
    """Hard constraints on results; every retriever must honour all of them.

    Unknown filter names are rejected (``extra="forbid"``) so that a typo in a
    client never silently widens a search.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    types: list[EntityType] | None = Field(default=None, description="Entity types to keep.")
    genres: list[str] | None = Field(
        default=None, description="Keep entities tagged with any of these genres (lowercase)."
    )
    year_min: int | None = Field(default=None, ge=1000, le=2100)
    year_max: int | None = Field(default=None, ge=1000, le=2100)
    languages: list[str] | None = Field(default=None, description="ISO 639 codes.")
    explicit: bool | None = Field(
        default=None, description="false: clean entities only; true: explicit only."
    )

    @model_validator(mode="after")
    def _check_year_range(self) -> SearchFilters:
        if (
            self.year_min is not None
            and self.year_max is not None
            and self.year_min > self.year_max
        ):
            raise ValueError(
                f"year_min must not exceed year_max, but {self.year_min} > {self.year_max}"
            )
        return self

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in self.model_dump().values())

    def matches(self, entity: Entity) -> bool:
        """Whether an entity satisfies every filter (used by retrievers without native filters)."""
        if self.types is not None and entity.type not in self.types:
            return False
        if self.genres is not None and not {g.lower() for g in self.genres} & set(entity.genres):
            return False
        year = entity.release_year
        if self.year_min is not None and (year is None or year < self.year_min):
            return False
        if self.year_max is not None and (year is None or year > self.year_max):
            return False
        if self.languages is not None and entity.language not in self.languages:
            return False
        return self.explicit is None or entity.explicit == self.explicit


@dataclass(frozen=True, slots=True)
class RetrievalQuery:
    """What a retriever is asked: the raw query text, the request's hard filters, and
    the query's understanding when the pipeline has parsed it already."""

    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    understanding: QueryParse | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One retrieved entity, as one strategy saw it."""

    entity_id: str
    score: float
    rank: int
    """1-based rank within the strategy's own list."""
    strategy: str


@runtime_checkable
class Retriever(Protocol):
    """A candidate generator: ``search(query, k)`` returns at most ``k`` ranked candidates."""

    name: str

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        """Return up to ``k`` candidates, best first, ranks 1..n, honouring ``query.filters``."""
        ...


@dataclass(frozen=True, slots=True)
class QuerySupport:
    """What a strategy has to work with for one query, read from its index statistics
    without searching: what the retrieval bandit knows of a strategy before calling it."""

    matches: int
    """An estimate of how many entities the strategy can return for the query."""
    coverage: float
    """The share of the query the strategy can use, in [0, 1] (0: it will return nothing)."""


@runtime_checkable
class SupportEstimator(Protocol):
    """A strategy that can say cheaply, before searching, how much it has for a query."""

    name: str

    def support(self, query: RetrievalQuery) -> QuerySupport:
        """Index statistics only: a few term or key lookups, never a search."""
        ...


@runtime_checkable
class UpdatableIndex(Protocol):
    """An index that follows catalog changes without a full rebuild."""

    def upsert(self, entities: Iterable[Entity]) -> int:
        """Insert or replace entities by id; returns how many were written."""
        ...

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Remove entities by id; unknown ids are ignored. Returns how many were asked."""
        ...


def rank_candidates(scored: Iterable[tuple[str, float]], strategy: str) -> list[Candidate]:
    """Turn ``(entity_id, score)`` pairs, already best-first, into ranked candidates."""
    return [
        Candidate(entity_id=entity_id, score=score, rank=rank, strategy=strategy)
        for rank, (entity_id, score) in enumerate(scored, start=1)
    ]
