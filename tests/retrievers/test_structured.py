"""Structured search on the fixture catalog: interpretations as fielded tantivy queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.model import Entity, EntityType
from retrievers.base import (
    QuerySupport,
    RetrievalQuery,
    Retriever,
    SearchFilters,
    SupportEstimator,
)
from retrievers.bm25 import TantivyBM25
from retrievers.gazetteer import Gazetteer
from retrievers.structured import StructuredConfig, StructuredSearch
from retrievers.understanding import QueryUnderstanding

FIXTURE_CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
FIXTURE_CATALOG /= "fixture_catalog.jsonl"


@pytest.fixture(scope="module")
def entities() -> dict[str, Entity]:
    with FIXTURE_CATALOG.open() as handle:
        parsed = [Entity.model_validate_json(line) for line in handle if line.strip()]
    return {entity.id: entity for entity in parsed}


@pytest.fixture(scope="module")
def structured(
    entities: dict[str, Entity], tmp_path_factory: pytest.TempPathFactory
) -> StructuredSearch:
    data_dir = tmp_path_factory.mktemp("structured")
    bm25 = TantivyBM25(data_dir / "bm25")
    bm25.upsert(entities.values())
    gazetteer = Gazetteer(data_dir / "gazetteer")
    gazetteer.upsert(entities.values())
    return StructuredSearch(bm25, QueryUnderstanding(gazetteer))


def _top(
    structured: StructuredSearch,
    entities: dict[str, Entity],
    text: str,
    k: int = 10,
    filters: SearchFilters | None = None,
) -> list[Entity]:
    found = structured.search(RetrievalQuery(text, filters or SearchFilters()), k)
    return [entities[c.entity_id] for c in found]


def _is_taylor_swift_love_story(entity: Entity) -> bool:
    return entity.title == "Love Story" and entity.artists == ["Taylor Swift"]


def test_is_a_retriever(structured: StructuredSearch) -> None:
    assert isinstance(structured, Retriever)
    assert structured.name == "structured"


@pytest.mark.parametrize(
    "text", ["tayler swfit love", "taylor swift love story", "taylor swift love"]
)
def test_misspelled_artist_and_title_find_love_story(
    structured: StructuredSearch, entities: dict[str, Entity], text: str
) -> None:
    top = _top(structured, entities, text, k=5)
    assert any(_is_taylor_swift_love_story(e) for e in top)
    assert all("Taylor Swift" in e.artists or e.title == "Taylor Swift" for e in top)


@pytest.mark.parametrize(
    ("text", "genre", "first", "last"),
    [
        ("90s rock", "rock", 1990, 1999),
        ("nineties rock", "rock", 1990, 1999),
        ("90s hip hop", "hip hop", 1990, 1999),
        ("70s classic rock", "classic rock", 1970, 1979),
    ],
)
def test_decade_and_genre_are_hard_constraints(
    structured: StructuredSearch,
    entities: dict[str, Entity],
    text: str,
    genre: str,
    first: int,
    last: int,
) -> None:
    found = _top(structured, entities, text, k=500)
    assert len(found) >= 5
    for entity in found:
        assert genre in entity.genres, entity.id
        assert entity.release_year is not None
        assert first <= entity.release_year <= last, entity.id


def test_90s_rock_brings_the_judged_hits(
    structured: StructuredSearch, entities: dict[str, Entity]
) -> None:
    ids = {e.id for e in _top(structured, entities, "90s rock", k=30)}
    assert {
        "fx:track:smells-like-teen-spirit-nirvana",
        "fx:track:wonderwall-oasis",
        "fx:track:creep-radiohead",
        "fx:album:nevermind",
    } <= ids


@pytest.mark.parametrize(("text", "genre"), [("true crime podcast", "true crime")])
def test_podcast_genre_returns_shows_first(
    structured: StructuredSearch, entities: dict[str, Entity], text: str, genre: str
) -> None:
    found = _top(structured, entities, text, k=50)
    shows = [e for e in entities.values() if e.type is EntityType.SHOW and genre in e.genres]
    assert [e.type for e in found[: len(shows)]] == [EntityType.SHOW] * len(shows)
    assert {e.id for e in found[: len(shows)]} == {e.id for e in shows}
    assert all(e.type in (EntityType.SHOW, EntityType.EPISODE) for e in found)
    assert all(genre in e.genres for e in found)


def test_artist_query_yields_the_artist_then_its_top_tracks(
    structured: StructuredSearch, entities: dict[str, Entity]
) -> None:
    found = _top(structured, entities, "queen", k=8)
    assert found[0].id == "fx:artist:queen"
    tracks = [e for e in found[1:] if e.type is EntityType.TRACK]
    assert len(tracks) >= 5
    assert all("Queen" in e.artists for e in found[1:])  # no Queen Latifah, no Dancing Queen
    popularity = [e.popularity for e in tracks]
    assert popularity == sorted(popularity, reverse=True)
    best = max(
        (e for e in entities.values() if e.type is EntityType.TRACK and "Queen" in e.artists),
        key=lambda e: e.popularity,
    )
    assert tracks[0].id == best.id


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("serial podcast", "fx:show:serial"),
        ("crime junk", "fx:show:crime-junkie"),
        ("dan carlin hardcore histroy", "fx:show:dan-carlins-hardcore-history"),
    ],
)
def test_show_query_yields_the_show_then_its_episodes(
    structured: StructuredSearch, entities: dict[str, Entity], text: str, first: str
) -> None:
    found = _top(structured, entities, text, k=4)
    assert found[0].id == first
    assert [e.show_id for e in found[1:]] == [first] * (len(found) - 1)
    assert len(found) > 1


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("beatels", "fx:artist:the-beatles"),
        ("metalica", "fx:artist:metallica"),
        ("beyonse", "fx:artist:beyonce"),
    ],
)
def test_misspelled_artist_resolves(
    structured: StructuredSearch, entities: dict[str, Entity], text: str, first: str
) -> None:
    assert _top(structured, entities, text, k=1)[0].id == first


@pytest.mark.parametrize(
    "text", ["zzzz qqqq", "", "!!!", "bohemian rhapsody", "someone like you", "clean"]
)
def test_no_anchor_no_candidates(structured: StructuredSearch, text: str) -> None:
    """Without a recognized constraint (title words only) structured search stays silent."""
    assert structured.search(RetrievalQuery(text), 50) == []


def test_ambiguous_query_runs_only_its_plausible_readings(
    structured: StructuredSearch, entities: dict[str, Entity]
) -> None:
    found = _top(structured, entities, "love", k=100)
    assert found
    assert all("love" in e.tags for e in found)  # the tag reading; the band Love is too weak
    songs = _top(structured, entities, "love songs", k=100)
    assert all(e.type is EntityType.TRACK for e in songs)
    assert all("love" in e.tags or e.artists == ["Love"] for e in songs)  # or songs by Love
    assert sum("love" in e.tags for e in songs) > len(songs) / 2


FILTER_CASES = [
    SearchFilters(types=[EntityType.ALBUM]),
    SearchFilters(types=[EntityType.TRACK], explicit=False),
    SearchFilters(year_min=1995),
    SearchFilters(languages=["en"]),
    SearchFilters(genres=["grunge"]),
    SearchFilters(types=[EntityType.EPISODE], year_min=2019),
]


@pytest.mark.parametrize("filters", FILTER_CASES)
def test_request_filters_hold_for_every_result(
    structured: StructuredSearch, entities: dict[str, Entity], filters: SearchFilters
) -> None:
    for text in ("90s rock", "queen", "true crime podcast", "tayler swfit love", "love"):
        for entity in _top(structured, entities, text, k=200, filters=filters):
            assert filters.matches(entity), (text, entity.id)


def test_candidates_are_ranked_and_named(structured: StructuredSearch) -> None:
    candidates = structured.search(RetrievalQuery("90s rock"), 15)
    assert len(candidates) == 15
    assert [c.rank for c in candidates] == list(range(1, 16))
    assert all(c.strategy == "structured" for c in candidates)
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert structured.search(RetrievalQuery("90s rock"), 0) == []


def test_search_parsed_reuses_a_parse(structured: StructuredSearch) -> None:
    parse = structured.understanding.parse("queen")
    assert structured.search_parsed(parse, SearchFilters(), 10) == structured.search(
        RetrievalQuery("queen"), 10
    )


def test_stricter_anchor_threshold_silences_weak_readings(
    structured: StructuredSearch,
) -> None:
    strict = StructuredSearch(
        structured.bm25, structured.understanding, StructuredConfig(min_slot_confidence=0.95)
    )
    assert strict.search(RetrievalQuery("love"), 20) == []
    assert strict.search(RetrievalQuery("90s rock"), 20)  # the decade reads at 0.95


def test_support_is_zero_without_an_anchor(structured: StructuredSearch) -> None:
    """Title words alone: structured search would return nothing, and says so up front."""
    assert isinstance(structured, SupportEstimator)
    for text in ("bohemian rhapsody", "zzzz qqqq", ""):
        assert structured.support(RetrievalQuery(text)) == QuerySupport(matches=0, coverage=0.0)


def test_support_bounds_what_an_anchored_query_returns(structured: StructuredSearch) -> None:
    """A genre matches many entities, an artist few; each is at least what the search finds."""
    for text in ("90s rock", "taylor swift", "rock"):
        support = structured.support(RetrievalQuery(text))
        assert 0.0 < support.coverage <= 1.0
        assert support.matches >= len(structured.search(RetrievalQuery(text), 1000)) > 0
    rock = structured.support(RetrievalQuery("rock")).matches
    assert structured.support(RetrievalQuery("90s rock")).matches <= rock
