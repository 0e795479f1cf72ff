"""The listener population: tastes, locale, devices and how often each listener searches.

Profiles are drawn from the catalog itself so tastes are plausible for it: a
listener's language follows the catalog's language mix, their favourite genres
are drawn from the genres sung in that language, and activity is heavy-tailed
(a few listeners search a lot), as in real usage logs.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import EntityType
from simulator.world import CatalogWorld

LOCALES: dict[str, str] = {
    "en": "en-US",
    "es": "es-MX",
    "pt": "pt-BR",
    "fr": "fr-FR",
    "de": "de-DE",
    "it": "it-IT",
    "ko": "ko-KR",
    "ja": "ja-JP",
    "sv": "sv-SE",
}
"""A listener's locale from their language (unknown languages fall back to en-US)."""

DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet", "smart_speaker", "car")


class PopulationConfig(BaseModel):
    """Size and shape of the listener population."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    listeners: int = Field(default=2_000, ge=1, description="Distinct simulated listeners.")
    favourite_genres: int = Field(
        default=3, ge=1, description="Genres with most of a listener's taste."
    )
    english_share: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Listeners whose locale is English, regardless of the catalog's language mix.",
    )
    podcast_share_mean: float = Field(
        default=0.25, ge=0, le=1, description="Mean share of a listener's searches for podcasts."
    )
    activity_sigma: float = Field(
        default=1.0, ge=0, description="Log-normal sigma of listener activity (heavy tail)."
    )
    device_loyalty: float = Field(
        default=0.8, ge=0, le=1, description="Share of searches from the listener's main device."
    )


@dataclass(frozen=True, slots=True)
class Listener:
    """One simulated listener. Only ``user_id``, locale and device reach the service."""

    user_id: str
    language: str
    locale: str
    genres: tuple[tuple[str, float], ...]
    topics: tuple[tuple[str, float], ...]
    podcast_share: float
    main_device: str
    device_loyalty: float
    activity: float

    def pick_genre(self, rng: random.Random) -> str:
        names = [name for name, _ in self.genres]
        return rng.choices(names, weights=[weight for _, weight in self.genres])[0]

    def pick_topic(self, rng: random.Random) -> str | None:
        if not self.topics:
            return None
        names = [name for name, _ in self.topics]
        return rng.choices(names, weights=[weight for _, weight in self.topics])[0]

    def pick_device(self, rng: random.Random) -> str:
        if rng.random() < self.device_loyalty:
            return self.main_device
        return rng.choice([d for d in DEVICES if d != self.main_device])


class Population:
    """A fixed set of listeners, deterministic for ``(world, config, seed)``."""

    def __init__(self, listeners: list[Listener]) -> None:
        if not listeners:
            raise ValueError("a population needs at least one listener, but 0 are given")
        self.listeners = listeners
        self._cumulative = list(accumulate(listener.activity for listener in listeners))

    @classmethod
    def generate(cls, world: CatalogWorld, config: PopulationConfig, seed: int) -> Population:
        rng = random.Random(f"{seed}:population")
        music = [k for k in (EntityType.TRACK, EntityType.ARTIST) if world.of_type(k)]
        languages = Counter(
            world.get(eid).language or "en" for kind in music for eid in world.of_type(kind)
        )
        other = {lang: n for lang, n in languages.items() if lang != "en"}
        genre_by_language = _genres_by_language(world)
        all_genres = Counter[str]()
        for counts in genre_by_language.values():
            all_genres.update(counts)
        topics = world.genres_of_type(EntityType.SHOW)
        listeners = []
        for number in range(config.listeners):
            if not other or rng.random() < config.english_share:
                language = "en"
            else:
                language = rng.choices(list(other), weights=list(other.values()))[0]
            pool = genre_by_language.get(language) or all_genres or Counter({"pop": 1})
            listeners.append(
                Listener(
                    user_id=f"sim-{number:06d}",
                    language=language,
                    locale=LOCALES.get(language, "en-US"),
                    genres=_tastes(rng, pool, config.favourite_genres),
                    topics=_tastes(rng, Counter(dict.fromkeys(topics, 1)), 2) if topics else (),
                    podcast_share=rng.betavariate(
                        2.0, 2.0 / max(config.podcast_share_mean, 1e-3) - 2.0
                    )
                    if 0 < config.podcast_share_mean < 1
                    else config.podcast_share_mean,
                    main_device=rng.choices(DEVICES, weights=(0.62, 0.25, 0.05, 0.04, 0.04))[0],
                    device_loyalty=config.device_loyalty,
                    activity=rng.lognormvariate(0.0, config.activity_sigma),
                )
            )
        return cls(listeners)

    def pick(self, rng: random.Random) -> Listener:
        """A listener, in proportion to activity (heavy users search more often)."""
        point = rng.random() * self._cumulative[-1]
        return self.listeners[bisect.bisect_right(self._cumulative, point)]

    def __len__(self) -> int:
        return len(self.listeners)


def _genres_by_language(world: CatalogWorld) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for eid in world.of_type(EntityType.ARTIST) or world.of_type(EntityType.TRACK):
        entity = world.get(eid)
        if entity.genres:
            counts.setdefault(entity.language or "en", Counter())[entity.genres[0]] += 1
    return counts


def _tastes(
    rng: random.Random, pool: Counter[str], favourites: int
) -> tuple[tuple[str, float], ...]:
    """Most taste on a few favourites drawn by prevalence, a little on everything else."""
    names = sorted(pool)
    chosen: list[str] = []
    candidates = list(names)
    while candidates and len(chosen) < favourites:
        pick = rng.choices(candidates, weights=[pool[n] for n in candidates])[0]
        chosen.append(pick)
        candidates.remove(pick)
    weights = {name: 0.1 / max(len(names), 1) for name in names}
    for rank, name in enumerate(chosen, start=1):
        weights[name] += rng.uniform(0.5, 1.0) / rank
    total = sum(weights.values())
    return tuple((name, weights[name] / total) for name in names)
