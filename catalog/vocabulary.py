"""Word lists for the synthetic catalog, and the helpers that compose them into text.

``catalog.generate`` decides the catalog's structure (how many of what, who
released which album when, how popular); this module decides how things are
called and described. Kept apart so the generator stays readable and lists can grow.
Lists are written as ``|``-separated text because hundreds of one-word tuple items
would each take a line once formatted. Order matters where noted: single-word
titles and phrases are drawn Zipf-weighted by position, so the first entries
("Love", "Home", "Run"...) collide the most, as they do in real catalogs.
Everything here is invented or common vocabulary; no downloaded data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from itertools import accumulate
from typing import Final

from catalog.locales import (
    DE as DE,
)
from catalog.locales import (
    EN as EN,
)
from catalog.locales import (
    ES as ES,
)
from catalog.locales import (
    FR as FR,
)
from catalog.locales import (
    IT as IT,
)
from catalog.locales import (
    JA as JA,
)
from catalog.locales import (
    KO as KO,
)
from catalog.locales import (
    LOCALES as LOCALES,
)
from catalog.locales import (
    PT as PT,
)
from catalog.locales import (
    SV as SV,
)
from catalog.locales import (
    Locale as Locale,
)
from catalog.music_words import (
    ALBUM_EDITIONS as ALBUM_EDITIONS,
)
from catalog.music_words import (
    CLASSICAL_ENSEMBLES as CLASSICAL_ENSEMBLES,
)
from catalog.music_words import (
    COMPILATIONS as COMPILATIONS,
)
from catalog.music_words import (
    COMPOSERS as COMPOSERS,
)
from catalog.music_words import (
    CURATORS as CURATORS,
)
from catalog.music_words import (
    DEFAULT_GENRES as DEFAULT_GENRES,
)
from catalog.music_words import (
    FORMS as FORMS,
)
from catalog.music_words import (
    GENRE_LABELS as GENRE_LABELS,
)
from catalog.music_words import (
    GENRES as GENRES,
)
from catalog.music_words import (
    KEYS as KEYS,
)
from catalog.music_words import (
    LABELS as LABELS,
)
from catalog.music_words import (
    MOOD_TAGS as MOOD_TAGS,
)
from catalog.music_words import (
    PLAYLIST_BLURBS as PLAYLIST_BLURBS,
)
from catalog.music_words import (
    PLAYLIST_CONTEXTS as PLAYLIST_CONTEXTS,
)
from catalog.music_words import (
    PLAYLIST_TEMPLATES as PLAYLIST_TEMPLATES,
)
from catalog.music_words import (
    ROMAN as ROMAN,
)
from catalog.music_words import (
    STAGE_PATTERNS as STAGE_PATTERNS,
)
from catalog.music_words import (
    STAGE_WORDS as STAGE_WORDS,
)
from catalog.music_words import (
    TEMPOS as TEMPOS,
)
from catalog.music_words import (
    USER_PLAYLISTS as USER_PLAYLISTS,
)
from catalog.music_words import (
    VERSIONS as VERSIONS,
)
from catalog.music_words import (
    Genre as Genre,
)
from catalog.podcast_topics import TOPICS as TOPICS
from catalog.podcast_topics import Topic as Topic
from catalog.podcast_words import (
    COMPANIES as COMPANIES,
)
from catalog.podcast_words import (
    EPISODE_PREFIXES as EPISODE_PREFIXES,
)
from catalog.podcast_words import (
    PODCAST_LOCALES as PODCAST_LOCALES,
)
from catalog.podcast_words import (
    PUBLISHERS as PUBLISHERS,
)
from catalog.podcast_words import (
    WEEKDAYS as WEEKDAYS,
)
from catalog.podcast_words import (
    PodcastLocale as PodcastLocale,
)
from catalog.wordlists import words as words

# Composition: turning the lists above into names and titles.

_SMALL_WORDS: Final = frozenset(
    words("a | an | and | at | by | for | in | of | on | or | the | to")
)


def decade_label(year: int) -> str:
    """The label people search for: "90s" for 1994, "2010s" for 2014."""
    start = year // 10 * 10
    return f"{start % 100:02d}s" if start < 2000 else f"{start}s"


def genre_label(genre: str) -> str:
    """Display name of a genre ("R&B", "Indie Rock")."""
    return GENRE_LABELS.get(genre, genre.title())


def genre_text(genre: str) -> str:
    """A genre inside a sentence: lower case unless it is an acronym ("R&B")."""
    return GENRE_LABELS.get(genre, genre)


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def capitalize(text: str) -> str:
    """First letter up, the rest untouched ("the Vikings" -> "The Vikings")."""
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    """English headline case that keeps acronyms ("A Beginner's Guide to CRISPR")."""
    parts = text.split(" ")
    return " ".join(p if i and p in _SMALL_WORDS else capitalize(p) for i, p in enumerate(parts))


@cache
def _zipf_cumulative(length: int) -> list[float]:
    return list(accumulate(1.0 / (i + 1) ** 0.7 for i in range(length)))


def zipf_choice(rng: random.Random, items: Sequence[str]) -> str:
    """Draw with 1/rank**0.7 weights: early entries collide far more often."""
    return rng.choices(items, cum_weights=_zipf_cumulative(len(items)))[0]


def _pools(loc: Locale) -> dict[str, tuple[str, ...]]:
    """Slot values for templates; English fills what a language does not have."""
    return {
        "a": loc.adjectives or EN.adjectives,
        "n": loc.nouns,
        "n2": loc.nouns,
        "p": loc.plurals or EN.plurals,
        "v": loc.verbs or EN.verbs,
        "f": loc.first_names,
        "w": STAGE_WORDS,
        "w2": STAGE_WORDS,
    }


_POOLS: Final = {loc.code: _pools(loc) for loc in LOCALES}


def fill(rng: random.Random, template: str, loc: Locale) -> str:
    """Fill only the slots a template uses, so draws stay few and deterministic."""
    pools = _POOLS[loc.code]
    return template.format(**{k: rng.choice(p) for k, p in pools.items() if f"{{{k}}}" in template})


def person_name(rng: random.Random, loc: Locale) -> str:
    return loc.name_format.format(f=rng.choice(loc.first_names), l=rng.choice(loc.last_names))


def band_name(rng: random.Random, loc: Locale) -> str:
    """Band names in the artist's language, or English ones as many bands choose."""
    if loc.code == "ko" and rng.random() < 0.4:
        return "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(rng.randint(3, 5)))
    if loc.band_patterns and rng.random() < 0.6:
        return fill(rng, rng.choice(loc.band_patterns), loc)
    return fill(rng, rng.choice(EN.band_patterns), EN)


def artist_name(rng: random.Random, loc: Locale, kind: str) -> str:
    """A name that fits the kind of act: orchestras, stage names, bands, people."""
    if kind in ("orchestra", "ensemble"):
        return f"{rng.choice(loc.cities).split(',')[0]} {rng.choice(CLASSICAL_ENSEMBLES)}"
    if kind in ("rapper", "dj", "producer") and rng.random() < 0.7:
        return fill(rng, rng.choice(STAGE_PATTERNS), loc)
    if kind == "duo" and rng.random() < 0.5:
        return f"{rng.choice(loc.first_names)} & {rng.choice(loc.first_names)}"
    if kind in ("band", "group", "collective", "duo"):
        return band_name(rng, loc)
    if kind in ("trio", "quartet"):
        return f"{person_name(rng, loc)} {kind.title()}"
    return person_name(rng, loc)


def song_title(rng: random.Random, loc: Locale) -> str:
    """Mostly colliding one-word titles and stock phrases, then template titles."""
    if rng.random() < loc.english_titles:
        loc = EN
    draw = rng.random()
    if draw < 0.2:
        return zipf_choice(rng, loc.one_word)
    if draw < 0.35:
        return zipf_choice(rng, loc.phrases)
    return fill(rng, rng.choice(loc.patterns), loc)


def classical_titles(rng: random.Random, n: int) -> tuple[str, list[str], str]:
    """Album title, ``n`` movement titles and the composer of a classical record.

    Works split into movements: "Symphony No. 5 in C minor, Op. 67: II. Adagio".
    """
    composer, catalogue = rng.choice(COMPOSERS)
    works: list[str] = []
    titles: list[str] = []
    while len(titles) < n:
        work = f"{rng.choice(FORMS)} No. {rng.randint(1, 9)} in {rng.choice(KEYS)}"
        works.append(f"{work}, {catalogue} {rng.randint(1, 120)}")
        movements = min(n - len(titles), rng.randint(1, 4))
        if movements == 1:
            titles.append(works[-1])
        else:
            titles += [f"{works[-1]}: {ROMAN[i]}. {rng.choice(TEMPOS)}" for i in range(movements)]
    surname = composer.split()[-1]
    album = f"{surname}: {works[0]}" if len(works) == 1 else f"{surname}: Selected Works"
    return album, titles, composer


def _podcast_locale(lang: str) -> PodcastLocale:
    return next(p for p in PODCAST_LOCALES if p.code == lang)


def show_text(rng: random.Random, topic: str, lang: str, slots: dict[str, str]) -> tuple[str, str]:
    """A show's title and multi-sentence description in its language."""
    if lang != "en":
        spec = _podcast_locale(lang)
        title = rng.choice(spec.titles).format(**slots)
        return title, " ".join(spec.about).format(title=title, day=rng.choice(spec.days), **slots)
    topic_spec = TOPICS[topic]
    title = rng.choice(topic_spec.titles).format(**slots)
    cadence = "daily" if topic == "news" else rng.choice(("weekly", "weekly", "twice-weekly"))
    intro = f"{title} is {article(cadence)} {cadence} {topic} podcast hosted by {slots['host']}."
    about = [s.format(title=title, **slots) for s in rng.sample(topic_spec.about, 2)]
    return title, " ".join([intro, *about, f"New episodes every {rng.choice(WEEKDAYS)}."])


def episode_text(
    rng: random.Random, topic: str, lang: str, slots: dict[str, str]
) -> tuple[str, str]:
    """An episode's title (numbered in the show's style) and description."""
    if lang == "en":
        spec = TOPICS[topic]
        template = rng.choice(spec.episodes)
        title = title_case(template.format(**slots))
        picked = sorted(rng.sample(range(len(spec.episode_about)), rng.randint(2, 3)))
        about = " ".join(spec.episode_about[i] for i in picked).format(**slots)
    else:
        local = _podcast_locale(lang)
        template = rng.choice(local.episodes)
        title, about = template.format(**slots), " ".join(local.episode_about).format(**slots)
    prefix = "" if "{n}" in template else slots["prefix"].format(n=slots["n"])
    return prefix + title, capitalize(about)


def album_title(
    rng: random.Random, artist: str, loc: Locale, titles: list[str], first: bool
) -> str:
    """Title tracks, self-titled debuts and fresh titles, as real discographies mix."""
    draw = rng.random()
    if len(titles) <= 3:
        return titles[0]
    if draw < 0.3:
        return rng.choice(titles)
    if first and draw < 0.5:
        return artist
    title = song_title(rng, loc)
    return f"{title} {rng.choice(ALBUM_EDITIONS)}" if draw > 0.95 else title


def song_version(rng: random.Random, title: str, year: int, live: bool) -> tuple[str, str | None]:
    """Live cuts on live albums; otherwise the odd acoustic, remix or remaster, and its tag."""
    if live:
        return f"{title} - Live", "live"
    if rng.random() >= 0.05:
        return title, None
    version, tag = rng.choice(VERSIONS)
    remaster = year + rng.randint(10, 30)
    if tag == "remastered" and remaster > 2025:
        return title, None
    return title + version.format(year=remaster, name=rng.choice(STAGE_WORDS)), tag


def artist_bio(name: str, kind: str, sub: str, home: str, debut: int, albums: int) -> list[str]:
    """Sentences of a short editorial bio; callers may keep only the first ones."""
    kind = {"dj": "DJ and producer"}.get(kind, kind)
    what = sub if kind in sub else f"{sub} {kind}"
    return [
        f"{name} is {article(what)} {what} from {home}.",
        f"Active since {debut}.",
        f"The discography counts {albums} release{'s' if albums != 1 else ''}.",
    ]


def playlist_text(
    rng: random.Random, slots: dict[str, str], editorial: bool, genre: str
) -> tuple[str, set[str], str | None]:
    """Title, the slots it uses, and (editorial only) a blurb that matches the title."""
    templates = PLAYLIST_TEMPLATES if editorial else USER_PLAYLISTS
    template = rng.choice(templates)
    while "{artist}" in template and not slots["artist"]:
        template = rng.choice(templates)
    used = {key for key in slots if f"{{{key}}}" in template}
    title = template.format(**slots)
    if not editorial:
        return title, used, None
    if "context" in used:
        return title, used, slots["blurb"]
    key = next((k for k in ("artist", "decade", "mood", "genre") if k in used), "none")
    text = genre_text(genre) + " " if "genre" in used else ""
    blurb = PLAYLIST_BLURBS[key].format(genre_text=text, mood_text=slots["mood"], **slots)
    return title, used, capitalize(blurb)
