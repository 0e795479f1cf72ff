"""Which intent a listener has in a session: a shared head and a personal tail.

Search traffic is heavy-headed: a small set of needs ("taylor swift", "workout
music") is shared by many listeners and repeats all day, while most needs are
rare (Silverstein et al. 1999, "Analysis of a very large web search engine query
log"; Zipf's law of query frequencies). The sampler reproduces that: with
probability ``head_share`` an intent comes from a fixed head pool drawn once
per run and weighted by a Zipf law over its ranks — a memory can learn those —
otherwise a tail intent is drawn from the listener's own tastes. Within a
genre and type, popular entities are wanted more often (Zipf over popularity rank).
"""

from __future__ import annotations

import bisect
import random
from collections import OrderedDict
from functools import lru_cache
from itertools import accumulate

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import EntityType
from simulator.intents import (
    MUSIC_TYPES,
    GroundTruth,
    Intent,
    IntentType,
    decades_in,
    ground_truth,
)
from simulator.phrases import DESCRIPTIVE_NEEDS
from simulator.population import Listener
from simulator.world import CatalogWorld

MUSIC_SPEARFISH: dict[EntityType, float] = {
    EntityType.TRACK: 0.70,
    EntityType.ARTIST: 0.16,
    EntityType.ALBUM: 0.09,
    EntityType.PLAYLIST: 0.05,
}
PODCAST_SPEARFISH: dict[EntityType, float] = {EntityType.SHOW: 0.55, EntityType.EPISODE: 0.45}
ATTRIBUTE_KINDS: dict[str, float] = {
    "genre+decade": 0.35,
    "genre": 0.2,
    "genre+mood": 0.25,
    "playlist": 0.2,
}


class IntentConfig(BaseModel):
    """The mix of intents and how concentrated they are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type_mix: dict[IntentType, float] = Field(
        default_factory=lambda: {
            IntentType.SPEARFISH: 0.45,
            IntentType.ATTRIBUTE: 0.2,
            IntentType.DESCRIPTIVE: 0.15,
            IntentType.RELATED: 0.2,
        },
        description="Relative frequency of each intent type.",
    )
    head_share: float = Field(
        default=0.5, ge=0, le=1, description="Sessions whose intent comes from the shared head."
    )
    head_pool: int = Field(default=500, ge=1, description="Distinct head intents.")
    head_zipf: float = Field(default=0.8, ge=0, description="Zipf exponent over head ranks.")
    popularity_zipf: float = Field(
        default=1.0, ge=0, description="Zipf exponent over popularity rank when picking entities."
    )


@lru_cache(maxsize=256)
def _zipf_cumulative(n: int, exponent: float) -> tuple[float, ...]:
    return tuple(accumulate(rank**-exponent for rank in range(1, n + 1)))


def zipf_index(rng: random.Random, n: int, exponent: float) -> int:
    """A 0-based index in ``range(n)`` with P(i) ∝ (i + 1)^-exponent."""
    if n < 1:
        raise ValueError(f"n must be at least 1, but {n} is given")
    cumulative = _zipf_cumulative(n, exponent)
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), n - 1)


def _podcast_subjects(world: CatalogWorld) -> dict[str, tuple[str, ...]]:
    """Subjects the catalog's podcasts talk about, by topic (from the generator's vocabulary).

    Only subjects some episode or show actually mentions are kept, so every
    subject intent has relevant entities.
    """
    from catalog.vocabulary import TOPICS

    found: dict[str, tuple[str, ...]] = {}
    for topic, spec in TOPICS.items():
        ids = [
            eid
            for kind in (EntityType.SHOW, EntityType.EPISODE)
            for eid in world.of_type_genre(kind, topic)
        ]
        texts = " ".join(
            f"{world.get(e).title} {world.get(e).description or ''}".casefold() for e in ids
        )
        present = tuple(s for s in spec.subjects if s.casefold() in texts)
        if present:
            found[topic] = present
    return found


class IntentSampler:
    """Draws a session's intent and caches ground truth per intent key."""

    def __init__(
        self, world: CatalogWorld, config: IntentConfig, seed: int | str, truth_cache: int = 4096
    ) -> None:
        if not world.entities:
            raise ValueError("the catalog is empty: there is nothing to search for")
        self.world = world
        self.config = config
        self._types = list(config.type_mix)
        self._type_weights = [config.type_mix[t] for t in self._types]
        self._subjects = _podcast_subjects(world)
        self._music_genres = world.genres_of_type(EntityType.TRACK) or world.genres_of_type(
            EntityType.ARTIST
        )
        self._genre_weights = [
            len(world.of_type_genre(EntityType.TRACK, g)) for g in self._music_genres
        ]
        self._topics = world.genres_of_type(EntityType.SHOW)
        self._truths: OrderedDict[str, GroundTruth] = OrderedDict()
        self._truth_cache = truth_cache
        self.head = self._build_head(random.Random(f"{seed}:head"))

    def _build_head(self, rng: random.Random) -> list[Intent]:
        """The shared head: intents of a population-wide "average listener", deduplicated."""
        head: dict[str, Intent] = {}
        attempts = 0
        while len(head) < self.config.head_pool and attempts < self.config.head_pool * 20:
            attempts += 1
            intent = self._draw(rng, None)
            head.setdefault(intent.key, intent)
        return list(head.values())

    def sample(self, rng: random.Random, listener: Listener) -> tuple[Intent, bool]:
        """An intent for a session, and whether it came from the head."""
        if self.head and rng.random() < self.config.head_share:
            return self.head[zipf_index(rng, len(self.head), self.config.head_zipf)], True
        return self._draw(rng, listener), False

    def truth(self, intent: Intent) -> GroundTruth:
        """Graded ground truth, cached (head intents recur; tail ones rarely do)."""
        cached = self._truths.get(intent.key)
        if cached is not None:
            self._truths.move_to_end(intent.key)
            return cached
        truth = ground_truth(self.world, intent)
        self._truths[intent.key] = truth
        if len(self._truths) > self._truth_cache:
            self._truths.popitem(last=False)
        return truth

    def _draw(self, rng: random.Random, listener: Listener | None) -> Intent:
        """One intent with non-empty ground truth; falls back to the most popular entity."""
        for _ in range(12):
            kind = rng.choices(self._types, weights=self._type_weights)[0]
            podcast = bool(self._topics) and rng.random() < (
                listener.podcast_share if listener else 0.25
            )
            intent = self._draw_type(rng, listener, kind, podcast)
            if intent is not None and self.truth(intent):
                return intent
        for kind in (EntityType.TRACK, *EntityType):
            ids = self.world.of_type(kind)
            if ids:
                return Intent(f"spearfish:{ids[0]}", IntentType.SPEARFISH, target=ids[0])
        raise AssertionError("unreachable: the world has entities")

    def _genre(self, rng: random.Random, listener: Listener | None) -> str | None:
        if listener is not None:
            return listener.pick_genre(rng)
        if not self._music_genres:
            return None
        return rng.choices(self._music_genres, weights=self._genre_weights)[0]

    def _topic(self, rng: random.Random, listener: Listener | None) -> str | None:
        picked = listener.pick_topic(rng) if listener is not None else None
        if picked in self._topics:
            return picked
        return rng.choice(self._topics) if self._topics else None

    def _popular(self, rng: random.Random, ids: list[str] | tuple[str, ...]) -> str | None:
        if not ids:
            return None
        return ids[zipf_index(rng, len(ids), self.config.popularity_zipf)]

    def _draw_type(
        self, rng: random.Random, listener: Listener | None, kind: IntentType, podcast: bool
    ) -> Intent | None:
        world = self.world
        if kind is IntentType.SPEARFISH:
            mix = PODCAST_SPEARFISH if podcast else MUSIC_SPEARFISH
            etype = rng.choices(list(mix), weights=list(mix.values()))[0]
            facet = self._topic(rng, listener) if podcast else self._genre(rng, listener)
            ids = world.of_type_genre(etype, facet) if facet else ()
            target = self._popular(rng, tuple(ids) or tuple(world.of_type(etype)))
            if target is None:
                return None
            return Intent(f"spearfish:{target}", IntentType.SPEARFISH, target=target)
        if kind is IntentType.RELATED:
            etype = EntityType.SHOW if podcast else EntityType.ARTIST
            facet = self._topic(rng, listener) if podcast else self._genre(rng, listener)
            ids = world.of_type_genre(etype, facet) if facet else world.of_type(etype)
            anchor = self._popular(rng, tuple(ids))
            if anchor is None:
                return None
            return Intent(f"related:{anchor}", IntentType.RELATED, target=anchor)
        if kind is IntentType.ATTRIBUTE:
            return self._attribute(rng, listener, podcast)
        return self._descriptive(rng, podcast)

    def _attribute(
        self, rng: random.Random, listener: Listener | None, podcast: bool
    ) -> Intent | None:
        if podcast:
            topic = self._topic(rng, listener)
            if topic is None:
                return None
            podcast_slots = (
                ("kind", "podcast"),
                ("genre", topic),
                ("types", EntityType.SHOW.value),
            )
            return Intent(f"attribute:podcast:{topic}", IntentType.ATTRIBUTE, podcast_slots)
        genre = self._genre(rng, listener)
        if genre is None:
            return None
        shape = rng.choices(list(ATTRIBUTE_KINDS), weights=list(ATTRIBUTE_KINDS.values()))[0]
        types = ",".join(sorted(t.value for t in MUSIC_TYPES))
        slots: list[tuple[str, str]] = [("kind", shape), ("genre", genre)]
        tracks = self.world.of_type_genre(EntityType.TRACK, genre)
        if shape == "genre+decade":
            decades = decades_in(self.world, tracks)
            if not decades:
                return None
            slots.append(("decade", rng.choices(list(decades), weights=list(decades.values()))[0]))
        elif shape == "genre+mood":
            moods: dict[str, int] = {}
            for eid in tracks:
                for mood in self.world.get(eid).moods:
                    moods[mood] = moods.get(mood, 0) + 1
            if not moods:
                return None
            slots.append(("mood", rng.choices(list(moods), weights=list(moods.values()))[0]))
        elif shape == "playlist":
            types = EntityType.PLAYLIST.value
        slots.append(("types", types))
        key = "attribute:" + "|".join(f"{k}={v}" for k, v in sorted(slots))
        return Intent(key, IntentType.ATTRIBUTE, tuple(slots))

    def _descriptive(self, rng: random.Random, podcast: bool) -> Intent | None:
        if podcast and self._subjects:
            topic = rng.choice(sorted(self._subjects))
            subject = rng.choice(self._subjects[topic])
            slots = (("topic", topic), ("subject", subject))
            return Intent(f"descriptive:{topic}:{subject}", IntentType.DESCRIPTIVE, slots)
        need = DESCRIPTIVE_NEEDS[zipf_index(rng, len(DESCRIPTIVE_NEEDS), 0.7)]
        return Intent(f"descriptive:{need.name}", IntentType.DESCRIPTIVE, (("need", need.name),))
