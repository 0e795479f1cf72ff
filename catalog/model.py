"""The catalog's entity model: one typed record for every searchable thing.

Tracks, artists, albums, playlists, podcast shows and episodes share one
model so that every retriever, the ranker and the API speak about the same
fields. Type-specific fields (``album`` for tracks, ``show`` for episodes,
``description`` for shows) are optional; ``attributes`` carries anything the
schema does not name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

EntityId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9:_.\-]*$"),
]
"""Entity ids are short opaque strings: letters, digits and ``: _ . -``."""

AttributeValue = str | int | float | bool


class EntityType(StrEnum):
    """What kind of thing an entity is."""

    TRACK = "track"
    ARTIST = "artist"
    ALBUM = "album"
    PLAYLIST = "playlist"
    SHOW = "show"
    EPISODE = "episode"


def _clean_list(values: list[str]) -> list[str]:
    """Strip items, drop empty ones and duplicates, keep the order."""
    seen: dict[str, None] = {}
    for value in values:
        item = value.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


class Entity(BaseModel):
    """A searchable catalog entity (track, artist, album, playlist, show or episode)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: EntityId
    type: EntityType
    title: str = Field(min_length=1, max_length=1000)
    artists: list[str] = Field(default_factory=list, description="Credited artist names.")
    artist_ids: list[str] = Field(default_factory=list, description="Ids of the credited artists.")
    album: str | None = Field(default=None, description="Album title (tracks).")
    album_id: str | None = None
    show: str | None = Field(default=None, description="Podcast show title (episodes).")
    show_id: str | None = None
    genres: list[str] = Field(default_factory=list)
    moods: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}$", description="ISO 639 language code."
    )
    release_year: int | None = Field(default=None, ge=1000, le=2100)
    duration_ms: int | None = Field(default=None, ge=0)
    explicit: bool = False
    popularity: float = Field(default=0.0, ge=0.0, le=100.0, description="0 (unknown) .. 100.")
    description: str | None = Field(default=None, max_length=20_000)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    @field_validator("artists", "artist_ids", "genres", "moods", "tags")
    @classmethod
    def _strip_items(cls, values: list[str]) -> list[str]:
        return _clean_list(values)

    @field_validator("genres", "moods", "tags")
    @classmethod
    def _lowercase_facets(cls, values: list[str]) -> list[str]:
        return _clean_list([value.lower() for value in values])

    @property
    def decade(self) -> int | None:
        """The release decade (1990 for 1994), or None when the year is unknown."""
        return None if self.release_year is None else self.release_year // 10 * 10
