"""The synthetic catalog: deterministic, exact, valid, consistent and realistic enough."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from catalog.generate import generate_catalog, type_counts, write_catalog_jsonl
from catalog.model import Entity, EntityType
from catalog.vocabulary import GENRES

ID_PATTERN = re.compile(r"^syn:(track|artist|album|playlist|show|episode):\d{6,}$")


@pytest.fixture(scope="module")
def big() -> list[Entity]:
    """A 20k catalog, generated once: large enough for distribution checks."""
    return list(generate_catalog(20_000, seed=7))


@pytest.fixture(scope="module")
def small() -> list[Entity]:
    return list(generate_catalog(2_000, seed=3))


def _of(entities: list[Entity], kind: EntityType) -> list[Entity]:
    return [e for e in entities if e.type == kind]


@pytest.mark.parametrize("size", [0, -5])
def test_bad_size_raises_with_the_value(size: int, tmp_path: Path) -> None:
    message = f"size must be a positive integer, but {size} is given"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        generate_catalog(size, seed=1)
    with pytest.raises(ValueError, match=re.escape(message)):
        write_catalog_jsonl(tmp_path / "bad.jsonl", size, seed=1)
    assert not (tmp_path / "bad.jsonl").exists()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6, 7, 50, 777])
def test_yields_exactly_size_entities_with_unique_ids(size: int) -> None:
    entities = list(generate_catalog(size, seed=size))
    assert len(entities) == size
    assert len({e.id for e in entities}) == size
    assert all(ID_PATTERN.match(e.id) for e in entities)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.jsonl" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (11, 11, 12), strict=True):
        assert write_catalog_jsonl(path, 3_000, seed=seed) == 3_000
    first, again, other = (p.read_bytes() for p in paths)
    assert first == again
    assert first != other


def test_every_jsonl_line_validates_and_progress_adds_up(tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"
    calls: list[int] = []
    written = write_catalog_jsonl(path, 12_345, seed=5, on_progress=calls.append)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert written == len(lines) == sum(calls) == 12_345
    assert len(calls) > 1
    for line in lines:
        Entity.model_validate_json(line)


@pytest.mark.parametrize("size", [50, 500])
def test_every_type_present(size: int) -> None:
    kinds = Counter(e.type for e in generate_catalog(size, seed=0))
    assert set(kinds) == set(EntityType)


def test_type_mix_follows_the_shares(big: list[Entity]) -> None:
    kinds = Counter(e.type for e in big)
    assert kinds[EntityType.TRACK] == pytest.approx(14_000, rel=0.02)
    assert kinds[EntityType.ALBUM] == kinds[EntityType.EPISODE] == 2_000
    assert kinds[EntityType.ARTIST] == 1_000
    assert type_counts(20_000).playlists == kinds[EntityType.PLAYLIST] == 600


def test_references_resolve_and_agree(small: list[Entity]) -> None:
    by_id = {e.id: e for e in small}
    for entity in small:
        for artist_id in entity.artist_ids:
            assert by_id[artist_id].type == EntityType.ARTIST
        assert [by_id[i].title for i in entity.artist_ids] == entity.artists
    for track in _of(small, EntityType.TRACK):
        assert track.album_id is not None
        album = by_id[track.album_id]
        assert album.type == EntityType.ALBUM
        assert (album.title, album.release_year) == (track.album, track.release_year)
        assert album.artist_ids[0] == track.artist_ids[0]
    for episode in _of(small, EntityType.EPISODE):
        assert episode.show_id is not None
        assert by_id[episode.show_id].type == EntityType.SHOW
        assert by_id[episode.show_id].title == episode.show
    albums = {e.id for e in _of(small, EntityType.ALBUM)}
    assert albums == {t.album_id for t in _of(small, EntityType.TRACK)}


def test_album_totals_match_their_tracks(small: list[Entity]) -> None:
    tracks = Counter(t.album_id for t in _of(small, EntityType.TRACK))
    for album in _of(small, EntityType.ALBUM):
        assert album.attributes["total_tracks"] == tracks[album.id]


def test_title_collisions(big: list[Entity]) -> None:
    titles = Counter(t.title for t in _of(big, EntityType.TRACK))
    for common in ("Love", "Home", "Run", "Stay", "Hello", "Love Story", "Summer Nights"):
        assert titles[common] >= 5, common


def test_popularity_is_heavy_tailed(big: list[Entity]) -> None:
    artists = _of(big, EntityType.ARTIST)
    listeners = sorted((int(a.attributes["listeners"]) for a in artists), reverse=True)
    assert sum(listeners[: len(listeners) // 100]) / sum(listeners) > 0.25
    popularity = sorted((a.popularity for a in artists), reverse=True)
    assert popularity[0] >= 90
    assert statistics.median(popularity) < popularity[0] / 1.5
    assert all(0 < p <= 100 for p in popularity)


def test_tracks_inherit_their_artists_popularity(big: list[Entity]) -> None:
    artist_popularity = {a.id: a.popularity for a in _of(big, EntityType.ARTIST)}
    ranked = sorted(artist_popularity, key=artist_popularity.__getitem__)
    low, high = set(ranked[:100]), set(ranked[-100:])
    tracks = _of(big, EntityType.TRACK)
    low_mean = statistics.mean(t.popularity for t in tracks if t.artist_ids[0] in low)
    high_mean = statistics.mean(t.popularity for t in tracks if t.artist_ids[0] in high)
    assert high_mean > 1.5 * low_mean


def test_many_languages_english_first(big: list[Entity]) -> None:
    languages = Counter(t.language for t in _of(big, EntityType.TRACK) if t.language)
    assert languages.most_common(1)[0][0] == "en"
    assert {"es", "pt", "fr", "de", "it", "ja", "ko", "sv"} <= set(languages)
    shows = {s.language for s in _of(big, EntityType.SHOW)}
    assert {"en", "es"} <= shows


def test_music_facets_are_plausible(big: list[Entity]) -> None:
    for track in _of(big, EntityType.TRACK):
        assert track.genres[0] in GENRES
        assert track.genres[1] in {sub for sub, _, _ in GENRES[track.genres[0]].subs}
        assert track.moods
        assert 1950 <= (track.release_year or 0) <= 2025
        assert 120_000 <= (track.duration_ms or 0) <= 420_000
    tracks = _of(big, EntityType.TRACK)
    assert any(t.explicit for t in tracks)
    assert any(len(t.artist_ids) == 2 and "(feat. " in t.title for t in tracks)
    decades = {t.release_year // 10 * 10 for t in tracks if t.release_year}
    assert decades == set(range(1950, 2030, 10))


def test_playlists_and_podcasts_read_like_a_catalog(big: list[Entity]) -> None:
    playlists = _of(big, EntityType.PLAYLIST)
    editorial = [p for p in playlists if "editorial" in p.tags]
    assert editorial
    assert all(p.description for p in editorial)
    assert any(p.genres and p.moods for p in editorial)
    shows = _of(big, EntityType.SHOW)
    assert len({s.genres[0] for s in shows}) >= 8
    for show in shows:
        assert (show.description or "").count(". ") >= 2
    for episode in _of(big, EntityType.EPISODE):
        assert episode.description
        assert 15 * 60_000 <= (episode.duration_ms or 0) <= 120 * 60_000
