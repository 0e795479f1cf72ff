"""The text embedded for an entity: its type word, title, credits and facets, then its description.

Descriptive queries ("songs for a rainy sunday") match the facets, name queries
match the title and credits at the start. The dense index skips entities whose
text is unchanged (:mod:`retrievers.dense_inputs`), so a change here makes the
next ``ltrr index`` re-encode every entity it upserts.
"""

from __future__ import annotations

from typing import Final

from catalog.model import Entity, EntityType

TYPE_WORDS: Final[dict[EntityType, str]] = {
    EntityType.TRACK: "song",
    EntityType.ARTIST: "artist",
    EntityType.ALBUM: "album",
    EntityType.PLAYLIST: "playlist",
    EntityType.SHOW: "podcast",
    EntityType.EPISODE: "podcast episode",
}
"""The words listeners use for each type ("podcast about …", "songs for …")."""

MAX_CREDITS: Final = 3
MAX_FACETS: Final = 5
MAX_DESCRIPTION_CHARS: Final = 300


def _clip(text: str, limit: int) -> str:
    """Cut at a word boundary at most ``limit`` characters long."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def entity_text(entity: Entity) -> str:
    """The text embedded for an entity: facets in a fixed order, longest parts clipped.

    The model keeps ``max_seq_length`` tokens, so the most identifying parts
    (type, title, credits) come first and the description last.
    """
    parts = [f"{TYPE_WORDS[entity.type]}: {entity.title}"]
    credits = [name for name in entity.artists if name != entity.title][:MAX_CREDITS]
    if credits:
        parts.append("by " + ", ".join(credits))
    if entity.album and entity.album != entity.title:
        parts.append(f"album: {entity.album}")
    if entity.show:
        parts.append(f"show: {entity.show}")
    for label, values in (
        ("genres", entity.genres),
        ("moods", entity.moods),
        ("tags", entity.tags),
    ):
        if values:
            parts.append(f"{label}: {', '.join(values[:MAX_FACETS])}")
    if entity.decade is not None:
        parts.append(f"{entity.decade}s")
    if entity.description:
        parts.append(_clip(entity.description, MAX_DESCRIPTION_CHARS))
    return ". ".join(parts)
