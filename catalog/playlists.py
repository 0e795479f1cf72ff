"""Synthetic playlists: editorial ones built from the genre taxonomy, and user ones."""

from __future__ import annotations

import math
import random

from catalog import vocabulary as v
from catalog.artists import CatalogContext
from catalog.model import Entity, EntityType

_MOODY = frozenset(("mood", "genre", "artist"))
"""Playlist title slots that imply the genre's mood (user titles like "gym" do not)."""


def playlist_entity(ctx: CatalogContext, rng: random.Random) -> Entity:
    """Editorial playlists built from the taxonomy, plus scrappy user playlists."""
    genre = rng.choices([g for g, _ in v.DEFAULT_GENRES], [w for _, w in v.DEFAULT_GENRES])[0]
    sub, first, _ = rng.choice(v.GENRES[genre].subs)
    facet = sub if rng.random() < 0.35 else genre
    context, context_mood, context_tag, blurb = rng.choice(v.PLAYLIST_CONTEXTS)
    decade = v.decade_label(rng.randint(max(first, 1950), 2024))
    mood = rng.choice(v.GENRES[genre].moods)
    pool = ctx.notable.get(genre, [])
    headliners = rng.sample(pool, min(3, len(pool)))
    editorial = rng.random() < 0.7
    slots = {
        "context": context,
        "genre": v.genre_label(facet) if editorial else facet,
        "decade": decade,
        "mood": mood.title() if editorial else mood,
        "artist": headliners[0].name if headliners else "",
        "year": str(rng.randint(2012, 2025)),
        "first": rng.choice(v.EN.first_names).lower(),
        "blurb": blurb,
    }
    title, used, description = v.playlist_text(rng, slots, editorial, facet)
    genres = [genre, facet] if "genre" in used else []
    if "artist" in used:
        genres, headliners = [headliners[0].genre, headliners[0].sub], headliners[:1]
    elif description and len(headliners) > 1:
        names = [a.name for a in headliners]
        description += f" Featuring {', '.join(names[:-1])} and {names[-1]}."
    headliners = headliners if editorial else []
    tags = [context_tag] if "context" in used else []
    tags += [decade] if "decade" in used else []
    followers = (
        int(20_000 * rng.paretovariate(1.1)) if editorial else int(rng.paretovariate(1.2)) - 1
    )
    tracks = rng.randint(20, 150) if editorial else rng.randint(5, 300)
    curator = rng.choice(v.CURATORS) if editorial else f"user{rng.randint(1000, 999_999)}"
    return Entity(
        id=ctx.new_id(EntityType.PLAYLIST),
        type=EntityType.PLAYLIST,
        title=title,
        artists=[a.name for a in headliners],
        artist_ids=[a.id for a in headliners],
        genres=genres,
        moods=[context_mood] if "context" in used else [mood] if used & _MOODY else [],
        tags=[*tags, "editorial" if editorial else "user"],
        language="en" if editorial else None,
        duration_ms=tracks * rng.randint(190_000, 250_000),
        popularity=round(min(100.0, max(0.5, 13.0 * math.log10(1 + followers))), 1),
        description=description,
        attributes={"curator": curator, "followers": followers, "track_count": tracks},
    )
