"""Synthetic music: artist pages, their albums and the albums' tracks.

Popular artists release more; albums are singles, EPs, albums, live albums or
compilations that reuse earlier songs; tracks inherit part of their album's
popularity and sometimes feature a guest.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from catalog import vocabulary as v
from catalog.artists import Artist, CatalogContext
from catalog.model import AttributeValue, Entity, EntityType
from catalog.shape import Allocator, scaled_popularity


def _artist_weight(rank: int) -> float:
    """Popular artists release more: ~20 albums at the top, 1-2 in the tail."""
    return 1.0 + 20.0 / (1.0 + rank / 50.0)


@dataclass(frozen=True, slots=True)
class _Album:
    """What every track on an album shares."""

    id: str
    title: str
    genres: list[str]
    year: int
    popularity: float
    live: bool
    composer: str | None


def _title_locale(artist: Artist) -> v.Locale:
    return v.EN if artist.language == "en" else artist.locale


def _featured(ctx: CatalogContext, rng: random.Random, artist: Artist) -> Artist | None:
    """A guest, usually a notable artist of the same genre (features chase reach)."""
    if ctx.counts.artists < 2:
        return None
    pool = ctx.notable.get(artist.genre, [])
    guest = rng.choice(pool) if pool and rng.random() < 0.6 else None
    guest = guest or ctx.artist(rng.randrange(ctx.counts.artists))
    return None if guest.index == artist.index else guest


def _track(
    ctx: CatalogContext, rng: random.Random, artist: Artist, album: _Album, number: int, title: str
) -> Entity:
    genre = v.GENRES[artist.genre]
    moods = list(dict.fromkeys(v.zipf_choice(rng, genre.moods) for _ in range(rng.randint(1, 2))))
    tags = [v.MOOD_TAGS[m] for m in moods] + [v.decade_label(album.year)]
    title, version = v.song_version(rng, title, album.year, album.live)
    tags += [version] if version else []
    artists, ids = [artist.name], [artist.id]
    guest = _featured(ctx, rng, artist) if rng.random() < genre.feature else None
    if guest is not None:
        title, tags = f"{title} (feat. {guest.name})", [*tags, "feature"]
        artists, ids = [artist.name, guest.name], [artist.id, guest.id]
    hit = number == 1 or rng.random() < 0.1
    minutes = min(7.0, max(2.0, rng.gauss(genre.minutes, 0.8)))
    attributes: dict[str, AttributeValue] = {"track_number": number}
    if album.composer:
        attributes["composer"] = album.composer
    return Entity(
        id=ctx.new_id(EntityType.TRACK),
        type=EntityType.TRACK,
        title=title,
        artists=artists,
        artist_ids=ids,
        album=album.title,
        album_id=album.id,
        genres=album.genres,
        moods=moods,
        tags=tags,
        language=None if album.composer else artist.language,
        release_year=album.year,
        duration_ms=int(minutes * 60_000),
        explicit=rng.random() < genre.explicit,
        popularity=scaled_popularity(
            album.popularity, *((0.85, 1.05) if hit else (0.45, 0.9)), rng
        ),
        attributes=attributes,
    )


def _album_content(
    rng: random.Random, artist: Artist, n: int, earlier: list[str]
) -> tuple[str, str, list[str], str | None]:
    """Album type, title, track titles and composer; compilations reuse old songs."""
    kind = "single" if n <= 3 else "ep" if n <= 6 else "album"
    style = rng.random()
    if artist.genre == "classical":
        return (kind, *v.classical_titles(rng, n))
    compilation = style < 0.1 and len(earlier) >= 20
    if kind == "album" and (compilation or (0.1 <= style < 0.14 and len(earlier) >= 10)):
        kind = "compilation" if compilation else "live"
        titles = rng.sample(earlier, min(n, len(earlier)))
        titles += [v.song_title(rng, _title_locale(artist)) for _ in range(n - len(titles))]
        if kind == "live":
            return kind, f"Live in {rng.choice(artist.locale.cities).split(',')[0]}", titles, None
        return kind, rng.choice(v.COMPILATIONS).format(name=artist.name), titles, None
    titles = [v.song_title(rng, _title_locale(artist)) for _ in range(n)]
    title = v.album_title(rng, artist.name, _title_locale(artist), titles, first=not earlier)
    return kind, title, titles, None


def _album_entities(
    ctx: CatalogContext, rng: random.Random, artist: Artist, n: int, year: int, earlier: list[str]
) -> Iterator[Entity]:
    """One album followed by its tracks; ``earlier`` feeds later compilations."""
    kind, title, titles, composer = _album_content(rng, artist, n, earlier)
    earlier += titles
    sub = artist.sub if rng.random() < 0.8 else rng.choice(v.GENRES[artist.genre].subs)[0]
    album = _Album(
        id=ctx.new_id(EntityType.ALBUM),
        title=title,
        genres=[artist.genre, sub],
        year=year,
        popularity=scaled_popularity(artist.popularity, 0.55, 1.0, rng),
        live=kind == "live",
        composer=composer,
    )
    tracks = [_track(ctx, rng, artist, album, i, t) for i, t in enumerate(titles, 1)]
    moods = Counter(m for t in tracks for m in t.moods)
    yield Entity(
        id=album.id,
        type=EntityType.ALBUM,
        title=album.title,
        artists=[artist.name],
        artist_ids=[artist.id],
        genres=album.genres,
        moods=[m for m, _ in moods.most_common(2)],
        tags=[kind, v.decade_label(year)],
        language=None if composer else artist.language,
        release_year=year,
        duration_ms=sum(t.duration_ms or 0 for t in tracks),
        explicit=any(t.explicit for t in tracks),
        popularity=album.popularity,
        attributes={"album_type": kind, "total_tracks": n, "label": rng.choice(v.LABELS)},
    )
    yield from tracks


def _artist_entity(artist: Artist, albums: int, rng: random.Random) -> Entity:
    """The artist page, with a short English bio as catalogs' editorial copy often is."""
    moods = v.GENRES[artist.genre].moods[:2]
    bio = v.artist_bio(artist.name, artist.kind, artist.sub, artist.home, artist.debut, albums)
    bio.insert(2, f"Fans describe the sound as {moods[0]} and {moods[-1]}.")
    decades = dict.fromkeys(v.decade_label(y) for y in range(artist.debut, artist.last + 1, 5))
    return Entity(
        id=artist.id,
        type=EntityType.ARTIST,
        title=artist.name,
        artists=[artist.name],
        artist_ids=[artist.id],
        genres=[artist.genre, artist.sub],
        moods=list(moods),
        tags=[artist.kind, *decades],
        language=artist.language,
        popularity=artist.popularity,
        description=" ".join(bio[:2] if rng.random() < 0.3 else bio),
        attributes={
            "listeners": artist.listeners,
            "debut_year": artist.debut,
            "origin": artist.home,
        },
    )


def music_entities(ctx: CatalogContext) -> Iterator[Entity]:
    """Artists in id order, each followed by its albums and their tracks."""
    rng = random.Random(f"{ctx.seed}:music")
    counts, ranking = ctx.counts, ctx.ranking
    weights = sum(_artist_weight(ranking.rank(i)) for i in range(counts.artists))
    albums = Allocator(counts.albums, counts.artists, weights)
    extra_tracks = Allocator(counts.tracks - counts.albums, counts.artists, weights)
    for index in range(counts.artists):
        artist = ctx.artist(index)
        weight = _artist_weight(artist.rank)
        n_albums = albums.take(weight)
        n_tracks = n_albums + extra_tracks.take(weight)
        yield _artist_entity(artist, n_albums, rng)
        nominal = [rng.choice((2, 5, 10, 12, 12, 14)) for _ in range(n_albums)]
        sizes = Allocator(n_tracks, n_albums, sum(nominal))
        years = sorted(rng.randint(artist.debut, artist.last) for _ in nominal)
        earlier: list[str] = []
        for size, year in zip(nominal, years, strict=True):
            yield from _album_entities(ctx, rng, artist, sizes.take(size), year, earlier)
