"""Queries a listener might type for catalog entities, each knowing the entity it was for.

The Q2E memory starts from *predicted* query→entity pairs (:mod:`retrievers.query_generation`:
title, artist + title, artist, show, genre and mood phrases, misspellings). Turned around,
each pair is a known-item search whose answer is known (Azzopardi, de Rijke & Balog 2007,
"Building Simulated Queries for Known-Item Topics", SIGIR): :func:`synthetic_queries`
samples entities, stratified by type and weighted by popularity, and picks one generated
query each. The cold-start ranker (:mod:`ranker.coldstart`) trains on them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from catalog.model import Entity, EntityType
from catalog.store import EntityStore
from retrievers.normalize import normalize_query
from retrievers.query_generation import GenerationConfig, QueryKind, predicted_queries

if TYPE_CHECKING:
    pass


TAIL_SHARE: Final = 0.2
"""Share of each type's samples drawn uniformly, so the tail is trained on too."""
POPULARITY_ZIPF: Final = 1.0
"""The rest is drawn by a Zipf law over popularity rank within the type (the entity ranked
r is wanted in proportion to r^-1), as query frequencies follow Zipf's law (Silverstein et
al. 1999, "Analysis of a very large web search engine query log") and as the simulator's
listeners want entities (:mod:`simulator.sampling`)."""
Lookup = Callable[[Sequence[str]], dict[str, Entity]]
"""Entities by id (``EntityStore.get_many``)."""


@dataclass(frozen=True, slots=True)
class SyntheticQuery:
    """A query a listener might type, and the entity it was generated for."""

    text: str
    entity_id: str
    kind: QueryKind
    predicted: float
    """The generator's predicted P(entity | query) for this pair."""


@dataclass(frozen=True, slots=True)
class _Sampleable:
    entity_id: str
    type: EntityType
    popularity: float


def _catalog(entities: EntityStore | Iterable[Entity]) -> tuple[list[_Sampleable], Lookup]:
    """What sampling needs of every entity (in id order), and a reader of whole entities.

    A store is scanned once for ids, types and popularity only, so a large catalog is not
    held in memory; the sampled entities are read back by id.
    """
    if isinstance(entities, EntityStore):
        rows = [_Sampleable(e.id, e.type, e.popularity) for e in entities.iter_all()]
        return rows, entities.get_many
    by_id = {e.id: e for e in entities}

    def lookup(ids: Sequence[str]) -> dict[str, Entity]:
        return {i: by_id[i] for i in ids if i in by_id}

    rows = [_Sampleable(e.id, e.type, e.popularity) for e in by_id.values()]
    return sorted(rows, key=lambda r: r.entity_id), lookup


def _allocate(counts: Sequence[int], n: int) -> list[int]:
    """``n`` samples split over strata in proportion to their sizes, summing to ``n``
    exactly (largest remainders get the leftover samples; Hamilton's method)."""
    total = sum(counts)
    quotas = [n * c / total for c in counts]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(counts)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: n - sum(shares)]:
        shares[i] += 1
    return shares


def _sample_entities(
    rows: Sequence[_Sampleable],
    n: int,
    rng: np.random.Generator,
    tail_share: float,
    popularity_zipf: float,
) -> list[str]:
    """``n`` entity ids (with replacement), stratified by type, in random order."""
    strata: dict[EntityType, list[_Sampleable]] = {}
    for row in rows:
        strata.setdefault(row.type, []).append(row)
    types = [t for t in EntityType if t in strata]
    sizes = _allocate([len(strata[t]) for t in types], n)
    picked: list[str] = []
    for entity_type, size in zip(types, sizes, strict=True):
        members = strata[entity_type]
        negated = -np.array([m.popularity for m in members], dtype=np.float64)
        rank = 1 + np.searchsorted(np.sort(negated), negated, side="left")  # ties share one
        head = rank.astype(np.float64) ** -popularity_zipf
        weights = (1 - tail_share) * head / head.sum() + tail_share / len(members)
        chosen = rng.choice(len(members), size=size, replace=True, p=weights)
        picked.extend(members[i].entity_id for i in chosen.tolist())
    order = rng.permutation(len(picked))
    return [picked[i] for i in order.tolist()]


def synthetic_queries(
    entities: EntityStore | Iterable[Entity],
    n: int,
    seed: int,
    *,
    generation: GenerationConfig | None = None,
    exclude: Collection[str] = (),
    tail_share: float = TAIL_SHARE,
    popularity_zipf: float = POPULARITY_ZIPF,
) -> list[SyntheticQuery]:
    """``n`` synthetic queries: one random generated query of each of ``n`` sampled entities.

    Entities are drawn with replacement, per type in proportion to the type's share of the
    catalog, and within a type with probability ``(1 - tail_share) * r^-popularity_zipf / Z
    + tail_share / type size`` for the entity of popularity rank ``r`` (ties share a rank).
    Each sampled entity's queries come from the memory's generator (pass the service's
    ``settings.memory.generation``); one of them is picked uniformly.
    Queries whose normalized text is in ``exclude`` (e.g. an evaluation set held out from
    training) are never picked; an entity left without a query is skipped, so fewer than
    ``n`` queries may come back. The result is in sampling order and depends only on the
    catalog, ``n``, ``seed`` and the configuration.
    """
    if n < 1:
        raise ValueError(f"n must be a positive integer, but {n} is given")
    if not 0.0 <= tail_share <= 1.0:
        raise ValueError(f"tail_share must be in [0, 1], but {tail_share} is given")
    if popularity_zipf < 0.0:
        raise ValueError(f"popularity_zipf must be >= 0, but {popularity_zipf} is given")
    rows, lookup = _catalog(entities)
    if not rows:
        raise ValueError("the catalog has no entity to generate queries for")
    rng = np.random.default_rng(seed)
    sampled = _sample_entities(rows, n, rng, tail_share, popularity_zipf)
    found = lookup(sorted(set(sampled)))
    held_out = {normalize_query(text) for text in exclude}
    config = generation or GenerationConfig()
    options = {
        entity_id: [
            SyntheticQuery(q.text, entity_id, q.kind, q.score)
            for q in predicted_queries(entity, config)
            if q.normalized not in held_out
        ]
        for entity_id, entity in sorted(found.items())
    }
    out: list[SyntheticQuery] = []
    for entity_id in sampled:
        choices = options.get(entity_id)
        if choices:
            out.append(choices[int(rng.integers(len(choices)))])
    return out
