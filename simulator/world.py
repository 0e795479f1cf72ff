"""The simulator's own view of the catalog: the ground truth the service never sees.

The simulated listeners know the catalog the way real listeners know music:
which songs exist, who sings them, what genre and decade they belong to. That
knowledge is read straight from the catalog file (not from the service), and
indexed by the facets intents are built from: type, artist, album, show,
genre, mood, tag and decade. Lists are ordered by popularity so that
Zipf-like draws ("popular entities are searched more often") are a rank lookup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalog.ingest import CatalogReader, Delete, Upsert
from catalog.model import Entity, EntityType

_FEATURE = re.compile(r"\s*[\(\[](?:feat\.|ft\.|featuring)[^\)\]]*[\)\]]", re.IGNORECASE)
_VERSION_SUFFIX = re.compile(
    r"\s*(?:\s-\s.*|\((?:radio edit|demo|live|acoustic|remaster(?:ed)?[^\)]*)\))$", re.IGNORECASE
)
_DECADE_LABEL = re.compile(r"^(?:\d0s|\d{3}0s)$")
_EDITION = re.compile(r"\s*\((?:[^\)]*edition|remastered)\)$", re.IGNORECASE)


def base_title(title: str) -> str:
    """The song behind a title: featured guests, live/remix/remaster suffixes removed.

    ``"Love Story (feat. X) - Live"`` → ``"Love Story"``. Listeners search for the
    song, not the version, so query formulation and graded relevance use this.
    """
    text = _FEATURE.sub("", title)
    text = _VERSION_SUFFIX.sub("", text)
    text = _EDITION.sub("", text)
    return text.strip() or title.strip()


def decade_label(year: int) -> str:
    """How people name a decade: ``"90s"`` for 1994, ``"2010s"`` for 2014."""
    start = year // 10 * 10
    return f"{start % 100:02d}s" if start < 2000 else f"{start}s"


def decades_of(entity: Entity) -> frozenset[str]:
    """The decades an entity belongs to: its release decade and any decade tags."""
    labels = {tag for tag in entity.tags if _DECADE_LABEL.match(tag)}
    if entity.release_year is not None:
        labels.add(decade_label(entity.release_year))
    return frozenset(labels)


def _by_popularity(ids: Iterable[str], entities: dict[str, Entity]) -> tuple[str, ...]:
    return tuple(sorted(ids, key=lambda eid: (-entities[eid].popularity, eid)))


@dataclass(frozen=True)
class CatalogWorld:
    """Entities and facet indexes; every list is ordered by popularity, most popular first."""

    entities: dict[str, Entity]
    by_type: dict[EntityType, tuple[str, ...]]
    by_type_genre: dict[tuple[EntityType, str], tuple[str, ...]]
    by_artist: dict[str, tuple[str, ...]]
    by_album: dict[str, tuple[str, ...]]
    by_show: dict[str, tuple[str, ...]]
    by_genre: dict[str, frozenset[str]]
    by_mood: dict[str, frozenset[str]]
    by_tag: dict[str, frozenset[str]]
    by_decade: dict[str, frozenset[str]]

    @classmethod
    def from_entities(cls, entities: Iterable[Entity]) -> CatalogWorld:
        """Index a collection of entities (later duplicates of an id replace earlier ones)."""
        table: dict[str, Entity] = {}
        for entity in entities:
            table[entity.id] = entity
        return cls._index(table)

    @classmethod
    def from_file(cls, path: Path) -> CatalogWorld:
        """Read a catalog file (JSONL or CSV, as ``ltrr index`` accepts), applying deletes."""
        return cls.from_files([path])

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> CatalogWorld:
        """Read catalog files in order, as ``ltrr index`` applies them: later rows win."""
        table: dict[str, Entity] = {}
        for path in paths:
            for change in CatalogReader(path, strict=True):
                if isinstance(change, Upsert):
                    table[change.entity.id] = change.entity
                elif isinstance(change, Delete):
                    table.pop(change.id, None)
        return cls._index(table)

    @classmethod
    def _index(cls, table: dict[str, Entity]) -> CatalogWorld:
        by_type: dict[EntityType, list[str]] = defaultdict(list)
        by_type_genre: dict[tuple[EntityType, str], list[str]] = defaultdict(list)
        by_artist: dict[str, list[str]] = defaultdict(list)
        by_album: dict[str, list[str]] = defaultdict(list)
        by_show: dict[str, list[str]] = defaultdict(list)
        facets: dict[str, dict[str, set[str]]] = {
            name: defaultdict(set) for name in ("genre", "mood", "tag", "decade")
        }
        for eid, entity in table.items():
            by_type[entity.type].append(eid)
            for genre in entity.genres:
                by_type_genre[entity.type, genre].append(eid)
                facets["genre"][genre].add(eid)
            for mood in entity.moods:
                facets["mood"][mood].add(eid)
            for tag in entity.tags:
                facets["tag"][tag].add(eid)
            for decade in decades_of(entity):
                facets["decade"][decade].add(eid)
            if entity.type is not EntityType.ARTIST:
                for artist_id in entity.artist_ids:
                    by_artist[artist_id].append(eid)
            if entity.album_id and entity.type is EntityType.TRACK:
                by_album[entity.album_id].append(eid)
            if entity.show_id and entity.type is EntityType.EPISODE:
                by_show[entity.show_id].append(eid)

        def ordered(groups: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
            return {key: _by_popularity(ids, table) for key, ids in groups.items()}

        def frozen(groups: dict[str, set[str]]) -> dict[str, frozenset[str]]:
            return {key: frozenset(ids) for key, ids in groups.items()}

        return cls(
            entities=table,
            by_type={kind: _by_popularity(ids, table) for kind, ids in by_type.items()},
            by_type_genre={key: _by_popularity(ids, table) for key, ids in by_type_genre.items()},
            by_artist=ordered(by_artist),
            by_album=ordered(by_album),
            by_show=ordered(by_show),
            by_genre=frozen(facets["genre"]),
            by_mood=frozen(facets["mood"]),
            by_tag=frozen(facets["tag"]),
            by_decade=frozen(facets["decade"]),
        )

    def __len__(self) -> int:
        return len(self.entities)

    def get(self, entity_id: str) -> Entity:
        return self.entities[entity_id]

    def of_type(self, kind: EntityType) -> Sequence[str]:
        return self.by_type.get(kind, ())

    def of_type_genre(self, kind: EntityType, genre: str) -> Sequence[str]:
        return self.by_type_genre.get((kind, genre), ())

    def credited(self, artist_id: str) -> Sequence[str]:
        """Tracks, albums and playlists crediting the artist, most popular first."""
        return self.by_artist.get(artist_id, ())

    def episodes(self, show_id: str) -> Sequence[str]:
        return self.by_show.get(show_id, ())

    def tracks_of_album(self, album_id: str) -> Sequence[str]:
        return self.by_album.get(album_id, ())

    def genres_of_type(self, kind: EntityType) -> list[str]:
        """Genres that label at least one entity of the type, most common first."""
        counts = {g: len(ids) for (k, g), ids in self.by_type_genre.items() if k is kind}
        return sorted(counts, key=lambda g: (-counts[g], g))
