"""The gazetteer's names: their kinds, their statistics, and what each entity contributes.

An entity contributes one (kind, normalized name) pair per role a query can refer
to it by — its own title when it is an artist, album or show (``primary``), its
credited artists, album, show, genres, moods, tags, language and title words —
each with the name's surface form. A :class:`NameRow` accumulates those
contributions into a name's statistics, and subtracting exactly what an entity
added undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

from catalog.model import Entity, EntityType
from retrievers.normalize import normalize_query, query_tokens

NameKind = Literal["artist", "album", "show", "genre", "mood", "tag", "language", "word"]
NAME_KINDS: Final[tuple[NameKind, ...]] = ("artist", "album", "show", "genre", "mood", "tag")
"""Kinds matched against query n-grams, exactly or fuzzily."""
_K = TypeVar("_K", str, int)


@dataclass(frozen=True, slots=True)
class NameStats:
    """What the catalog says about one name in one role."""

    kind: NameKind
    name: str
    """The normalized name (the lookup key)."""
    surface: str
    """The name as the catalog spells it ("Taylor Swift", "r&b")."""
    count: int
    """Entities carrying the name in this role."""
    primary: int
    """Entities that are the name (artist, album or show entities titled so)."""
    max_popularity: float
    """Highest popularity among the carriers (artist, album and show names; else 0)."""
    type_counts: dict[str, int] = field(default_factory=dict)
    """Carriers per entity type (empty for words)."""


@dataclass(frozen=True, slots=True)
class NameHit:
    """A gazetteer name matching some query text."""

    stats: NameStats
    matched: str
    """The key that matched: the name, or the name without its leading "the"."""
    score: float
    """Similarity 0..100 (100 for an exact match)."""
    alias: bool = False


@dataclass(slots=True)
class NameRow:
    """One name's statistics as kept in memory and stored, changed one entity at a time."""

    id: int
    kind: NameKind
    name: str
    surface: str
    count: int = 0
    primary: int = 0
    hist: dict[int, int] | None = None
    types: dict[str, int] | None = None

    def stats(self) -> NameStats:
        top = max(self.hist) / 10.0 if self.hist else 0.0
        return NameStats(
            self.kind,
            self.name,
            self.surface,
            self.count,
            self.primary,
            top,
            dict(self.types or {}),
        )

    def change(self, sign: int, primary: bool, entity_type: str, pop: int) -> None:
        self.count += sign
        self.primary += sign if primary else 0
        if self.types is not None:
            _bump(self.types, entity_type, sign)
        if self.hist is not None:
            _bump(self.hist, pop, sign)


def _bump(counts: dict[_K, int], key: _K, sign: int) -> None:
    value = counts.get(key, 0) + sign
    if value > 0:
        counts[key] = value
    else:
        counts.pop(key, None)


def contributions(entity: Entity) -> dict[tuple[NameKind, str], tuple[str, bool]]:
    """The (kind, key) pairs an entity adds, with the surface form and whether it is primary."""
    out: dict[tuple[NameKind, str], tuple[str, bool]] = {}

    def add(kind: NameKind, raw: str, primary: bool = False) -> None:
        key = normalize_query(raw)
        if key:
            _, was_primary = out.get((kind, key), (raw, False))
            out[(kind, key)] = (raw, primary or was_primary)

    own_kind: dict[EntityType, NameKind] = {
        EntityType.ARTIST: "artist",
        EntityType.ALBUM: "album",
        EntityType.SHOW: "show",
    }
    if entity.type in own_kind:
        add(own_kind[entity.type], entity.title, primary=True)
    for artist in entity.artists:
        add("artist", artist)
    for kind, values in (
        ("album", [entity.album] if entity.album else []),
        ("show", [entity.show] if entity.show else []),
        ("genre", entity.genres),
        ("mood", entity.moods),
        ("tag", entity.tags),
        ("language", [entity.language] if entity.language else []),
        ("word", query_tokens(entity.title)),
    ):
        for value in values:
            add(kind, value)  # type: ignore[arg-type]
    return out


def alias_of(name: str) -> str | None:
    return name[4:] if name.startswith("the ") and len(name) > 4 else None
