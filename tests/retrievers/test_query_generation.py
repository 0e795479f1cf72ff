from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.ingest import CatalogReader, Upsert
from catalog.model import Entity, EntityType
from retrievers.normalize import normalize_query
from retrievers.query_generation import (
    GenerationConfig,
    PredictedQuery,
    QueryKind,
    base_title,
    misspellings,
    predicted_queries,
    specificity,
)

FIXTURE_CATALOG = (
    Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / ("fixture_catalog.jsonl")
)


@pytest.fixture(scope="module")
def catalog() -> dict[str, Entity]:
    changes = CatalogReader(FIXTURE_CATALOG, strict=True)
    return {c.entity.id: c.entity for c in changes if isinstance(c, Upsert)}


def by_text(queries: list[PredictedQuery]) -> dict[str, PredictedQuery]:
    return {q.normalized: q for q in queries}


def track(title: str, popularity: float, **fields: object) -> Entity:
    return Entity.model_validate(
        {
            "id": "t:1",
            "type": "track",
            "title": title,
            "artists": ["Some Artist"],
            "popularity": popularity,
            **fields,
        }
    )


def test_track_queries_cover_title_artist_combinations(catalog: dict[str, Entity]) -> None:
    queries = by_text(predicted_queries(catalog["fx:track:love-story-taylor-swift"]))
    expected = {
        "love story": QueryKind.TITLE,
        "taylor swift love story": QueryKind.ARTIST_TITLE,
        "love story taylor swift": QueryKind.TITLE_ARTIST,
        "love story by taylor swift": QueryKind.TITLE_BY_ARTIST,
        "taylor swift": QueryKind.ARTIST,
        "fearless": QueryKind.ALBUM,
        "tayler swift love story": QueryKind.MISSPELLING,
    }
    for text, kind in expected.items():
        assert queries[text].kind is kind, text
    assert queries["taylor swift love story"].score > queries["love story"].score
    assert queries["love story"].score > queries["taylor swift"].score


def test_artist_name_means_the_artist_more_than_a_track(catalog: dict[str, Entity]) -> None:
    artist = by_text(predicted_queries(catalog["fx:artist:taylor-swift"]))
    song = by_text(predicted_queries(catalog["fx:track:love-story-taylor-swift"]))
    assert artist["taylor swift"].kind is QueryKind.TITLE
    assert artist["taylor swift"].score > 3 * song["taylor swift"].score
    assert artist["tayler swift"].kind is QueryKind.MISSPELLING


def test_leading_article_and_misspelling_of_band_names(catalog: dict[str, Entity]) -> None:
    beatles = by_text(predicted_queries(catalog["fx:artist:the-beatles"]))
    assert beatles["beatles"].kind is QueryKind.TITLE_VARIANT
    assert "the beatels" in beatles


def test_versions_also_answer_the_plain_title(catalog: dict[str, Entity]) -> None:
    version = catalog["fx:track:love-story-taylors-version-taylor-swift"]
    original = catalog["fx:track:love-story-taylor-swift"]
    v, o = by_text(predicted_queries(version)), by_text(predicted_queries(original))
    assert v["love story"].kind is QueryKind.TITLE_VARIANT
    assert v["taylor swift love story"].kind is QueryKind.ARTIST_TITLE
    assert v["taylor swift love story"].score < o["taylor swift love story"].score
    assert v["taylor swift love story taylors version"].score > v["taylor swift love story"].score


def test_episode_and_show_queries(catalog: dict[str, Entity]) -> None:
    show = by_text(predicted_queries(catalog["fx:show:serial"]))
    assert show["serial"].kind is QueryKind.TITLE
    assert "serial podcast" in show
    assert "true crime podcast" in show
    episode = catalog["fx:episode:serial-the-alibi"]
    queries = by_text(predicted_queries(episode))
    assert queries[normalize_query(f"{episode.show} {episode.title}")].kind is QueryKind.SHOW_TITLE
    assert queries["serial"].kind is QueryKind.SHOW


def test_facets_for_popular_entities_only(catalog: dict[str, Entity]) -> None:
    nirvana = by_text(predicted_queries(catalog["fx:track:smells-like-teen-spirit-nirvana"]))
    assert nirvana["90s rock"].kind is QueryKind.FACET
    assert nirvana["90s rock"].score < 0.2
    obscure = track("Smells Like Teen Spirit", 20, genres=["rock"], release_year=1991)
    assert all(q.kind is not QueryKind.FACET for q in predicted_queries(obscure))


def test_generic_titles_score_lower_than_distinctive_ones() -> None:
    generic = by_text(predicted_queries(track("Love", 60)))["love"]
    distinctive = by_text(predicted_queries(track("Bohemian Rhapsody", 60)))["bohemian rhapsody"]
    assert generic.score < 0.6 * distinctive.score
    assert specificity("Love") < specificity("Love Story") < specificity("Bohemian Rhapsody")


def test_popularity_raises_every_score() -> None:
    low = by_text(predicted_queries(track("Bohemian Rhapsody", 10)))
    high = by_text(predicted_queries(track("Bohemian Rhapsody", 95)))
    for text, query in low.items():
        assert high[text].score > query.score, text


def test_every_fixture_entity_gets_valid_deterministic_queries(
    catalog: dict[str, Entity],
) -> None:
    for entity in catalog.values():
        queries = predicted_queries(entity)
        assert queries == predicted_queries(entity)
        assert normalize_query(entity.title) in by_text(queries)
        assert len({q.normalized for q in queries}) == len(queries)
        assert [q.score for q in queries] == sorted((q.score for q in queries), reverse=True)
        for q in queries:
            assert 0.0 < q.score <= 1.0
            assert q.normalized == normalize_query(q.text) != ""


def test_config_switches_off_misspellings_and_facets(catalog: dict[str, Entity]) -> None:
    config = GenerationConfig(max_misspellings=0, max_facets=0)
    kinds = {q.kind for q in predicted_queries(catalog["fx:track:love-story-taylor-swift"], config)}
    assert QueryKind.MISSPELLING not in kinds
    assert QueryKind.FACET not in kinds
    with pytest.raises(ValueError, match="extra"):
        GenerationConfig(max_typos=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Taylor Swift", "tayler swift"),  # unstressed ending
        ("The Beatles", "the beatels"),  # transposed ending
        ("Phil Collins", "fil collins"),  # ph/f
        ("Beyoncé", "beyonse"),  # c/s
        ("Led Zeppelin", "led zepelin"),  # dropped double letter
        ("Billie Eilish", "billei eilish"),  # ie/ei
        ("Taylor Swift", "taylor swfit"),  # adjacent transposition
        ("Bohemian Rhapsody", "bohemian rhapsodie"),  # y/ie
    ],
)
def test_misspellings(name: str, expected: str) -> None:
    assert expected in misspellings(name, limit=8)


@pytest.mark.parametrize("name", ["ABC", "夜に駆ける", "", "!!!", "2Pac 1996"])
def test_no_misspellings_without_long_latin_words(name: str) -> None:
    assert misspellings(name) == []


def test_misspellings_respect_limit_and_differ_from_the_name() -> None:
    variants = misspellings("Red Hot Chili Peppers", limit=3)
    assert len(variants) == 3
    assert "red hot chili peppers" not in variants


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Love Story (Taylor's Version)", "Love Story"),
        ("Bohemian Rhapsody - Remastered 2011", "Bohemian Rhapsody"),
        ("Old Town Road feat. Billy Ray Cyrus", "Old Town Road"),
        ("(Where Do I Begin?) Love Story", "Love Story"),
        ("Bohemian Rhapsody", "Bohemian Rhapsody"),
        ("(Untitled)", "(Untitled)"),
    ],
)
def test_base_title(title: str, expected: str) -> None:
    assert base_title(title) == expected


def test_types_without_artist_still_get_title_queries() -> None:
    playlist = Entity(id="p:1", type=EntityType.PLAYLIST, title="Lo-Fi Beats", popularity=70)
    queries = by_text(predicted_queries(playlist))
    assert queries["lo fi beats"].kind is QueryKind.TITLE


_names = st.text(min_size=1, max_size=30).filter(lambda t: t.strip() != "")


@settings(max_examples=150, deadline=None)
@given(
    title=_names,
    artist=_names,
    popularity=st.floats(min_value=0, max_value=100),
    kind=st.sampled_from(list(EntityType)),
)
def test_predictions_are_keyed_by_the_shared_normalization(
    title: str, artist: str, popularity: float, kind: EntityType
) -> None:
    entity = Entity(id="x:1", type=kind, title=title, artists=[artist], popularity=popularity)
    for query in predicted_queries(entity):
        assert query.normalized == normalize_query(query.text) != ""
        assert 0.0 < query.score <= 1.0
