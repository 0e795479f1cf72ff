"""Fixed query vocabularies: words that name entity types, eras, languages and explicitness.

The catalog names artists, genres and moods (see :mod:`retrievers.gazetteer`);
how listeners ask for *kinds* of things does not come from the catalog:
"podcast", "songs", "90s", "nineties", "1997", "spanish", "clean". These
vocabularies are small and hand-kept, in normalized form (the output of
:func:`retrievers.normalize.normalize_query`: lowercase, no accents, apostrophes
inside words dropped, so ``80's`` arrives as ``80s``).

Each entry carries a confidence: how often the word, when it occurs in a
search query, means what the entry says. ``explicit`` almost always asks for
explicit content; ``clean`` is also a song title; a bare year is a release year
less often than a decade is a decade ("1979" is also a song).

A light language guess lives here too: script ranges for non-Latin text, and
votes from function words and language names for Latin text. It guesses the
language the listener types in, not the language they want to hear.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final, Literal

VocabKind = Literal["type", "decade", "year", "language", "explicit"]


@dataclass(frozen=True, slots=True)
class VocabMatch:
    """A fixed-vocabulary reading of a query n-gram."""

    kind: VocabKind
    value: str
    display: str
    confidence: float


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _table(text: str) -> dict[str, str]:
    """Parse ``"value: word word | value: word"`` into {word: value}."""
    out: dict[str, str] = {}
    for group in text.split("|"):
        value, words = group.split(":")
        for word in words.split(","):
            out[word.strip()] = value.strip()
    return out


TYPE_WORDS: Final = _table("""
    track: song, songs, track, tracks, tune, tunes, single, singles, cancion, canciones,
        chansons, canzoni, lieder, musicas, cancoes |
    artist: artist, artists, band, bands, singer, singers, rapper, rappers, group, groups,
        musician, musicians, dj, composer |
    album: album, albums, record, records, ep, eps, lp, lps, discography |
    playlist: playlist, playlists, mix, mixes, mixtape, compilation |
    show: podcast, podcasts, pod, show, shows |
    episode: episode, episodes |
    music: music, musica, musique, musik
""")
"""Words naming an entity type; ``music`` means "anything but podcasts"."""

TYPE_WORD_CONFIDENCE: Final = {"music": 0.6, "artist": 0.8, "playlist": 0.8}
"""Type words are reliable (0.9) except these values."""

TYPE_DISTRIBUTIONS: Final[dict[str, dict[str, float]]] = {
    "track": {"track": 1.0},
    "artist": {"artist": 1.0},
    "album": {"album": 1.0},
    "playlist": {"playlist": 1.0},
    "show": {"show": 0.75, "episode": 0.25},
    "episode": {"episode": 0.85, "show": 0.15},
    "music": {"track": 0.55, "playlist": 0.2, "album": 0.15, "artist": 0.1},
}
"""The entity types each type value stands for, with the share each is meant.

The tables below say the same for readings that are not type words; query
understanding mixes them into its entity-type probabilities.
"""

TITLE_WORD_TYPES: Final = {
    "track": 0.6,
    "album": 0.12,
    "episode": 0.1,
    "playlist": 0.08,
    "artist": 0.05,
    "show": 0.05,
}
"""What bare title words ask for."""
ATTRIBUTE_TYPES: Final = {"track": 0.6, "album": 0.3, "playlist": 0.1}
"""What a decade, year, language or explicitness asks for (artists have no year)."""
NAME_TYPES: Final = {
    "artist": {"artist": 0.6, "track": 0.3, "album": 0.1},
    "album": {"album": 0.6, "track": 0.4},
    "show": {"show": 0.65, "episode": 0.35},
}
"""What a bare artist, album or show name asks for: the entity itself or its parts."""
NAME_WITH_TITLE_TYPES: Final = {
    "artist": {"track": 0.8, "album": 0.1, "artist": 0.1},
    "album": {"track": 0.8, "album": 0.2},
    "show": {"episode": 0.85, "show": 0.15},
}
"""What a name followed by title words asks for: mostly one of its parts."""

LANGUAGE_WORDS: Final = _table("""
    en: english | es: spanish, espanol, castellano, latino |
    fr: french, francais, francaise, francophone |
    de: german, deutsch, deutsche, deutscher, deutschen |
    pt: portuguese, portugues, portuguesa, brazilian, brasileira, brasileiro |
    it: italian, italiano, italiana, italiane, italiani |
    ja: japanese, nihongo | ko: korean, hangug | zh: chinese, mandarin, cantonese |
    sv: swedish, svenska | nl: dutch | ru: russian | ar: arabic | hi: hindi, bollywood |
    tr: turkish | pl: polish | el: greek
""")

EXPLICIT_WORDS: Final = {
    "explicit": ("true", 0.9),
    "uncensored": ("true", 0.9),
    "nsfw": ("true", 0.85),
    "dirty": ("true", 0.55),
    "clean": ("false", 0.55),
    "censored": ("false", 0.8),
    "radio edit": ("false", 0.75),
    "family friendly": ("false", 0.85),
    "kid friendly": ("false", 0.85),
    "kids": ("false", 0.5),
    "non explicit": ("false", 0.9),
}

_DECADE_WORDS: Final = {
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
    "noughties": 2000,
    "aughts": 2000,
    "naughties": 2000,
}
_SHORT_DECADE: Final = re.compile(r"^([0-9])0s$")
_LONG_DECADE: Final = re.compile(r"^(1[89][0-9]0|20[0-2]0)s$")
_YEAR: Final = re.compile(r"^(19[0-9]{2}|20[0-2][0-9]|2030)$")

STOPWORDS: Final[dict[str, frozenset[str]]] = {
    "en": _words(
        "a an the of for to in on at by with from and or me my i im some about like "
        "after before during while best top new latest good great popular is are "
        "that this these those what who get got your you our when into were was how why "
        "where which will would can could be been it its so do does did not no up out all "
        "just them they he she we us him her his their there here than then very more most"
    ),
    "es": _words("de la el los las y en con para por un una mi mis del al que sin"),
    "fr": _words("le la les de des du et pour en un une mon ma mes avec sans au aux"),
    "pt": _words("de do da dos das e em para com um uma meu minha no na sem"),
    "it": _words("di il lo la le per e un una mio mia con del della senza"),
    "de": _words("der die das und mit fur von ein eine zum zur im ohne"),
}
ALL_STOPWORDS: Final = frozenset().union(*STOPWORDS.values())

_SCRIPTS: Final = (
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x3130, 0x318F, "ko"),
    (0x4E00, 0x9FFF, "zh"),
    (0x0400, 0x04FF, "ru"),
    (0x0600, 0x06FF, "ar"),
    (0x0370, 0x03FF, "el"),
    (0x0590, 0x05FF, "he"),
    (0x0E00, 0x0E7F, "th"),
    (0x0900, 0x097F, "hi"),
)
_TYPE_WORD_LANGUAGES: Final = {
    **dict.fromkeys(_words("song songs tune tunes music band bands singer singers"), "en"),
    **dict.fromkeys(_words("cancion canciones"), "es"),
    **dict.fromkeys(_words("chansons musique"), "fr"),
    **dict.fromkeys(_words("musicas cancoes"), "pt"),
    "canzoni": "it",
    **dict.fromkeys(_words("lieder musik"), "de"),
}
_LETTER_HINTS: Final = {"ñ": "es", "ã": "pt", "õ": "pt", "ß": "de", "ä": "de", "ö": "de"}


def decade_of(token: str) -> int | None:
    """The decade a token names (``90s``, ``1990s``, ``nineties`` → 1990), or None."""
    if token in _DECADE_WORDS:
        return _DECADE_WORDS[token]
    if match := _SHORT_DECADE.match(token):
        digit = int(match.group(1))
        return 2000 + digit * 10 if digit <= 2 else 1900 + digit * 10
    if match := _LONG_DECADE.match(token):
        return int(match.group(1))
    return None


def vocabulary_matches(ngram: str) -> list[VocabMatch]:
    """Every fixed-vocabulary reading of a normalized n-gram."""
    out: list[VocabMatch] = []
    if ngram in TYPE_WORDS:
        value = TYPE_WORDS[ngram]
        out.append(VocabMatch("type", value, value, TYPE_WORD_CONFIDENCE.get(value, 0.9)))
    decade = decade_of(ngram)
    if decade is not None:
        out.append(VocabMatch("decade", str(decade), f"{decade}s", 0.95))
    if _YEAR.match(ngram):
        out.append(VocabMatch("year", ngram, ngram, 0.7))
    if ngram in LANGUAGE_WORDS:
        code = LANGUAGE_WORDS[ngram]
        out.append(VocabMatch("language", code, ngram, 0.85))
    if ngram in EXPLICIT_WORDS:
        value, confidence = EXPLICIT_WORDS[ngram]
        out.append(VocabMatch("explicit", value, ngram, confidence))
    return out


def guess_language(text: str, tokens: list[str]) -> tuple[str | None, float]:
    """The language a query is typed in, with a confidence; (None, 0) without evidence."""
    scripts: Counter[str] = Counter()
    for char in text:
        code = ord(char)
        for low, high, language in _SCRIPTS:
            if low <= code <= high:
                scripts[language] += 1
                break
    if scripts:
        if scripts["ja"]:
            return "ja", 0.95
        language, count = scripts.most_common(1)[0]
        share = count / max(1, sum(1 for c in text if c.isalpha()))
        return language, round(min(0.95, 0.5 + 0.45 * share), 4)
    votes: dict[str, float] = {}
    for token in tokens:
        for language, words in STOPWORDS.items():
            if token in words:
                votes[language] = votes.get(language, 0.0) + 1.0 / sum(
                    token in w for w in STOPWORDS.values()
                )
        if token in LANGUAGE_WORDS and LANGUAGE_WORDS[token] != "en":
            votes[LANGUAGE_WORDS[token]] = votes.get(LANGUAGE_WORDS[token], 0.0) + 0.5
        if token in _TYPE_WORD_LANGUAGES:
            votes[_TYPE_WORD_LANGUAGES[token]] = votes.get(_TYPE_WORD_LANGUAGES[token], 0.0) + 0.5
    for char, language in _LETTER_HINTS.items():
        if char in text.lower():
            votes[language] = votes.get(language, 0.0) + 1.0
    if not votes:
        return None, 0.0
    ranked = sorted(votes.items(), key=lambda item: -item[1])[:2]
    top, top_votes = ranked[0]
    margin = top_votes - (ranked[1][1] if len(ranked) > 1 else 0.0)
    if margin <= 0:
        return None, 0.0
    return top, round(min(0.9, 0.35 + 0.2 * margin), 4)
