"""What the ranking features of one search are computed from.

:class:`SearchFeaturesInput` gathers, for one search, the query and its understanding, each
strategy's candidates, the plan, the candidates' catalog entities, the memory's pairs, the
request context and the listener's tastes. :class:`EntityStatics` is the query-independent
part of an entity's features (normalized names, token sets, numeric attributes); an
:class:`EntityFeatureCache` keeps them across searches so a search only does the work that
depends on its query. Numeric attributes are kept packed as float64 bytes, so a search
gathers them for all its candidates with one ``bytes.join`` and reads them as a matrix.
"""

from __future__ import annotations

import contextlib
import math
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Final, Protocol

from catalog.model import Entity, EntityType
from retrievers.normalize import normalize_query
from retrievers.query_parse import QueryParse

ENTITY_TYPES: Final = tuple(EntityType)
"""Entity types in the order of their ``entity_type`` codes."""
_TYPE_CODE: Final = {t: float(i) for i, t in enumerate(ENTITY_TYPES)}
_NAN: Final = math.nan


class RankedHit(Protocol):
    """One strategy's candidate: a retriever's ``Candidate`` or a logged one."""

    @property
    def entity_id(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def score(self) -> float: ...


class MemoryPair(Protocol):
    """What the Q2E memory holds of one (query, entity) pair (a ``PairStats``)."""

    @property
    def score(self) -> float: ...
    @property
    def predicted(self) -> float | None: ...
    @property
    def events(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The listener's situation as the request tells it."""

    locale: str | None = None
    """BCP 47-like locale, ``en-US``; its language is compared with the candidates'."""
    device: str | None = None
    hour: int | None = None
    """Local hour of day, 0-23."""

    def __post_init__(self) -> None:
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be in 0..23, but {self.hour} is given")

    @property
    def language(self) -> str | None:
        if not self.locale:
            return None
        return self.locale.replace("_", "-").split("-")[0].lower() or None


@dataclass(frozen=True, slots=True)
class SearchFeaturesInput:
    """Everything one search knows that the ranking features read."""

    query: str
    parse: QueryParse | None
    runs: Mapping[str, Sequence[RankedHit]]
    """Strategy → its returned candidates (strategies outside the spec are ignored)."""
    plan: Mapping[str, int]
    """Strategy → depth drawn (missing: 0, not called)."""
    entities: Mapping[str, Entity]
    """The candidates' catalog entities by id (a missing id yields NaN entity features)."""
    reference_year: int
    """The year ages are measured from: the year the search is served."""
    memory: Mapping[str, MemoryPair] = field(default_factory=dict)
    """Entity id → the memory's pair for this query and entity, when it has one."""
    context: RequestContext = field(default_factory=RequestContext)
    affinity: Mapping[str, float] = field(default_factory=dict)
    """The listener's tastes: genre or topic → weight; empty when unknown."""
    query_count: int = 0
    """How many times this normalized query was searched before."""

    def __post_init__(self) -> None:
        if self.query_count < 0:
            raise ValueError(f"query_count must be >= 0, but {self.query_count} is given")
        negative = {name: depth for name, depth in self.plan.items() if depth < 0}
        if negative:
            raise ValueError(f"plan depths must be >= 0, but got {negative}")


def code_of(text: str) -> float:
    """A short code (language, ...) as an exact float, so codes compare as numpy columns."""
    return float(int.from_bytes(text.encode()[:6], "big"))


class Static:
    """Columns of :attr:`EntityStatics.packed`, the entity's numeric attributes."""

    TYPE, LOG_POPULARITY, YEAR, MINUTES, EXPLICIT, HAS_ARTIST, HAS_COLLECTION, LANGUAGE = range(8)
    WIDTH: Final = 8


@dataclass(frozen=True, slots=True)
class EntityStatics:
    """What the features need of an entity, independent of the query."""

    title: str
    artist: str
    """Credited artists (an artist's own name), normalized, space-separated."""
    collection: str
    """Album (tracks) or show (episodes), normalized; empty otherwise."""
    sorted_text: str
    """The tokens of artists, title and album or show, sorted (for token_sort_ratio)."""
    tokens: frozenset[str]
    exact_keys: frozenset[str]
    """Names the whole query may equal: title, artists, artist + title, title + artist."""
    artists: frozenset[str]
    collections: frozenset[str]
    """Album or show names the entity belongs to, or is."""
    genres: frozenset[str]
    moods_tags: frozenset[str]
    facets: frozenset[str]
    """Genres and tags as the catalog spells them (listener tastes use these)."""
    packed: bytes
    """float64 numeric attributes, columns as in :class:`Static` (NaN: unknown)."""
    entity: Entity | None
    """The entity these were derived from (a cache reuses them for this entity only)."""

    @classmethod
    def of(cls, entity: Entity) -> EntityStatics:
        title = normalize_query(entity.title)
        artists = [n for n in (normalize_query(a) for a in entity.artists) if n]
        if entity.type is EntityType.ARTIST:
            artists = [title, *artists]
        artists = list(dict.fromkeys(artists))
        collection = normalize_query(entity.album or entity.show or "")
        collections = {collection} if collection else set()
        if entity.type in (EntityType.ALBUM, EntityType.SHOW):
            collections.add(title)
        artist = " ".join(artists)
        tokens = " ".join(part for part in (artist, title, collection) if part).split()
        keys = {title, *artists}
        keys.update(f"{a} {title}" for a in artists)
        keys.update(f"{title} {a}" for a in artists)
        year = entity.release_year
        numeric = (
            _TYPE_CODE[entity.type],
            math.log1p(entity.popularity) if entity.popularity > 0 else _NAN,
            _NAN if year is None else float(year),
            _NAN if entity.duration_ms is None else entity.duration_ms / 60_000.0,
            1.0 if entity.explicit else 0.0,
            1.0 if artist else 0.0,
            1.0 if collection else 0.0,
            _NAN if entity.language is None else code_of(entity.language),
        )
        return cls(
            title=title,
            artist=artist,
            collection=collection,
            sorted_text=" ".join(sorted(tokens)),
            tokens=frozenset(tokens),
            exact_keys=frozenset(keys),
            artists=frozenset(artists),
            collections=frozenset(collections),
            genres=frozenset(normalize_query(g) for g in entity.genres),
            moods_tags=frozenset(normalize_query(m) for m in (*entity.moods, *entity.tags)),
            facets=frozenset((*entity.genres, *entity.tags)),
            packed=struct.pack(f"{Static.WIDTH}d", *numeric),
            entity=entity,
        )


@lru_cache(maxsize=65_536)
def _shared(names: frozenset[str]) -> frozenset[str]:
    """The first-seen set equal to ``names``: one object for the entities that share it."""
    return names


def _sharing(statics: EntityStatics) -> EntityStatics:
    """``statics`` with the names and name sets that entities share (an artist's, an album's,
    a genre combination, the vocabulary's tokens) as one object for all of them.

    A warm search spends much of its time reading its candidates' statics from memory, not
    computing: shared objects make a cache entry about a third smaller, and a search's
    candidates (often many of one artist) read fewer distinct cache lines.
    """
    return replace(
        statics,
        artist=sys.intern(statics.artist),
        tokens=frozenset(map(sys.intern, statics.tokens)),
        artists=_shared(statics.artists),
        collections=_shared(statics.collections),
        genres=_shared(statics.genres),
        moods_tags=_shared(statics.moods_tags),
        facets=_shared(statics.facets),
    )


MISSING_ENTITY: Final = EntityStatics(
    "", "", "", "", frozenset(), frozenset(), frozenset(), frozenset(), frozenset(),
    frozenset(), frozenset(), struct.pack(f"{Static.WIDTH}d", *[_NAN] * Static.WIDTH), None,
)  # fmt: skip
"""The statics of an id the catalog does not hold: every attribute unknown."""


class EntityFeatureCache:
    """Per-entity static features, kept across searches (bounded, oldest dropped first).

    An entry is reused only for the same or an equal entity, so a catalog update is picked
    up as soon as the caller passes the new version. An entry takes about 2 KB besides the
    entity it keeps for that comparison. Safe to share between threads.
    """

    def __init__(self, max_entities: int = 50_000) -> None:
        if max_entities < 1:
            raise ValueError(f"max_entities must be >= 1, but {max_entities} is given")
        self.max_entities = max_entities
        self._entries: dict[str, EntityStatics] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, ids: Sequence[str], entities: Mapping[str, Entity]) -> list[EntityStatics]:
        """The statics of each id, in order (:data:`MISSING_ENTITY` when not in ``entities``)."""
        entries = self._entries
        return [
            hit
            if (e := entities.get(i)) is not None and (hit := entries.get(i)) and hit.entity is e
            else self.get(e)
            for i in ids
        ]

    def get(self, entity: Entity | None) -> EntityStatics:
        if entity is None:
            return MISSING_ENTITY
        entry = self._entries.get(entity.id)
        # field-by-field equality: Entity has neither extra nor private attributes
        if (
            entry is not None
            and entry.entity is not None
            and (entry.entity is entity or entry.entity.__dict__ == entity.__dict__)
        ):
            return entry
        statics = _sharing(EntityStatics.of(entity))
        if entry is None and len(self._entries) >= self.max_entities:
            # another thread may evict or insert concurrently: losing that race is harmless
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del self._entries[next(iter(self._entries))]
        self._entries[entity.id] = statics
        return statics


def uncached_statics(ids: Sequence[str], entities: Mapping[str, Entity]) -> list[EntityStatics]:
    """The statics of each id, computed afresh (:data:`MISSING_ENTITY` when unknown)."""
    return [MISSING_ENTITY if (e := entities.get(i)) is None else EntityStatics.of(e) for i in ids]
