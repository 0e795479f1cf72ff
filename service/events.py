"""Feedback events: what a client reports about the results of one search.

A client echoes the signed ``search_id`` it got from ``/search`` and says what
the listener did with a shown entity: saw it (impression), clicked it, played
it (for how long), liked it, added it to the library, or skipped it. Each
event carries a client-generated ``event_id`` so a retried batch is applied
once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

MAX_EVENTS_PER_BATCH = 1000

EventId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9:_.\-]*$"),
]


class EventType(StrEnum):
    IMPRESSION = "impression"
    CLICK = "click"
    PLAY = "play"
    LIKE = "like"
    ADD_TO_LIBRARY = "add_to_library"
    SKIP = "skip"


class FeedbackEvent(BaseModel):
    """One thing a listener did with one shown result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: EventId = Field(description="Client-generated, unique per event (idempotency).")
    search_id: str = Field(min_length=1, max_length=128, description="From the /search response.")
    type: EventType
    entity_id: str = Field(min_length=1, max_length=128)
    position: int = Field(ge=1, le=1000, description="1-based rank at which it was shown.")
    timestamp: datetime = Field(description="When it happened (ISO 8601 with a time zone).")
    play_ms: int | None = Field(
        default=None, ge=0, le=86_400_000, description="Listening time; required for plays."
    )

    @model_validator(mode="after")
    def _check(self) -> FeedbackEvent:
        if self.timestamp.tzinfo is None:
            raise ValueError("timestamp must include a time zone, e.g. 2026-11-23T10:00:00Z")
        if self.type is EventType.PLAY and self.play_ms is None:
            raise ValueError("play events need play_ms (milliseconds listened)")
        if self.type is not EventType.PLAY and self.play_ms is not None:
            raise ValueError(f"play_ms is only allowed on play events, not on {self.type.value}")
        return self


class FeedbackBatch(BaseModel):
    """``POST /feedback`` body."""

    model_config = ConfigDict(extra="forbid")

    events: list[FeedbackEvent] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


class RejectedEvent(BaseModel):
    index: int = Field(description="Position of the event in the batch (0-based).")
    event_id: str
    reason: str


class FeedbackResponse(BaseModel):
    accepted: int = Field(description="Events durably queued for learning.")
    duplicates: int = Field(description="Events whose event_id was already accepted earlier.")
    rejected: list[RejectedEvent] = Field(default_factory=list)
