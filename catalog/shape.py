"""The shape of a synthetic catalog, decided before any entity is built.

How many entities of each type a size yields, their ids, the latest release
year, a seeded popularity ranking that needs no table, popularity scores that
fall off with rank, and how a total is shared out over units streamed one at a
time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from catalog.model import EntityType

LAST_YEAR = 2025


@dataclass(frozen=True, slots=True)
class Counts:
    """How many entities of each type a catalog of a given size holds."""

    artists: int
    albums: int
    tracks: int
    playlists: int
    shows: int
    episodes: int


_SMALL_COUNTS = {
    1: Counts(1, 0, 0, 0, 0, 0),
    2: Counts(1, 0, 0, 0, 1, 0),
    3: Counts(1, 1, 1, 0, 0, 0),
    4: Counts(1, 1, 1, 0, 1, 0),
    5: Counts(1, 1, 1, 0, 1, 1),
}


def type_counts(size: int) -> Counts:
    """~70% tracks, 10% albums, 5% artists, 3% playlists, 2% shows, 10% episodes.

    Every type gets at least one entity from size 6 on, every album at least one
    track and every show at least one episode, so references always resolve.
    """
    if size in _SMALL_COUNTS:
        return _SMALL_COUNTS[size]
    artists = max(1, round(size * 0.05))
    albums = max(artists, round(size * 0.10))
    playlists = max(1, round(size * 0.03))
    shows = max(1, round(size * 0.02))
    episodes = max(shows, round(size * 0.10))
    tracks = size - artists - albums - playlists - shows - episodes
    return Counts(artists, albums, tracks, playlists, shows, episodes)


def entity_id(kind: EntityType, number: int) -> str:
    """Ids like ``syn:track:000123``: readable, sortable per type, valid EntityIds."""
    return f"syn:{kind.value}:{number:06d}"


@dataclass(frozen=True, slots=True)
class Ranking:
    """A seeded bijection index ↔ popularity rank (1 = most popular).

    Ids are therefore not sorted by popularity, yet any artist's rank (and any
    rank's artist) is computable without a table.
    """

    n: int
    step: int
    offset: int
    inverse: int

    @classmethod
    def create(cls, n: int, rng: random.Random) -> Ranking:
        step = 1
        while n > 2 and (step == 1 or math.gcd(step, n) != 1):
            step = rng.randrange(2, n)
        return cls(n, step, rng.randrange(n), pow(step, -1, n) if n > 1 else 0)

    def rank(self, index: int) -> int:
        return (self.step * index + self.offset) % self.n + 1

    def index(self, rank: int) -> int:
        return (rank - 1 - self.offset) * self.inverse % self.n


class Allocator:
    """Split ``total`` items over ``units`` in proportion to weights seen one at a time.

    Sections stream unit by unit, so each share is decided on the fly (cumulative
    rounding), yet the shares sum exactly to ``total``. Every unit gets one item
    first when there are enough to go around.
    """

    def __init__(self, total: int, units: int, weight_sum: float) -> None:
        self._base = 1 if total >= units else 0
        self._extra = total - self._base * units
        self._weight_sum = weight_sum or 1.0
        self._units_left = units
        self._left = total
        self._cumulative = 0.0
        self._given = 0

    def take(self, weight: float) -> int:
        self._units_left -= 1
        if self._units_left <= 0:
            share = self._left
        else:
            self._cumulative += weight
            target = round(self._cumulative / self._weight_sum * self._extra)
            share = self._base + target - self._given
            self._given = target
        self._left -= share
        return share


def rank_popularity(rank: int, rng: random.Random) -> float:
    """Zipf-like 0-100 score: 100 at rank 1, minus 20 per tenfold rank, jittered.

    Never 0, which the model reserves for "unknown".
    """
    score = 100.0 - 20.0 * math.log10(rank) + rng.gauss(0.0, 2.5)
    return round(min(100.0, max(1.0, score)), 1)


def scaled_popularity(popularity: float, low: float, high: float, rng: random.Random) -> float:
    """A share of a parent's popularity: tracks inherit part of their artist's."""
    return round(min(100.0, max(0.5, popularity * rng.uniform(low, high))), 1)
