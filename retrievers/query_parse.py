"""The result of query understanding: slots, interpretations and entity types.

These models travel: the search API returns a :class:`QueryParse` in its
explanation, the bandit and the ranker read features from it, and the decision
log stores it. They are therefore plain, frozen and JSON-serializable, and
depend on nothing but the entity model. How they are computed, and what their
confidences mean, is described in :mod:`retrievers.understanding`.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.model import EntityType

SlotKind = Literal[
    "artist",
    "album",
    "show",
    "genre",
    "mood",
    "tag",
    "decade",
    "year",
    "language",
    "explicit",
    "type",
    "title_words",
]
ENTITY_NAME_KINDS: Final = frozenset({"artist", "album", "show"})


class Slot(BaseModel):
    """One thing the query names: an artist, a genre, a decade, words of a title..."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SlotKind
    value: str = Field(description="Normalized name, decade start year, ISO code, type...")
    display: str = Field(description="The value as the catalog spells it ('Taylor Swift').")
    confidence: float = Field(ge=0.0, le=1.0)
    start: int = Field(ge=0, description="First token of the span.")
    end: int = Field(ge=1, description="One past the last token of the span.")
    surface: str = Field(description="The query text the slot was read from.")
    fuzzy: bool = Field(default=False, description="Read through a typo correction.")
    similarity: float = Field(default=100.0, ge=0.0, le=100.0)


class Interpretation(BaseModel):
    """One consistent reading of the whole query."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slots: list[Slot]
    score: float = Field(ge=0.0, le=1.0, description="Absolute plausibility.")
    confidence: float = Field(ge=0.0, le=1.0, description="Share among the interpretations.")

    def of_kind(self, kind: SlotKind) -> list[Slot]:
        return [slot for slot in self.slots if slot.kind == kind]


class QueryParse(BaseModel):
    """Everything query understanding read from a query (JSON-serializable)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    normalized: str
    tokens: list[str]
    language: str | None = Field(description="Language the query is typed in, if evident.")
    language_confidence: float = Field(ge=0.0, le=1.0)
    type_probabilities: dict[EntityType, float]
    slots: list[Slot] = Field(
        description="Distinct slots, at their confidence in the likeliest reading, best first."
    )
    interpretations: list[Interpretation] = Field(description="Best first.")
    corrections: dict[str, str] = Field(description="Query text → what it was read as.")

    def confident_slots(self, threshold: float = 0.5) -> list[Slot]:
        """Slots other than title words whose confidence reaches ``threshold``."""
        return [s for s in self.slots if s.kind != "title_words" and s.confidence >= threshold]


def clamp_confidence(value: float) -> float:
    """A confidence as reported: within [0, 1], rounded to 4 digits."""
    return round(min(1.0, max(0.0, value)), 4)
