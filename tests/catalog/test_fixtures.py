"""Integrity and coverage checks for the hand-written fixture catalog and its judged queries.

The fixture files under ``catalog/fixtures`` pin retrieval quality in later tests, so these
checks make sure they stay loadable, self-consistent and keep the deliberate collisions and
decoys (title clashes on "love", covers of "Bohemian Rhapsody", 90s rock versus other decades,
true-crime versus fiction podcasts) that make the judged queries meaningful.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import catalog
from catalog.model import Entity, EntityType

FIXTURES = Path(catalog.__file__).resolve().parent / "fixtures"
CATALOG_PATH = FIXTURES / "fixture_catalog.jsonl"
QUERIES_PATH = FIXTURES / "fixture_queries.tsv"
QRELS_PATH = FIXTURES / "fixture_qrels.txt"

QUERY_KINDS = frozenset({"spear", "misspell", "partial", "attr", "desc", "artist", "lang"})
REQUIRED_LANGUAGES = frozenset({"es", "fr", "de", "pt", "ja", "ko", "it"})
GRADES = frozenset({1, 2, 3})


@dataclass(frozen=True)
class Judgment:
    """One TREC qrels line: ``qid 0 entity_id grade``."""

    qid: str
    entity_id: str
    grade: int


@cache
def entities() -> tuple[Entity, ...]:
    lines = CATALOG_PATH.read_text(encoding="utf-8").splitlines()
    return tuple(Entity.model_validate(json.loads(line)) for line in lines)


@cache
def by_id() -> dict[str, Entity]:
    return {entity.id: entity for entity in entities()}


def of_type(entity_type: EntityType) -> list[Entity]:
    return [entity for entity in entities() if entity.type is entity_type]


def tracks() -> list[Entity]:
    return of_type(EntityType.TRACK)


def episodes_of(show: Entity) -> list[Entity]:
    return [e for e in of_type(EntityType.EPISODE) if e.show_id == show.id]


def only(candidates: list[Entity]) -> Entity:
    assert len(candidates) == 1, [entity.id for entity in candidates]
    return candidates[0]


@cache
def queries() -> dict[str, str]:
    parsed: dict[str, str] = {}
    for number, line in enumerate(QUERIES_PATH.read_text(encoding="utf-8").splitlines(), start=1):
        qid, separator, text = line.partition("\t")
        assert separator, f"line {number}: expected qid<TAB>text, got {line!r}"
        assert qid not in parsed, f"line {number}: duplicate qid {qid}"
        assert qid, f"line {number}: empty qid"
        assert qid.strip() == qid, f"line {number}: bad qid {qid!r}"
        assert text, f"line {number}: empty query text"
        assert text.strip() == text, f"line {number}: bad query text {text!r}"
        parsed[qid] = text
    return parsed


@cache
def qrels() -> tuple[Judgment, ...]:
    parsed: list[Judgment] = []
    for number, line in enumerate(QRELS_PATH.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split(" ")
        assert len(fields) == 4, f"line {number}: expected 'qid 0 entity_id grade', got {line!r}"
        qid, iteration, entity_id, grade = fields
        assert iteration == "0", f"line {number}: iteration column must be 0"
        assert grade in {str(g) for g in GRADES}, f"line {number}: bad grade {grade!r}"
        parsed.append(Judgment(qid, entity_id, int(grade)))
    return tuple(parsed)


def qid_of(text: str) -> str:
    matches = [qid for qid, query in queries().items() if query == text]
    assert len(matches) == 1, (text, matches)
    return matches[0]


def judged(qid: str, grade: int) -> set[str]:
    return {j.entity_id for j in qrels() if j.qid == qid and j.grade == grade}


# --- catalog integrity -----------------------------------------------------------------


def test_every_catalog_line_is_a_valid_entity() -> None:
    text = CATALOG_PATH.read_text(encoding="utf-8")
    assert text.endswith("\n")
    for number, line in enumerate(text.splitlines(), start=1):
        row = json.loads(line)
        assert isinstance(row, dict), f"line {number} is not a JSON object"
        Entity.model_validate(row)


def test_catalog_size_is_between_300_and_400() -> None:
    assert 300 <= len(entities()) <= 400


def test_entity_ids_are_unique_and_namespaced_by_type() -> None:
    counts = Counter(entity.id for entity in entities())
    assert [eid for eid, n in counts.items() if n > 1] == []
    for entity in entities():
        assert entity.id.startswith(f"fx:{entity.type.value}:"), entity.id


def test_artist_links_resolve_to_credited_artists() -> None:
    for entity in entities():
        if not entity.artist_ids:
            continue
        assert len(entity.artist_ids) == len(entity.artists), entity.id
        for name, artist_id in zip(entity.artists, entity.artist_ids, strict=True):
            artist = by_id().get(artist_id)
            assert artist is not None, f"{entity.id}: unknown artist {artist_id}"
            assert artist.type is EntityType.ARTIST, f"{entity.id}: {artist_id} is not an artist"
            assert artist.title == name, f"{entity.id}: {artist_id} is {artist.title!r}"


def test_album_links_resolve_to_albums_of_the_same_artist() -> None:
    for entity in entities():
        if entity.album_id is None:
            continue
        assert entity.type is EntityType.TRACK, entity.id
        album = by_id().get(entity.album_id)
        assert album is not None, f"{entity.id}: unknown album {entity.album_id}"
        assert album.type is EntityType.ALBUM, entity.id
        assert entity.album == album.title, entity.id
        assert entity.artists[0] in album.artists, entity.id


def test_show_links_resolve_and_every_episode_has_a_show() -> None:
    for entity in entities():
        if entity.type is not EntityType.EPISODE:
            assert entity.show_id is None, entity.id
            assert entity.show is None, entity.id
            continue
        assert entity.show_id is not None, entity.id
        show = by_id().get(entity.show_id)
        assert show is not None, f"{entity.id}: unknown show {entity.show_id}"
        assert show.type is EntityType.SHOW, entity.id
        assert entity.show == show.title, entity.id


def test_shows_episodes_and_playlists_have_descriptions() -> None:
    described = (EntityType.SHOW, EntityType.EPISODE, EntityType.PLAYLIST)
    for entity in entities():
        if entity.type in described:
            assert entity.description, entity.id


def test_tracks_carry_plausible_metadata() -> None:
    for track in tracks():
        assert track.artists, track.id
        assert track.release_year is not None, track.id
        assert track.duration_ms is not None, track.id
        assert 60_000 <= track.duration_ms <= 20 * 60_000, track.id
        assert track.genres, track.id
        assert track.popularity > 0, track.id


# --- must-have scenarios ----------------------------------------------------------------


def test_queen_bohemian_rhapsody_and_its_decoys() -> None:
    queen = by_id()["fx:artist:queen"]
    opera = only([a for a in of_type(EntityType.ALBUM) if a.title == "A Night at the Opera"])
    assert opera.release_year == 1975
    assert opera.artist_ids == [queen.id]
    rhapsodies = [t for t in tracks() if t.title == "Bohemian Rhapsody"]
    original = only([t for t in rhapsodies if t.artist_ids == [queen.id]])
    assert original.album_id == opera.id
    assert {"rock", "classic rock"} <= set(original.genres)
    assert original.popularity >= 85
    covers = [t for t in rhapsodies if t is not original]
    assert covers
    assert all(c.popularity < original.popularity - 50 for c in covers)
    assert any(
        "rhapsody" in t.title.casefold() and "bohemian" not in t.title.casefold() for t in tracks()
    )
    assert any(
        "bohemian rhapsody" in (e.description or "").casefold() for e in of_type(EntityType.EPISODE)
    )
    assert len([t for t in tracks() if queen.id in t.artist_ids]) >= 5


def test_taylor_swift_love_story_and_love_collisions() -> None:
    taylor = by_id()["fx:artist:taylor-swift"]
    fearless = only([a for a in of_type(EntityType.ALBUM) if a.title == "Fearless"])
    assert fearless.release_year == 2008
    assert fearless.artist_ids == [taylor.id]
    by_taylor = [t for t in tracks() if taylor.id in t.artist_ids]
    love_story = only([t for t in by_taylor if t.title == "Love Story"])
    assert love_story.album_id == fearless.id
    assert "country pop" in love_story.genres
    assert len(by_taylor) >= 5

    others = [t for t in tracks() if taylor.id not in t.artist_ids]
    assert len([t for t in others if "love" in t.title.casefold()]) >= 15
    assert len([t for t in others if "love story" in t.title.casefold()]) >= 2
    assert len([t for t in others if t.title.casefold().strip(".") == "love"]) >= 2
    assert any(t.language == "fr" and t.title == "Love Story" for t in others)
    assert any(p.title == "Love Songs" for p in of_type(EntityType.PLAYLIST))
    assert any("love" in a.title.casefold() for a in of_type(EntityType.ARTIST))


def test_90s_rock_with_decade_and_genre_decoys() -> None:
    def is_rock(track: Entity) -> bool:
        return "rock" in track.genres

    nineties = [t for t in tracks() if t.decade == 1990]
    nineties_rock = [t for t in nineties if is_rock(t)]
    assert len(nineties_rock) >= 10
    assert any("grunge" in t.genres for t in nineties_rock)
    assert any("alternative rock" in t.genres for t in nineties_rock)
    rock_decades = {t.decade for t in tracks() if is_rock(t)}
    assert {1970, 1980, 2000} <= rock_decades
    assert len([t for t in nineties if not is_rock(t)]) >= 5
    assert any("hip hop" in t.genres for t in nineties)


def _mentions(entity: Entity, *words: str) -> bool:
    text = (entity.description or "").casefold()
    return any(word in text for word in words)


def test_true_crime_shows_with_episodes_and_a_fiction_decoy() -> None:
    shows = [s for s in of_type(EntityType.SHOW) if "true crime" in s.genres]
    assert len(shows) >= 5
    for show in shows:
        assert 2 <= len(episodes_of(show)) <= 3, show.id
        assert _mentions(show, "true crime"), show.id
        assert _mentions(show, "murder", "investigat", "crime"), show.id
    assert any("fiction" in s.genres for s in of_type(EntityType.SHOW))


def test_history_shows_with_episodes_and_other_genre_decoys() -> None:
    shows = [s for s in of_type(EntityType.SHOW) if "history" in s.genres]
    assert len(shows) >= 4
    for show in shows:
        assert len(episodes_of(show)) >= 2, show.id
    assert len([s for s in shows if _mentions(s, "roman empire")]) >= 3
    genres = {genre for show in of_type(EntityType.SHOW) for genre in show.genres}
    assert {"comedy", "science", "business"} <= genres


def test_mood_and_use_case_tracks() -> None:
    def tagged(tag: str) -> list[Entity]:
        return [t for t in tracks() if tag in t.tags]

    rainy = tagged("rainy day")
    assert len(rainy) >= 5
    assert len([t for t in rainy if {"calm", "melancholic"} & set(t.moods)]) >= 5
    workout = tagged("workout")
    assert len([t for t in workout if {"energetic", "motivational"} & set(t.moods)]) >= 5
    assert all({"energetic", "motivational"} & set(t.moods) for t in tagged("gym"))
    breakup = tagged("breakup")
    assert len([t for t in breakup if {"sad", "heartbroken"} & set(t.moods)]) >= 5
    assert "fx:track:someone-like-you-adele" in {t.id for t in breakup}
    assert len([t for t in tagged("study") if "jazz" in t.genres]) >= 3


def test_languages_explicit_tracks_and_playlists() -> None:
    languages = Counter(t.language for t in tracks())
    for language in REQUIRED_LANGUAGES:
        assert languages[language] >= 2, language
    explicit = [t for t in tracks() if t.explicit]
    assert len(explicit) >= 5
    assert len([t for t in explicit if "hip hop" in t.genres]) >= 3
    assert len(of_type(EntityType.PLAYLIST)) >= 3


def test_most_artists_have_entities_and_albums_are_linked() -> None:
    linked = [t for t in tracks() if t.artist_ids]
    assert len(linked) >= 0.75 * len(tracks())
    assert len([t for t in tracks() if t.album_id]) >= 50
    for album in of_type(EntityType.ALBUM):
        assert any(t.album_id == album.id for t in tracks()), album.id


# --- judged queries ---------------------------------------------------------------------


def test_queries_cover_every_kind() -> None:
    assert 35 <= len(queries()) <= 60
    kinds = Counter(qid.split("-", 1)[0] for qid in queries())
    assert set(kinds) == QUERY_KINDS
    assert all(n >= 3 for n in kinds.values()), kinds


def test_qrels_reference_known_queries_and_entities() -> None:
    known = by_id()
    for judgment in qrels():
        assert judgment.qid in queries(), judgment
        assert judgment.entity_id in known, judgment
    pairs = Counter((j.qid, j.entity_id) for j in qrels())
    assert [pair for pair, n in pairs.items() if n > 1] == []


def test_every_query_is_judged_with_an_exact_target() -> None:
    for qid in queries():
        assert judged(qid, 3), f"{qid} has no grade-3 judgment"


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("bohemian rhapsody", "fx:track:bohemian-rhapsody-queen"),
        ("bohemian rapsody", "fx:track:bohemian-rhapsody-queen"),
        ("bohemian rhap", "fx:track:bohemian-rhapsody-queen"),
        ("taylor swift love story", "fx:track:love-story-taylor-swift"),
        ("tayler swfit love", "fx:track:love-story-taylor-swift"),
        ("smells like teen spirit", "fx:track:smells-like-teen-spirit-nirvana"),
        ("beatels let it be", "fx:track:let-it-be-the-beatles"),
        ("queen", "fx:artist:queen"),
        ("adele", "fx:artist:adele"),
    ],
)
def test_pinned_exact_targets(query: str, target: str) -> None:
    assert judged(qid_of(query), 3) == {target}


@pytest.mark.parametrize(
    ("query", "decoy"),
    [
        ("bohemian rhapsody", "fx:track:rhapsody-in-blue-george-gershwin"),
        ("bohemian rhapsody", "fx:track:bohemian-like-you-the-dandy-warhols"),
        ("taylor swift love story", "fx:track:love-story-indila"),
        ("queen", "fx:track:dancing-queen-abba"),
        ("queen", "fx:artist:queen-latifah"),
        ("beatels let it be", "fx:track:let-it-go-idina-menzel"),
        ("true crime podcast", "fx:show:limetown"),
        ("songs for a rainy sunday", "fx:track:purple-rain-prince"),
        ("sad songs after a breakup", "fx:episode:serial-the-breakup"),
        ("jazz for studying", "fx:album:jazz-queen"),
        ("90s rock", "fx:track:lovesong-the-cure"),
    ],
)
def test_decoys_stay_unjudged(query: str, decoy: str) -> None:
    assert decoy in by_id()
    assert all(j.entity_id != decoy for j in qrels() if j.qid == qid_of(query))


def test_attribute_judgments_agree_with_metadata() -> None:
    exact_90s_rock = {
        eid for eid in judged(qid_of("90s rock"), 3) if by_id()[eid].type is EntityType.TRACK
    }
    expected = {t.id for t in tracks() if "rock" in t.genres and t.decade == 1990}
    assert exact_90s_rock == expected
    true_crime = {s.id for s in of_type(EntityType.SHOW) if "true crime" in s.genres}
    assert judged(qid_of("true crime podcast"), 3) == true_crime
