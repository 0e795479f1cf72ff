"""Deterministic synthetic music and podcast catalog.

Benchmarks, load tests and the listener simulator need a catalog that behaves like
a real one (Zipf popularity, title collisions, many languages, artist → album →
track nesting, podcasts with prose descriptions) without shipping licensed data.
Everything derives from ``(size, seed)``: the same pair yields byte-identical JSONL.
Entities are streamed artist by artist and show by show; any artist's profile is
recomputable from its index, so memory does not grow with the catalog size.
Names and titles come from ``catalog.vocabulary``; this module decides structure.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from catalog import vocabulary as v
from catalog.model import AttributeValue, Entity, EntityType

PROGRESS_EVERY = 5_000
"""Rows between two ``on_progress`` calls."""
NOTABLE_ARTISTS = 300
"""Top-ranked artists kept in memory as featured guests and playlist headliners."""
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
class _Ranking:
    """A seeded bijection index ↔ popularity rank (1 = most popular).

    Ids are therefore not sorted by popularity, yet any artist's rank (and any
    rank's artist) is computable without a table.
    """

    n: int
    step: int
    offset: int
    inverse: int

    @classmethod
    def create(cls, n: int, rng: random.Random) -> _Ranking:
        step = 1
        while n > 2 and (step == 1 or math.gcd(step, n) != 1):
            step = rng.randrange(2, n)
        return cls(n, step, rng.randrange(n), pow(step, -1, n) if n > 1 else 0)

    def rank(self, index: int) -> int:
        return (self.step * index + self.offset) % self.n + 1

    def index(self, rank: int) -> int:
        return (rank - 1 - self.offset) * self.inverse % self.n


class _Allocator:
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


def _popularity(rank: int, rng: random.Random) -> float:
    """Zipf-like 0-100 score: 100 at rank 1, minus 20 per tenfold rank, jittered.

    Never 0, which the model reserves for "unknown".
    """
    score = 100.0 - 20.0 * math.log10(rank) + rng.gauss(0.0, 2.5)
    return round(min(100.0, max(1.0, score)), 1)


def _scaled(popularity: float, low: float, high: float, rng: random.Random) -> float:
    """A share of a parent's popularity: tracks inherit part of their artist's."""
    return round(min(100.0, max(0.5, popularity * rng.uniform(low, high))), 1)


@dataclass(frozen=True, slots=True)
class _Artist:
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


def _make_artist(seed: int, index: int, ranking: _Ranking) -> _Artist:
    """An artist's profile from its own seeded stream: recomputable from its index."""
    rng = random.Random(f"{seed}:artist:{index}")
    loc = rng.choices(v.LOCALES, cum_weights=_LOCALE_CUMULATIVE)[0]
    genres = loc.genres or v.DEFAULT_GENRES
    genre = rng.choices([g for g, _ in genres], weights=[w for _, w in genres])[0]
    sub, first, last = rng.choice(v.GENRES[genre].subs)
    debut = rng.randint(first, min(last, LAST_YEAR - 1))
    kind = rng.choice(v.GENRES[genre].kinds)
    rank = ranking.rank(index)
    return _Artist(
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
        popularity=_popularity(rank, rng),
        listeners=int(80_000_000 / rank * rng.lognormvariate(0.0, 0.25)) + rng.randint(10, 900),
        home=rng.choice(loc.cities),
    )


def _artist_weight(rank: int) -> float:
    """Popular artists release more: ~20 albums at the top, 1-2 in the tail."""
    return 1.0 + 20.0 / (1.0 + rank / 50.0)


class _Context:
    """Per-catalog state: counts, the artist ranking, notable artists, id counters."""

    def __init__(self, counts: Counts, seed: int) -> None:
        self.counts = counts
        self.seed = seed
        self.ranking = _Ranking.create(max(counts.artists, 1), random.Random(f"{seed}:ranks"))
        self.notable: dict[str, list[_Artist]] = {}
        for rank in range(1, min(counts.artists, NOTABLE_ARTISTS) + 1):
            artist = self.artist(self.ranking.index(rank))
            self.notable.setdefault(artist.genre, []).append(artist)
        self._next = dict.fromkeys(EntityType, 0)

    def artist(self, index: int) -> _Artist:
        return _make_artist(self.seed, index, self.ranking)

    def new_id(self, kind: EntityType) -> str:
        number = self._next[kind]
        self._next[kind] = number + 1
        return entity_id(kind, number)


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


def _title_locale(artist: _Artist) -> v.Locale:
    return v.EN if artist.language == "en" else artist.locale


def _featured(ctx: _Context, rng: random.Random, artist: _Artist) -> _Artist | None:
    """A guest, usually a notable artist of the same genre (features chase reach)."""
    if ctx.counts.artists < 2:
        return None
    pool = ctx.notable.get(artist.genre, [])
    guest = rng.choice(pool) if pool and rng.random() < 0.6 else None
    guest = guest or ctx.artist(rng.randrange(ctx.counts.artists))
    return None if guest.index == artist.index else guest


def _track(
    ctx: _Context, rng: random.Random, artist: _Artist, album: _Album, number: int, title: str
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
        popularity=_scaled(album.popularity, *((0.85, 1.05) if hit else (0.45, 0.9)), rng),
        attributes=attributes,
    )


def _album_content(
    rng: random.Random, artist: _Artist, n: int, earlier: list[str]
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
    ctx: _Context, rng: random.Random, artist: _Artist, n: int, year: int, earlier: list[str]
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
        popularity=_scaled(artist.popularity, 0.55, 1.0, rng),
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


def _artist_entity(artist: _Artist, albums: int, rng: random.Random) -> Entity:
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


def _music(ctx: _Context) -> Iterator[Entity]:
    """Artists in id order, each followed by its albums and their tracks."""
    rng = random.Random(f"{ctx.seed}:music")
    counts, ranking = ctx.counts, ctx.ranking
    weights = sum(_artist_weight(ranking.rank(i)) for i in range(counts.artists))
    albums = _Allocator(counts.albums, counts.artists, weights)
    extra_tracks = _Allocator(counts.tracks - counts.albums, counts.artists, weights)
    for index in range(counts.artists):
        artist = ctx.artist(index)
        weight = _artist_weight(artist.rank)
        n_albums = albums.take(weight)
        n_tracks = n_albums + extra_tracks.take(weight)
        yield _artist_entity(artist, n_albums, rng)
        nominal = [rng.choice((2, 5, 10, 12, 12, 14)) for _ in range(n_albums)]
        sizes = _Allocator(n_tracks, n_albums, sum(nominal))
        years = sorted(rng.randint(artist.debut, artist.last) for _ in nominal)
        earlier: list[str] = []
        for size, year in zip(nominal, years, strict=True):
            yield from _album_entities(ctx, rng, artist, sizes.take(size), year, earlier)


_MOODY = frozenset(("mood", "genre", "artist"))
"""Playlist title slots that imply the genre's mood (user titles like "gym" do not)."""


def _playlist(ctx: _Context, rng: random.Random) -> Entity:
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


def _make_show(ctx: _Context, rng: random.Random, rank: int) -> tuple[_Show, str]:
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
        show_id, title, topic, lang, subjects, slots, _popularity(rank, rng), explicit, start
    )
    return show, description


def _episode(ctx: _Context, rng: random.Random, show: _Show, number: int, year: int) -> Entity:
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
        popularity=_scaled(show.popularity, 0.4, 1.0, rng),
        description=description,
        attributes={"episode_number": number, "guest": slots["guest"]},
    )


def _show_weight(rank: int) -> float:
    """Big shows publish more: the top one has ~30 times the episodes of the tail."""
    return 1.0 + 30.0 / (1.0 + rank / 3.0)


def _podcasts(ctx: _Context) -> Iterator[Entity]:
    """Shows in id order, each followed by its episodes (a few shows have most)."""
    rng = random.Random(f"{ctx.seed}:podcasts")
    n = ctx.counts.shows
    ranking = _Ranking.create(max(n, 1), rng)
    weights = sum(_show_weight(ranking.rank(i)) for i in range(n))
    episodes = _Allocator(ctx.counts.episodes, n, weights)
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


def generate_catalog(size: int, seed: int) -> Iterator[Entity]:
    """Yield exactly ``size`` entities, deterministic for ``(size, seed)``, streaming.

    Raises ``ValueError`` at once (not at the first ``next``) for a bad size.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, but {size!r} is given")
    ctx = _Context(type_counts(size), seed)
    return _stream(ctx)


def _stream(ctx: _Context) -> Iterator[Entity]:
    """Music, then playlists, then podcasts, each from its own seeded stream."""
    yield from _music(ctx)
    playlists_rng = random.Random(f"{ctx.seed}:playlists")
    for _ in range(ctx.counts.playlists):
        yield _playlist(ctx, playlists_rng)
    yield from _podcasts(ctx)


def write_catalog_jsonl(
    path: Path, size: int, seed: int, on_progress: Callable[[int], None] | None = None
) -> int:
    """Write ``generate_catalog(size, seed)`` as JSONL and return the row count.

    One ``model_dump_json(exclude_defaults=True)`` per line keeps files small;
    ``on_progress`` gets the rows written since its previous call.
    """
    entities = generate_catalog(size, seed)
    written = pending = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for entity in entities:
            out.write(entity.model_dump_json(exclude_defaults=True))
            out.write("\n")
            written += 1
            pending += 1
            if pending == PROGRESS_EVERY:
                if on_progress is not None:
                    on_progress(pending)
                pending = 0
    if pending and on_progress is not None:
        on_progress(pending)
    return written
