"""From a latent intent to the text a listener types.

A listener phrases a need in one of the ways real query logs show — the full
title, part of it, title and artist, "song by artist", the artist alone, a
facet combination ("90s rock"), a mood or activity phrase, occasionally in their
own language — and then types it with noise (:mod:`simulator.noise`).

Head needs recur with the same words: with probability ``canonical_share`` a
listener types the intent's canonical phrasing (fixed per intent), which is
what lets a query→entity memory learn from repetition. Otherwise the phrasing
is drawn afresh.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import Entity, EntityType
from simulator.intents import NEEDS_BY_NAME, Intent, IntentType
from simulator.noise import NoiseConfig, NoiseModel
from simulator.phrases import (
    ALBUM_TEMPLATES,
    ARTIST_TEMPLATES,
    ATTRIBUTE_TEMPLATES,
    EPISODE_TEMPLATES,
    PLAYLIST_TEMPLATES,
    RELATED_ARTIST_TEMPLATES,
    RELATED_SHOW_TEMPLATES,
    SHOW_TEMPLATES,
    SUBJECT_TEMPLATES,
    TOPIC_NAMES,
    TRACK_TEMPLATES,
    TRANSLATED_ATTRIBUTE,
    TRANSLATED_RELATED,
    TRANSLATED_SUBJECT,
    TRANSLATED_TRACK,
)
from simulator.population import Listener
from simulator.world import CatalogWorld, base_title

TEMPLATES: dict[EntityType, tuple[tuple[str, float], ...]] = {
    EntityType.TRACK: TRACK_TEMPLATES,
    EntityType.ALBUM: ALBUM_TEMPLATES,
    EntityType.ARTIST: ARTIST_TEMPLATES,
    EntityType.PLAYLIST: PLAYLIST_TEMPLATES,
    EntityType.SHOW: SHOW_TEMPLATES,
    EntityType.EPISODE: EPISODE_TEMPLATES,
}


class QueryConfig(BaseModel):
    """How listeners phrase their needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    canonical_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Sessions that use the intent's canonical phrasing (head queries repeat).",
    )
    other_language: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Non-English listeners phrasing a need in their own language, when possible.",
    )
    noise: NoiseConfig = Field(default_factory=NoiseConfig)


@dataclass(frozen=True, slots=True)
class Formulation:
    """The typed query and how it came about (kept client-side, for analysis)."""

    text: str
    template: str
    noise: tuple[str, ...]
    canonical: bool


def partial_title(title: str, rng: random.Random) -> str:
    """The start of a title: leading words, the last one possibly cut short.

    ``"Bohemian Rhapsody"`` → ``"Bohemian Rhap"``, ``"Dancing in the Dark"`` → ``"Dancing in"``.
    Always a non-empty prefix of the title, strictly shorter when the title allows it.
    """
    words = title.split()
    if len(words) >= 3 and rng.random() < 0.5:
        return " ".join(words[: rng.randint(1, len(words) - 1)])
    keep = words[: max(1, len(words) - 1)] if len(words) > 1 else []
    last = words[len(keep)] if len(keep) < len(words) else words[-1]
    if len(last) >= 4:
        cut = last[: rng.randint(max(2, len(last) // 2), len(last) - 1)]
        return " ".join([*keep, cut])
    return " ".join(keep) if keep else title


def _pick(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([t for t, _ in options], weights=[w for _, w in options])[0]


def _decade_number(decade: str) -> str:
    return decade.rstrip("s")[-2:] if len(decade) == 3 else decade.rstrip("s")


def _short_subject(subject: str) -> str:
    for article in ("the ", "a ", "an "):
        if subject.lower().startswith(article):
            return subject[len(article) :]
    return subject


class QueryFormulator:
    """Turns (intent, listener) into query text; deterministic given the random stream."""

    def __init__(self, world: CatalogWorld, config: QueryConfig) -> None:
        self.world = world
        self.config = config
        self.noise = NoiseModel(config.noise)

    def formulate(self, intent: Intent, listener: Listener, rng: random.Random) -> Formulation:
        if rng.random() < self.config.canonical_share:
            canonical_rng = random.Random(f"canonical:{intent.key}")
            text, template = self._phrase(intent, None, canonical_rng)
            return Formulation(text.lower(), template, ("lowercase",), canonical=True)
        text, template = self._phrase(intent, listener, rng)
        noisy, applied = self.noise.apply(text, rng)
        if not noisy.strip():
            noisy, applied = text, ()
        return Formulation(noisy, template, applied, canonical=False)

    def _native(self, listener: Listener | None, rng: random.Random) -> str | None:
        """The listener's language when they choose to phrase in it this time."""
        if listener is None or listener.language == "en":
            return None
        return listener.language if rng.random() < self.config.other_language else None

    def _phrase(
        self, intent: Intent, listener: Listener | None, rng: random.Random
    ) -> tuple[str, str]:
        if intent.type is IntentType.SPEARFISH and intent.target is not None:
            return self._spearfish(self.world.get(intent.target), listener, rng)
        if intent.type is IntentType.RELATED and intent.target is not None:
            return self._related(self.world.get(intent.target), listener, rng)
        if intent.type is IntentType.ATTRIBUTE:
            return self._attribute(intent, listener, rng)
        return self._descriptive(intent, listener, rng)

    def _spearfish(
        self, entity: Entity, listener: Listener | None, rng: random.Random
    ) -> tuple[str, str]:
        versioned = entity.type in (EntityType.TRACK, EntityType.ALBUM)
        title = base_title(entity.title) if versioned else entity.title
        artist = entity.artists[0] if entity.artists else ""
        language = self._native(listener, rng)
        if entity.type is EntityType.TRACK and artist and language in TRANSLATED_TRACK:
            template = TRANSLATED_TRACK[str(language)]
        else:
            template = _pick(rng, TEMPLATES[entity.type])
        if "{artist" in template and not artist:
            template = "{title}"
        slots = {
            "title": title,
            "artist": artist,
            "artist_first": artist.split()[0] if artist else "",
            "partial": partial_title(title, rng),
            "show": entity.show or "",
        }
        return " ".join(template.format(**slots).split()), template

    def _related(
        self, entity: Entity, listener: Listener | None, rng: random.Random
    ) -> tuple[str, str]:
        if entity.type is EntityType.SHOW:
            template = rng.choice(RELATED_SHOW_TEMPLATES)
            return template.format(show=entity.title), template
        language = self._native(listener, rng)
        if language in TRANSLATED_RELATED:
            template = TRANSLATED_RELATED[str(language)]
        else:
            template = rng.choice(RELATED_ARTIST_TEMPLATES)
        return template.format(artist=entity.title), template

    def _attribute(
        self, intent: Intent, listener: Listener | None, rng: random.Random
    ) -> tuple[str, str]:
        kind = intent.slot("kind") or "genre"
        genre = intent.slot("genre") or ""
        decade = intent.slot("decade") or ""
        slots = {
            "genre": genre,
            "topic": genre,
            "decade": decade,
            "decade_number": _decade_number(decade) if decade else "",
            "mood": intent.slot("mood") or "",
        }
        language = self._native(listener, rng)
        translated = TRANSLATED_ATTRIBUTE.get(kind, {})
        if language is not None and language in translated:
            template = translated[language]
            slots["topic"] = TOPIC_NAMES.get(genre, {}).get(language, genre)
        else:
            template = rng.choice(ATTRIBUTE_TEMPLATES[kind])
        return template.format(**slots), template

    def _descriptive(
        self, intent: Intent, listener: Listener | None, rng: random.Random
    ) -> tuple[str, str]:
        language = self._native(listener, rng)
        need_name = intent.slot("need")
        if need_name is not None:
            need = NEEDS_BY_NAME[need_name]
            if language is not None and language in need.translated:
                phrase = rng.choice(need.translated[language])
                return phrase, f"descriptive:{language}"
            return rng.choice(need.phrases), "descriptive"
        subject = intent.slot("subject") or ""
        if language in TRANSLATED_SUBJECT:
            template = TRANSLATED_SUBJECT[str(language)]
        else:
            template = rng.choice(SUBJECT_TEMPLATES)
        short = _short_subject(subject) if rng.random() < 0.5 else subject
        return template.format(subject=short), template
