"""Synthetic podcasts: shows and their episodes, mostly English, with prose descriptions."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from catalog import vocabulary as v
from catalog.artists import CatalogContext
from catalog.model import Entity, EntityType
from catalog.shape import LAST_YEAR, Allocator, Ranking, rank_popularity, scaled_popularity


@dataclass(frozen=True, slots=True)
class _Show:
    """What every episode of a show shares."""

    id: str
    title: str
    topic: str
    language: str
    subjects: list[str]
    slots: dict[str, str]
    popularity: float
    explicit: bool
    start: int


_PODCAST_LANGUAGES = ["en", *(p.code for p in v.PODCAST_LOCALES)]
_PODCAST_WEIGHTS = [0.75, *(p.weight for p in v.PODCAST_LOCALES)]


def _make_show(ctx: CatalogContext, rng: random.Random, rank: int) -> tuple[_Show, str]:
    """A show and its description; mostly English, some Spanish, Portuguese, German, French."""
    lang = rng.choices(_PODCAST_LANGUAGES, _PODCAST_WEIGHTS)[0]
    loc, topic = next(loc for loc in v.LOCALES if loc.code == lang), rng.choice(list(v.TOPICS))
    subjects = rng.sample(v.TOPICS[topic].subjects, 2)
    first, last = rng.choice(loc.first_names), rng.choice(loc.last_names)
    name = next((p.topics[topic] for p in v.PODCAST_LOCALES if p.code == lang), topic)
    slots = {
        "host": loc.name_format.format(f=first, l=last),
        "host_first": first,
        "host_last": last,
        "place": rng.choice(loc.cities).split(",")[0],
        "subject": subjects[0],
        "subject2": subjects[1],
        "topic": name,
        "Topic": v.capitalize(name),
        "prefix": rng.choice(v.EPISODE_PREFIXES),
    }
    title, description = v.show_text(rng, topic, lang, slots)
    explicit = rng.random() < v.TOPICS[topic].explicit
    show_id, start = ctx.new_id(EntityType.SHOW), rng.randint(2006, 2024)
    show = _Show(
        show_id, title, topic, lang, subjects, slots, rank_popularity(rank, rng), explicit, start
    )
    return show, description


def _episode(
    ctx: CatalogContext, rng: random.Random, show: _Show, number: int, year: int
) -> Entity:
    loc = next(loc for loc in v.LOCALES if loc.code == show.language)
    spec = v.TOPICS[show.topic]
    subject = rng.choice([*show.subjects, *show.subjects, *spec.subjects])
    slots = show.slots | {
        "subject": subject,
        "Subject": v.capitalize(subject),
        "subject2": rng.choice(spec.subjects),
        "guest": v.person_name(rng, loc),
        "place": rng.choice(loc.cities).split(",")[0],
        "company": rng.choice(v.COMPANIES),
        "k": str(rng.randint(1, 4)),
        "n": str(number),
        "year": str(rng.randint(1965, 2020)),
    }
    title, description = v.episode_text(rng, show.topic, show.language, slots)
    minutes = min(120.0, max(15.0, rng.gauss(spec.minutes, 12.0)))
    return Entity(
        id=ctx.new_id(EntityType.EPISODE),
        type=EntityType.EPISODE,
        title=title,
        show=show.title,
        show_id=show.id,
        genres=[show.topic],
        tags=rng.sample(spec.tags, 2),
        language=show.language,
        release_year=year,
        duration_ms=int(minutes * 60_000),
        explicit=show.explicit and rng.random() < 0.8,
        popularity=scaled_popularity(show.popularity, 0.4, 1.0, rng),
        description=description,
        attributes={"episode_number": number, "guest": slots["guest"]},
    )


def _show_weight(rank: int) -> float:
    """Big shows publish more: the top one has ~30 times the episodes of the tail."""
    return 1.0 + 30.0 / (1.0 + rank / 3.0)


def podcast_entities(ctx: CatalogContext) -> Iterator[Entity]:
    """Shows in id order, each followed by its episodes (a few shows have most)."""
    rng = random.Random(f"{ctx.seed}:podcasts")
    n = ctx.counts.shows
    ranking = Ranking.create(max(n, 1), rng)
    weights = sum(_show_weight(ranking.rank(i)) for i in range(n))
    episodes = Allocator(ctx.counts.episodes, n, weights)
    for index in range(n):
        rank = ranking.rank(index)
        count = episodes.take(_show_weight(rank))
        show, description = _make_show(ctx, rng, rank)
        yield Entity(
            id=show.id,
            type=EntityType.SHOW,
            title=show.title,
            genres=[show.topic],
            tags=rng.sample(v.TOPICS[show.topic].tags, 3),
            language=show.language,
            release_year=show.start,
            explicit=show.explicit,
            popularity=show.popularity,
            description=description,
            attributes={
                "host": show.slots["host"],
                "publisher": rng.choice(v.PUBLISHERS),
                "episodes": count,
            },
        )
        first = rng.randint(1, 150)
        years = sorted(rng.randint(show.start, LAST_YEAR) for _ in range(count))
        for offset, year in enumerate(years):
            yield _episode(ctx, rng, show, first + offset, year)
