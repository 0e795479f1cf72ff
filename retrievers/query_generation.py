"""Predicted queries: what a listener would type to find an entity, and how sure that is.

The Q2E memory starts cold from these predictions, and the ranker's cold start
uses them as synthetic training queries, so the generator is general: for any
entity, :func:`predicted_queries` lists the queries that plausibly mean it,
each with a *predicted score* in (0, 1] — an estimate of P(this entity is
what the listener wants | this query).

The score is a product of three factors, all computed from the entity alone
so the output is deterministic and needs no catalog statistics:

* the **kind** of query (``artist title`` is near-unambiguous, an artist name
  typed to find one of their tracks is weak, a genre phrase weaker still);
* the **specificity** of the title: a title made of generic words (``Love``,
  ``Home``) is shared by many entities, a distinctive one (``Bohemian
  Rhapsody``) is not — the same intuition as inverse document frequency,
  approximated by a small list of generic title words;
* **popularity**: among entities answering the same query, the popular one is
  the likelier intent (a popularity prior, as in web search).

Misspellings follow the error classes documented for spelling correction
(Damerau 1964; Kukich, "Techniques for automatically correcting words in
text", 1992): phonetic confusions (ph/f, c/k), ``ie``/``ei``, dropped or
doubled letters, vowel confusions and adjacent transpositions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import Entity, EntityType
from retrievers.normalize import normalize_query


class QueryKind(StrEnum):
    """How a predicted query refers to its entity."""

    TITLE = "title"
    """The entity's own name (track title, artist name, show title, ...)."""
    TITLE_VARIANT = "title_variant"
    """The name without a version or featuring suffix, or without a leading "the"."""
    ARTIST_TITLE = "artist_title"
    TITLE_ARTIST = "title_artist"
    TITLE_BY_ARTIST = "title_by_artist"
    SHOW_TITLE = "show_title"
    """An episode's show followed by its title."""
    ARTIST = "artist"
    """A credited artist's name, typed to find one of their works (weak)."""
    ALBUM = "album"
    """A track's album title (weak)."""
    SHOW = "show"
    """An episode's show title (weak), or a show's host."""
    FACET = "facet"
    """A genre, mood or decade phrase (popular entities only)."""
    MISSPELLING = "misspelling"


@dataclass(frozen=True, slots=True)
class PredictedQuery:
    """One query a listener might type for an entity, with its predicted score."""

    text: str
    normalized: str
    """``normalize_query(text)``: the memory's key."""
    score: float
    """Predicted P(entity | query), in (0, 1]."""
    kind: QueryKind


class GenerationConfig(BaseModel):
    """Which queries are predicted and how they are scored (``LTRR_MEMORY__GENERATION__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind_weights: dict[QueryKind, float] = Field(
        default_factory=lambda: {
            QueryKind.TITLE: 0.75,
            QueryKind.TITLE_VARIANT: 0.5,
            QueryKind.ARTIST_TITLE: 0.95,
            QueryKind.TITLE_ARTIST: 0.9,
            QueryKind.TITLE_BY_ARTIST: 0.9,
            QueryKind.SHOW_TITLE: 0.9,
            QueryKind.ARTIST: 0.25,
            QueryKind.ALBUM: 0.2,
            QueryKind.SHOW: 0.2,
            QueryKind.FACET: 0.12,
        },
        description="Base score per kind before specificity and popularity.",
    )
    own_name_weight: float = Field(
        default=0.95, gt=0, le=1, description="Base score of an artist's or show's own name."
    )
    popularity_floor: float = Field(
        default=0.4, ge=0, le=1, description="Popularity factor at popularity 0 (1 at 100)."
    )
    generic_floor: float = Field(
        default=0.35, gt=0, le=1, description="Specificity of a title made only of generic words."
    )
    misspelling_factor: float = Field(default=0.8, gt=0, le=1)
    misspelling_min_popularity: float = Field(default=40.0, ge=0, le=100)
    max_misspellings: int = Field(default=4, ge=0, le=32)
    facet_min_popularity: float = Field(default=50.0, ge=0, le=100)
    max_facets: int = Field(default=6, ge=0, le=32)
    min_score: float = Field(default=0.001, gt=0, le=1)


_GENERIC_TEXT: Final = """
    a an the and or of in on to for with at by from my your our me you i we it is be
    love baby heart night day time life girl boy man woman world home song songs music
    dance dream dreams light fire rain summer tonight forever again away back down up
    good bad sweet blue gold golden feel go come stay run hold let want need know say
    one two all no yes oh hey more best new old little young wild free lost alone
    amor corazon vida noche mi tu te el la le les de des un une mon ton je il sur
    episode part intro outro interlude remix version live edit mix feat"""
GENERIC_WORDS: Final = frozenset(_GENERIC_TEXT.split())
"""Words that many titles share: a title made of them alone says little."""

_VERSION_SUFFIX: Final = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*|\s+-\s+.*$|\s+feat\..*$", re.I)

_MIN_MISSPELL_LEN: Final = 4
_VOWEL_SWAP: Final = {"a": "e", "e": "a", "i": "e", "o": "a", "u": "o"}
_INNER_VOWEL: Final = re.compile(r"(?<=[b-df-hj-np-tv-z])[aeiou](?=[b-df-hj-np-tv-z])")

Rule = Callable[[str], str]
"""Rewrites one token (or returns it unchanged when the rule does not apply)."""


def _substitute(pattern: str, replacement: str) -> Rule:
    compiled = re.compile(pattern)
    return lambda token: compiled.sub(replacement, token, count=1)


def _vowel_confusion(token: str) -> str:
    """The first vowel between two consonants replaced by the one listeners confuse it with."""
    match = _INNER_VOWEL.search(token)
    if match is None:
        return token
    return token[: match.start()] + _VOWEL_SWAP[match.group()] + token[match.end() :]


def _transposition(token: str) -> str:
    """The two middle letters swapped (``swift`` -> ``swfit``)."""
    i = (len(token) - 1) // 2
    return token[:i] + token[i + 1] + token[i] + token[i + 2 :]


RULES: Final[tuple[Rule, ...]] = (
    _substitute(r"ph", "f"),  # phonetic: ph/f
    _substitute(r"^f", "ph"),
    _substitute(r"or$", "er"),  # unstressed ending: taylor -> tayler
    _substitute(r"les$", "els"),  # transposed ending: beatles -> beatels
    _substitute(r"le$", "el"),
    _substitute(r"ie", "ei"),  # ie/ei
    _substitute(r"ei", "ie"),
    _substitute(r"ck", "k"),  # c/k/s
    _substitute(r"c(?=[aou])", "k"),
    _substitute(r"c(?=[eiy])", "s"),
    _substitute(r"(?<=[aeiou])s(?=[aeiou])", "z"),
    _substitute(r"y$", "ie"),
    _substitute(r"ie$", "y"),
    _substitute(r"([a-z])\1", r"\1"),  # dropped double letter
    _vowel_confusion,
    _transposition,
    _substitute(r"(?<=[aeiou])([bdfglmnprt])(?=[aeiou])", r"\1\1"),  # doubled letter
)
"""Misspelling rules, most common error first."""


def misspellings(name: str, limit: int = 4) -> list[str]:
    """Up to ``limit`` common misspellings of ``name``, normalized, most likely first.

    Each variant changes one token (ASCII letters only, at least four long) by
    one rule; rules are tried in order of how often listeners make that error,
    and within a rule distinctive tokens first, longest first.

    >>> misspellings("Taylor Swift", 1)
    ['tayler swift']
    """
    tokens = normalize_query(name).split()
    eligible = sorted(
        (i for i, t in enumerate(tokens) if len(t) >= _MIN_MISSPELL_LEN and t.isascii()),
        key=lambda i: (tokens[i] in GENERIC_WORDS, -len(tokens[i]), i),
    )
    if not tokens or not eligible or limit <= 0:
        return []
    original = " ".join(tokens)
    found: dict[str, None] = {}
    for rule in RULES:
        for i in eligible:
            if not tokens[i].isalpha():
                continue
            variant = rule(tokens[i])
            if variant != tokens[i]:
                text = " ".join([*tokens[:i], variant, *tokens[i + 1 :]])
                if text != original:
                    found.setdefault(text, None)
            if len(found) >= limit:
                return list(found)
    return list(found)


def specificity(title: str, floor: float = 0.35) -> float:
    """How distinctive a title is, in [floor, 1]: the share of non-generic words."""
    tokens = normalize_query(title).split()
    if not tokens:
        return floor
    informative = sum(1 for t in tokens if t not in GENERIC_WORDS and not t.isdigit())
    if informative == 0:
        return floor
    share = informative / len(tokens)
    return floor + (1.0 - floor) * share


def _normalized(*parts: str) -> str:
    """``normalize_query`` of the parts joined by spaces.

    ASCII text normalizes token by token (case, apostrophes, separators), so
    ASCII parts are normalized one by one — each through the shared cache —
    instead of as one new string; other text is normalized whole.
    """
    if all(part.isascii() for part in parts):
        return " ".join(n for n in map(normalize_query, parts) if n)
    return normalize_query(" ".join(parts))


def base_title(title: str) -> str:
    """The title without version, featuring or remaster suffixes and bracketed parts."""
    stripped = _VERSION_SUFFIX.sub(" ", title).strip()
    return stripped or title


class _Builder:
    """Collects queries for one entity, keeping the best score per normalized text."""

    def __init__(self, entity: Entity, config: GenerationConfig) -> None:
        self.entity = entity
        self.config = config
        floor = config.popularity_floor
        self.popularity = floor + (1.0 - floor) * entity.popularity / 100.0
        self.found: dict[str, PredictedQuery] = {}

    def add(self, text: str, kind: QueryKind, score: float, *parts: str) -> None:
        """Add ``text`` (made of ``parts`` joined by spaces, when given)."""
        normalized = _normalized(*parts) if parts else normalize_query(text)
        if not normalized:
            return
        score = min(1.0, max(self.config.min_score, score))
        known = self.found.get(normalized)
        if known is None or score > known.score:
            self.found[normalized] = PredictedQuery(text, normalized, score, kind)

    def weight(self, kind: QueryKind) -> float:
        return self.config.kind_weights.get(kind, 0.0)

    def result(self) -> list[PredictedQuery]:
        return sorted(self.found.values(), key=lambda q: (-q.score, q.normalized))


def predicted_queries(
    entity: Entity, config: GenerationConfig | None = None
) -> list[PredictedQuery]:
    """The queries that plausibly mean ``entity``, best first (deterministic)."""
    cfg = config or GenerationConfig()
    b = _Builder(entity, cfg)
    if entity.type in (EntityType.ARTIST, EntityType.SHOW):
        _own_name(b)
    else:
        _work(b)
    _facets(b)
    _misspelled(b)
    return b.result()


def _own_name(b: _Builder) -> None:
    """Artists and shows: their name is the query, with "podcast" or a host for shows."""
    e, cfg = b.entity, b.config
    name = e.title
    score = cfg.own_name_weight * b.popularity * (0.85 + 0.15 * specificity(name))
    b.add(name, QueryKind.TITLE, score)
    words = normalize_query(name).split()
    if len(words) > 1 and words[0] == "the":
        b.add(" ".join(words[1:]), QueryKind.TITLE_VARIANT, score * 0.9)
    if e.type is EntityType.SHOW:
        b.add(f"{name} podcast", QueryKind.TITLE_VARIANT, score * 0.95, name, "podcast")
        host = e.attributes.get("host")
        if isinstance(host, str) and host.strip():
            b.add(host, QueryKind.SHOW, b.weight(QueryKind.SHOW) * 2 * b.popularity)


def _work(b: _Builder) -> None:
    """Tracks, albums, playlists, episodes: title alone and with its artist or show."""
    e = b.entity
    spec = specificity(e.title, b.config.generic_floor)
    combined = 0.85 + 0.15 * spec
    titles = [(e.title, 1.0)]
    plain = base_title(e.title)
    if normalize_query(plain) != normalize_query(e.title):
        titles.append((plain, 0.7))
    for title, factor in titles:
        kind = QueryKind.TITLE if factor == 1.0 else QueryKind.TITLE_VARIANT
        b.add(title, kind, b.weight(QueryKind.TITLE) * spec * b.popularity * factor)
        if e.artists:
            artist = e.artists[0]
            for combination, parts in (
                (QueryKind.ARTIST_TITLE, (artist, title)),
                (QueryKind.TITLE_ARTIST, (title, artist)),
                (QueryKind.TITLE_BY_ARTIST, (title, "by", artist)),
            ):
                score = b.weight(combination) * combined * b.popularity * factor
                b.add(" ".join(parts), combination, score, *parts)
        if e.show:
            score = b.weight(QueryKind.SHOW_TITLE) * combined * b.popularity * factor
            b.add(f"{e.show} {title}", QueryKind.SHOW_TITLE, score, e.show, title)
    if e.type is not EntityType.PLAYLIST:
        for position, artist in enumerate(e.artists[:2]):
            score = b.weight(QueryKind.ARTIST) * b.popularity / (1 + position)
            b.add(artist, QueryKind.ARTIST, score)
    if e.album and e.type is EntityType.TRACK:
        b.add(e.album, QueryKind.ALBUM, b.weight(QueryKind.ALBUM) * b.popularity)
    if e.show:
        b.add(e.show, QueryKind.SHOW, b.weight(QueryKind.SHOW) * b.popularity)


def _decade_label(year: int) -> str:
    decade = year // 10 * 10
    return f"{decade % 100:02d}s" if decade < 2000 else f"{decade}s"


def _facet_phrases(e: Entity) -> Iterator[str]:
    """Genre phrases with the decade first (``90s rock``), then moods, most telling first."""
    genres = e.genres[:3]
    mood = e.moods[0] if e.moods else None
    if e.type in (EntityType.SHOW, EntityType.EPISODE):
        for genre in genres[:1]:
            yield f"{genre} podcast"
            yield f"{genre} podcasts"
        return
    decade = None if e.release_year is None else _decade_label(e.release_year)
    for n, genre in enumerate(genres):
        if decade is not None:
            yield f"{decade} {genre}"
        if n == 0:
            yield genre
            if mood:
                yield f"{mood} songs"
    yield from genres[1:]
    if mood and genres:
        yield f"{mood} {genres[0]}"


def _facets(b: _Builder) -> None:
    """Genre, decade and mood phrases, for popular entities only (they are ambiguous)."""
    e, cfg = b.entity, b.config
    if e.popularity < cfg.facet_min_popularity or cfg.max_facets == 0:
        return
    score = b.weight(QueryKind.FACET) * (e.popularity / 100.0) ** 2
    for n, phrase in enumerate(_facet_phrases(e)):
        if n >= cfg.max_facets:
            break
        b.add(phrase, QueryKind.FACET, score)


def _misspelled(b: _Builder) -> None:
    """Misspelled names of popular entities, scored a little below the correct form."""
    e, cfg = b.entity, b.config
    if e.popularity < cfg.misspelling_min_popularity or cfg.max_misspellings == 0:
        return
    own = b.found.get(normalize_query(e.title))
    title_score = (own.score if own else cfg.min_score) * cfg.misspelling_factor
    budget = cfg.max_misspellings
    variants: list[tuple[tuple[str, ...], float]] = [
        ((v,), title_score) for v in misspellings(e.title, 2)
    ]
    if e.artists and e.type is not EntityType.ARTIST:
        artist = normalize_query(e.artists[0])
        title = normalize_query(e.title)
        pair = b.found.get(_normalized(artist, title))
        pair_score = (pair.score if pair else cfg.min_score) * cfg.misspelling_factor
        variants += [((v, title), pair_score) for v in misspellings(artist, 1)]
        variants += [((artist, v), pair_score) for v in misspellings(title, 1)]
    for parts, score in variants[:budget]:
        if _normalized(*parts) not in b.found:
            b.add(" ".join(parts), QueryKind.MISSPELLING, score, *parts)
