"""The Q2E memory: what listeners taught us each query means, as a retriever.

A table of query→entity scores keyed by the normalized query
(:func:`retrievers.normalize.normalize_query`, shared with query
understanding). It starts cold from predicted queries
(:mod:`retrievers.query_generation`) and learns from engagement: each pair's
score is a Beta-Binomial posterior mean whose prior mean is the predicted
score, so evidence replaces predictions as it accumulates, and a query that
led to engagement through another strategy becomes a new pair
(:mod:`retrievers.memory_base`).

Lookup is the exact key, then — when the table does not hold it (or, with
``fuzzy_below``, holds too few entities for it) — near-exact keys found with
rapidfuzz by token correction, recombination and capped postings
(:mod:`retrievers.memory_fuzzy`), their scores discounted by similarity. The
work per query is bounded by configuration, not by the size of the table.

Storage is a :class:`retrievers.memory_base.MemoryStore`: SQLite in
``<data_dir>/memory/`` by default, Redis when a ``redis://`` URL is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final

from catalog.model import Entity
from retrievers.base import (
    Candidate,
    QuerySupport,
    RetrievalQuery,
    SearchFilters,
    rank_candidates,
)
from retrievers.memory_base import (
    Engagement,
    EntityPredictions,
    Evidence,
    MemoryConfig,
    MemoryStore,
    PairStats,
    UpdateResult,
    decayed,
)
from retrievers.memory_fuzzy import NearKeyFinder
from retrievers.memory_redis import DEFAULT_NAMESPACE, RedisMemoryStore
from retrievers.memory_sqlite import FILENAME, SqliteMemoryStore
from retrievers.normalize import normalize_query
from retrievers.query_generation import predicted_queries

EntityLookup = Callable[[Sequence[str]], dict[str, Entity]]
"""Entities by id (the service passes ``EntityStore.get_many``)."""

MEMORY_DIR: Final = "memory"
REDIS_SCHEMES: Final = ("redis", "rediss", "unix")
UPSERT_BATCH: Final = 10_000
SUPPORT_LIMIT: Final = 100
"""Pairs counted for :meth:`Q2EMemory.support`: the deepest default plan depth."""


def memory_path(data_dir: Path) -> Path:
    """Where the embedded memory lives inside a data dir."""
    return Path(data_dir) / MEMORY_DIR


def memory_exists(data_dir: Path) -> bool:
    """Whether a data dir holds an embedded memory (built by indexing the catalog)."""
    return (memory_path(data_dir) / FILENAME).exists()


def open_store(
    data_dir: Path,
    config: MemoryConfig | None = None,
    *,
    redis_url: str | None = None,
    namespace: str = DEFAULT_NAMESPACE,
) -> MemoryStore:
    """The Redis store when ``redis_url`` is set, else SQLite in ``<data_dir>/memory/``."""
    smoothing = (config or MemoryConfig()).smoothing
    if redis_url is None:
        return SqliteMemoryStore(memory_path(data_dir), smoothing)
    scheme = redis_url.partition("://")[0]
    if scheme not in REDIS_SCHEMES:
        raise ValueError(
            f"unsupported memory store URL scheme {scheme!r}; valid schemes: {list(REDIS_SCHEMES)}"
        )
    return RedisMemoryStore(redis_url, smoothing, namespace=namespace)


class Q2EMemory:
    """Query→entity memory: a :class:`Retriever` and an :class:`UpdatableIndex`."""

    name = "memory"

    def __init__(
        self,
        store: MemoryStore,
        config: MemoryConfig | None = None,
        *,
        lookup: EntityLookup | None = None,
    ) -> None:
        self.config = config or MemoryConfig()
        if store.smoothing != self.config.smoothing:
            raise ValueError(
                "the store materializes scores with different smoothing than the memory config: "
                f"{store.smoothing!r} != {self.config.smoothing!r}"
            )
        self.store = store
        self.lookup = lookup
        self._near = NearKeyFinder(store, self.config)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        config: MemoryConfig | None = None,
        *,
        redis_url: str | None = None,
        lookup: EntityLookup | None = None,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Q2EMemory:
        """Open (creating if needed) the memory of a data dir, or the shared one in Redis."""
        cfg = config or MemoryConfig()
        store = open_store(data_dir, cfg, redis_url=redis_url, namespace=namespace)
        return cls(store, cfg, lookup=lookup)

    def close(self) -> None:
        self.store.close()

    # -- catalog changes -------------------------------------------------------------

    def upsert(self, entities: Iterable[Entity]) -> int:
        """Write each entity's predicted pairs, replacing its earlier predictions.

        Pairs with learned evidence survive a re-upsert: a pair still predicted
        keeps its evidence under the new prior, one no longer predicted keeps
        its evidence under the unknown-pair prior.
        """
        count = 0

        def counted() -> Iterator[Entity]:
            nonlocal count
            for entity in entities:
                count += 1
                yield entity

        self.store.load(self._prediction_batches(counted()))
        return count

    def _prediction_batches(self, entities: Iterable[Entity]) -> Iterator[list[EntityPredictions]]:
        generation = self.config.generation
        batch: list[EntityPredictions] = []
        for entity in entities:
            predicted = {q.normalized: q.score for q in predicted_queries(entity, generation)}
            batch.append(EntityPredictions(entity.id, predicted))
            if len(batch) >= UPSERT_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Remove every pair of these entities, predicted or learned."""
        self.store.delete_entities(entity_ids)
        return len(entity_ids)

    def clear_predicted(self) -> None:
        """Forget every predicted pair; what engagement taught stays (under the unknown-pair
        prior). A memory cleared before any feedback is empty: everything it will know comes
        from listeners (the ``memory-cold`` ablation of ``ltrr simulate``)."""
        self.store.clear_predicted()

    # -- learning --------------------------------------------------------------------

    def update(
        self,
        query: str,
        entity_id: str,
        engagement: Engagement,
        *,
        event_id: str | None = None,
    ) -> UpdateResult:
        """Apply one engagement with ``entity_id`` after ``query``; once per ``event_id``.

        Positive engagement with a pair the memory does not hold creates it;
        negative evidence for a missing pair changes nothing (``NO_PAIR``).
        """
        key = normalize_query(query)
        if not key:
            raise ValueError(f"query {query!r} has no searchable characters")
        if not entity_id:
            raise ValueError("entity_id must not be empty")
        positive, negative = self.config.weights.evidence(engagement)
        evidence = Evidence(key, entity_id, positive, negative, engagement.at, event_id)
        return self.store.apply(evidence)

    def forget_events(self, before: float) -> int:
        """Forget event ids applied before event time ``before`` (bounds the dedupe table)."""
        return self.store.forget_events(before)

    # -- features --------------------------------------------------------------------

    def lookup_pair(
        self, query: str, entity_id: str, *, now: float | None = None
    ) -> PairStats | None:
        """The pair for exactly this (normalized) query, decayed to ``now`` when given."""
        return self.scores_for(query, [entity_id], now=now).get(entity_id)

    def scores_for(
        self, query: str, entity_ids: Sequence[str], *, now: float | None = None
    ) -> dict[str, PairStats]:
        """Pairs of this query among ``entity_ids`` (missing pairs are absent)."""
        key = normalize_query(query)
        if not key or not entity_ids:
            return {}
        found = self.store.pair_stats(key, entity_ids)
        if now is None:
            return found
        smoothing = self.config.smoothing
        return {eid: decayed(stats, now, smoothing) for eid, stats in found.items()}

    # -- retrieval -------------------------------------------------------------------

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        """Entities of the exact key, then of near keys (discounted), honouring filters."""
        key = normalize_query(query.text)
        if not key or k <= 0:
            return []
        cfg = self.config
        filters = query.filters
        if not filters.is_empty and self.lookup is None:
            raise RuntimeError("the Q2E memory needs an entity lookup to honour search filters")
        depth = k if filters.is_empty else k * cfg.filter_overfetch
        depth = min(depth, cfg.max_pairs_per_key)
        scored: dict[str, float] = {}
        allowed: dict[str, bool] = {}
        _merge(scored, self.store.top_entities([key], depth)[key], 1.0)
        if cfg.fuzzy and len(self._allowed(scored, filters, allowed)) < min(k, cfg.fuzzy_below):
            near = self._near.near_keys(key)
            pairs = self.store.top_entities([near_key for near_key, _ in near], depth)
            for near_key, similarity in near:
                _merge(scored, pairs[near_key], cfg.fuzzy_discount(similarity))
        kept = self._allowed(scored, filters, allowed)
        ordered = sorted(kept, key=lambda eid: (-scored[eid], eid))[:k]
        return rank_candidates(((eid, scored[eid]) for eid in ordered), self.name)

    def exact_pairs(self, text: str, limit: int = SUPPORT_LIMIT) -> list[tuple[str, float]]:
        """``(entity_id, score)`` stored for this exact query, best first, up to ``limit``;
        near keys are not read (that is a fuzzy search)."""
        key = normalize_query(text)
        if not key:
            return []
        return self.store.top_entities([key], min(limit, self.config.max_pairs_per_key))[key]

    def support(self, query: RetrievalQuery) -> QuerySupport:
        """How many entities listeners (or predictions) paired with this exact query, counted
        up to :data:`SUPPORT_LIMIT`, so a typo the memory never saw counts as nothing."""
        return self.support_of(self.exact_pairs(query.text))

    @staticmethod
    def support_of(pairs: Sequence[tuple[str, float]]) -> QuerySupport:
        """The support of a query whose :meth:`exact_pairs` are ``pairs``."""
        return QuerySupport(matches=len(pairs), coverage=1.0 if pairs else 0.0)

    def _allowed(
        self, scored: dict[str, float], filters: SearchFilters, cache: dict[str, bool]
    ) -> list[str]:
        """The scored ids that pass the filters (entities are fetched once per search)."""
        if filters.is_empty or self.lookup is None:
            return list(scored)
        unknown = [eid for eid in scored if eid not in cache]
        if unknown:
            entities = self.lookup(unknown)
            for eid in unknown:
                entity = entities.get(eid)
                cache[eid] = entity is not None and filters.matches(entity)
        return [eid for eid in scored if cache[eid]]

    def near_keys(self, query: str) -> list[tuple[str, float]]:
        """Stored keys close to a query (not the query's own key), with their rapidfuzz
        ratio, best first: what the memory reads for a query it does not hold."""
        key = normalize_query(query)
        return self._near.near_keys(key) if key else []


def _merge(scored: dict[str, float], hits: Iterable[tuple[str, float]], factor: float) -> None:
    """Keep each entity's best (discounted) score."""
    for entity_id, score in hits:
        value = score * factor
        if value > scored.get(entity_id, -1.0):
            scored[entity_id] = value
