"""Query understanding and its gazetteer on the fixture catalog."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.model import Entity, EntityType
from retrievers.gazetteer import FILENAME, Gazetteer
from retrievers.understanding import QueryParse, QueryUnderstanding, Slot

FIXTURE_CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
FIXTURE_CATALOG /= "fixture_catalog.jsonl"


def _fixture_entities() -> list[Entity]:
    with FIXTURE_CATALOG.open() as handle:
        return [Entity.model_validate_json(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def gazetteer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gazetteer")
    gazetteer = Gazetteer(path)
    gazetteer.upsert(_fixture_entities())
    gazetteer.close()
    return path


@pytest.fixture(scope="module")
def gazetteer(gazetteer_dir: Path) -> Gazetteer:
    return Gazetteer(gazetteer_dir)


@pytest.fixture(scope="module")
def qu(gazetteer: Gazetteer) -> QueryUnderstanding:
    return QueryUnderstanding(gazetteer)


def _best_slots(parse: QueryParse) -> dict[str, Slot]:
    return {slot.kind: slot for slot in parse.interpretations[0].slots}


# -- slots ---------------------------------------------------------------------------


def test_misspelled_artist_with_title_words(qu: QueryUnderstanding) -> None:
    parse = qu.parse("tayler swfit love")
    best = _best_slots(parse)
    assert best["artist"].value == "taylor swift"
    assert best["artist"].display == "Taylor Swift"
    assert best["artist"].fuzzy
    assert (best["artist"].start, best["artist"].end) == (0, 2)
    assert best["title_words"].value == "love"
    assert parse.corrections["tayler swfit"] == "Taylor Swift"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("beatels", "artist", "the beatles"),
        ("metalica enter sandman", "artist", "metallica"),
        ("beyonse crazy in love", "artist", "beyonce"),
        ("dan carlin hardcore histroy", "show", "dan carlins hardcore history"),
        ("crime junk", "show", "crime junkie"),
    ],
)
def test_misspelled_names_resolve(qu: QueryUnderstanding, text: str, kind: str, value: str) -> None:
    slot = _best_slots(qu.parse(text))[kind]
    assert (slot.value, slot.fuzzy) == (value, True)
    assert 0.5 <= slot.confidence < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s rock", {"decade": "1990", "genre": "rock"}),
        ("1990s hip hop", {"decade": "1990", "genre": "hip hop"}),
        ("nineties rock", {"decade": "1990", "genre": "rock"}),
        ("80's pop", {"decade": "1980", "genre": "pop"}),
        ("2010s pop", {"decade": "2010", "genre": "pop"}),
        ("rock songs from 1997", {"genre": "rock", "type": "track", "year": "1997"}),
        ("true crime podcast", {"genre": "true crime", "type": "show"}),
        ("queen", {"artist": "queen"}),
        ("the beatles", {"artist": "the beatles"}),
        ("spanish songs", {"language": "es", "type": "track"}),
        ("k-pop", {"genre": "k pop"}),
        ("explicit rap", {"explicit": "true", "genre": "rap"}),
        ("chanson française", {"genre": "chanson", "language": "fr"}),
        ("podcast about the roman empire", {"type": "show", "tag": "roman empire"}),
        ("sad songs after a breakup", {"mood": "sad", "type": "track", "tag": "breakup"}),
        ("beatles albums", {"artist": "the beatles", "type": "album"}),
    ],
)
def test_best_interpretation_slots(
    qu: QueryUnderstanding, text: str, expected: dict[str, str]
) -> None:
    best = _best_slots(qu.parse(text))
    assert {kind: slot.value for kind, slot in best.items()} == expected
    assert all(slot.confidence >= 0.4 for slot in best.values())


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("someone like you", "someone like you"),
        ("beatels let it be", "let it be"),
        ("bohemian rapsody", "bohemian rhapsody"),
    ],
)
def test_title_words_keep_function_words_and_get_corrected(
    qu: QueryUnderstanding, text: str, title: str
) -> None:
    parse = qu.parse(text)
    titles = {s.value for i in parse.interpretations for s in i.of_kind("title_words")}
    assert title in titles


def test_ambiguous_love_keeps_several_interpretations(qu: QueryUnderstanding) -> None:
    parse = qu.parse("love")
    readings = {(s.kind, s.value) for i in parse.interpretations for s in i.slots}
    assert {("title_words", "love"), ("tag", "love"), ("artist", "love")} <= readings
    assert len(parse.interpretations) >= 3
    assert max(i.confidence for i in parse.interpretations) < 0.6
    assert sum(i.confidence for i in parse.interpretations) == pytest.approx(1.0, abs=1e-3)


def test_weak_artist_name_is_weaker_than_strong_one(qu: QueryUnderstanding) -> None:
    love = next(s for s in qu.parse("love").slots if s.kind == "artist")
    queen = next(s for s in qu.parse("queen").slots if s.kind == "artist")
    assert love.confidence < 0.5 < queen.confidence


@pytest.mark.parametrize("text", ["zzzz qqqq", "", "   ", "!!!", "qxjv"])
def test_unknown_queries_have_no_confident_slot(qu: QueryUnderstanding, text: str) -> None:
    parse = qu.parse(text)
    assert parse.confident_slots(0.5) == []
    assert all(slot.confidence < 0.3 for slot in parse.slots)


# -- aggregates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "likeliest"),
    [
        ("true crime podcast", EntityType.SHOW),
        ("tayler swfit love", EntityType.TRACK),
        ("sad songs after a breakup", EntityType.TRACK),
        ("beatles albums", EntityType.ALBUM),
        ("the beatles", EntityType.ARTIST),
    ],
)
def test_type_probabilities(qu: QueryUnderstanding, text: str, likeliest: EntityType) -> None:
    probabilities = qu.parse(text).type_probabilities
    assert set(probabilities) == set(EntityType)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(probabilities, key=lambda t: probabilities[t]) is likeliest


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("canciones de amor", "es"),
        ("chanson française", "fr"),
        ("canzoni italiane", "it"),
        ("música brasileira", "pt"),
        ("夜に駆ける", "ja"),
        ("봄날", "ko"),
        ("songs for a rainy sunday", "en"),
        ("queen", None),
    ],
)
def test_language_guess(qu: QueryUnderstanding, text: str, language: str | None) -> None:
    parse = qu.parse(text)
    assert parse.language == language
    assert (parse.language_confidence > 0) == (language is not None)


@pytest.mark.parametrize(
    "text", ["tayler swfit love", "90s rock", "love", "zzzz qqqq", "", "夜に駆ける"]
)
def test_parse_json_round_trip(qu: QueryUnderstanding, text: str) -> None:
    parse = qu.parse(text)
    assert QueryParse.model_validate_json(parse.model_dump_json()) == parse


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=80))
def test_parse_never_raises_and_confidences_stay_in_range(
    qu: QueryUnderstanding, text: str
) -> None:
    parse = qu.parse(text)
    confidences = [parse.language_confidence, *parse.type_probabilities.values()]
    confidences += [slot.confidence for slot in parse.slots]
    for interpretation in parse.interpretations:
        confidences += [interpretation.confidence, interpretation.score]
        confidences += [slot.confidence for slot in interpretation.slots]
        assert all(0 <= s.start < s.end <= len(parse.tokens) for s in interpretation.slots)
    assert all(0.0 <= c <= 1.0 for c in confidences)


# -- gazetteer -----------------------------------------------------------------------


def test_gazetteer_statistics(gazetteer: Gazetteer) -> None:
    queen = gazetteer.get("artist", "queen")
    assert queen is not None
    assert (queen.surface, queen.primary) == ("Queen", 1)
    assert queen.max_popularity == 91.0  # Bohemian Rhapsody outshines the artist entity
    assert queen.type_counts["track"] >= 10
    love = gazetteer.get("artist", "love")
    assert love is not None
    assert love.max_popularity < 50
    assert gazetteer.word_frequency("love") > 30
    assert gazetteer.get("genre", "r b") is not None  # r&b, normalized
    assert gazetteer.is_known("rhapsody")
    assert not gazetteer.is_known("rapsody")


def test_gazetteer_save_and_reload_give_identical_parses(
    gazetteer_dir: Path, qu: QueryUnderstanding, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(gazetteer_dir, copy)
    reloaded = QueryUnderstanding(Gazetteer(copy))
    for text in ("tayler swfit love", "90s rock", "love", "true crime podcast", "beatels"):
        assert reloaded.parse(text) == qu.parse(text)
    assert len(reloaded.gazetteer) == len(qu.gazetteer)


def _entity(eid: str, title: str, **fields: object) -> Entity:
    return Entity.model_validate({"id": eid, "type": "track", "title": title, **fields})


def test_gazetteer_follows_upserts_and_deletes(tmp_path: Path) -> None:
    gazetteer = Gazetteer(tmp_path)
    gazetteer.upsert(
        [
            _entity("a", "Galang", artists=["M.I.A."], popularity=70, genres=["hip hop"]),
            _entity("b", "Paper Planes", artists=["M.I.A."], popularity=90),
            _entity("c", "Paper Moon", artists=["Ella Fitzgerald"], popularity=40),
        ]
    )
    mia = gazetteer.get("artist", "m i a")
    assert mia is not None
    assert (mia.count, mia.max_popularity) == (2, 90.0)
    assert gazetteer.word_frequency("paper") == 2

    gazetteer.delete(["b", "unknown-id"])  # the most popular holder leaves
    mia = gazetteer.get("artist", "m i a")
    assert mia is not None
    assert (mia.count, mia.max_popularity) == (1, 70.0)
    assert gazetteer.word_frequency("paper") == 1

    gazetteer.upsert([_entity("c", "Paper Moon", artists=["Nat King Cole"], popularity=30)])
    assert gazetteer.get("artist", "ella fitzgerald") is None
    assert gazetteer.lookup("ella fitzgerald") == []
    assert gazetteer.fuzzy_lookup("ella fitzgerlad", score_cutoff=80) == []
    assert gazetteer.get("artist", "nat king cole") is not None
    assert [h.stats.name for h in gazetteer.fuzzy_lookup("nat king kole", score_cutoff=80)] == [
        "nat king cole"
    ]

    gazetteer.delete(["a"])
    assert gazetteer.get("genre", "hip hop") is None
    gazetteer.close()

    reopened = Gazetteer(tmp_path)
    assert reopened.get("artist", "m i a") is None
    assert reopened.get("artist", "nat king cole") is not None
    assert reopened.entity_count == 1


def test_gazetteer_schema_version_mismatch_is_refused(tmp_path: Path) -> None:
    Gazetteer(tmp_path).close()
    conn = sqlite3.connect(tmp_path / FILENAME)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(RuntimeError, match=r"schema version 99.*rebuild"):
        Gazetteer(tmp_path)
