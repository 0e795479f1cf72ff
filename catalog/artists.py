"""Synthetic artists and the per-catalog state every entity builder shares.

An artist's profile (locale, language, genre, career, rank, popularity) comes
from its own seeded stream, so it is recomputable from its index; the most
popular ones are kept as featured guests and playlist headliners.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

from catalog import vocabulary as v
from catalog.model import EntityType
from catalog.shape import LAST_YEAR, Counts, Ranking, entity_id, rank_popularity

NOTABLE_ARTISTS = 300
"""Top-ranked artists kept in memory as featured guests and playlist headliners."""


@dataclass(frozen=True, slots=True)
class Artist:
    """Everything about an artist that its albums, tracks and guests need."""

    index: int
    id: str
    name: str
    kind: str
    locale: v.Locale
    language: str
    genre: str
    sub: str
    debut: int
    last: int
    rank: int
    popularity: float
    listeners: int
    home: str


_LOCALE_CUMULATIVE = list(accumulate(loc.weight for loc in v.LOCALES))


def _make_artist(seed: int, index: int, ranking: Ranking) -> Artist:
    """An artist's profile from its own seeded stream: recomputable from its index."""
    rng = random.Random(f"{seed}:artist:{index}")
    loc = rng.choices(v.LOCALES, cum_weights=_LOCALE_CUMULATIVE)[0]
    genres = loc.genres or v.DEFAULT_GENRES
    genre = rng.choices([g for g, _ in genres], weights=[w for _, w in genres])[0]
    sub, first, last = rng.choice(v.GENRES[genre].subs)
    debut = rng.randint(first, min(last, LAST_YEAR - 1))
    kind = rng.choice(v.GENRES[genre].kinds)
    rank = ranking.rank(index)
    return Artist(
        index=index,
        id=entity_id(EntityType.ARTIST, index),
        name=v.artist_name(rng, loc, kind),
        kind=kind,
        locale=loc,
        language="en" if rng.random() < loc.english_songs else loc.code,
        genre=genre,
        sub=sub,
        debut=debut,
        last=min(LAST_YEAR, debut + 1 + int(rng.expovariate(1 / 12))),
        rank=rank,
        popularity=rank_popularity(rank, rng),
        listeners=int(80_000_000 / rank * rng.lognormvariate(0.0, 0.25)) + rng.randint(10, 900),
        home=rng.choice(loc.cities),
    )


class CatalogContext:
    """Per-catalog state: counts, the artist ranking, notable artists, id counters."""

    def __init__(self, counts: Counts, seed: int) -> None:
        self.counts = counts
        self.seed = seed
        self.ranking = Ranking.create(max(counts.artists, 1), random.Random(f"{seed}:ranks"))
        self.notable: dict[str, list[Artist]] = {}
        for rank in range(1, min(counts.artists, NOTABLE_ARTISTS) + 1):
            artist = self.artist(self.ranking.index(rank))
            self.notable.setdefault(artist.genre, []).append(artist)
        self._next = dict.fromkeys(EntityType, 0)

    def artist(self, index: int) -> Artist:
        return _make_artist(self.seed, index, self.ranking)

    def new_id(self, kind: EntityType) -> str:
        number = self._next[kind]
        self._next[kind] = number + 1
        return entity_id(kind, number)
