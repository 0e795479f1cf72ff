"""Feedback ingestion: verify each event against its search, then queue it durably.

An event reaches learning only if its ``search_id`` carries a valid signature,
that search is still in the decision log, the entity was shown in it at the
position the event claims, and its timestamp is plausible (not before the
search, not in the future beyond a small clock skew). Everything else is
rejected with the reason, per event; accepted events are in the durable stream
before the API answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson

from service.decisions import Decision, DecisionLog
from service.events import FeedbackEvent, RejectedEvent
from service.signing import SearchIdSigner
from service.stream import EventStream

CLOCK_SKEW_S = 300.0
"""Tolerated difference between client and server clocks."""


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedEvent] = field(default_factory=list)


def encode_event(event: FeedbackEvent, accepted_at: float) -> str:
    """The stream body of an accepted event."""
    return orjson.dumps(
        {"event": event.model_dump(mode="json"), "accepted_at": accepted_at}
    ).decode()


def decode_event(body: str) -> tuple[FeedbackEvent, float]:
    """Inverse of :func:`encode_event`; raises ``ValueError`` on a malformed body."""
    raw = orjson.loads(body)
    if not isinstance(raw, dict) or "event" not in raw:
        raise ValueError("stream entry has no 'event' object")
    return FeedbackEvent.model_validate(raw["event"]), float(raw.get("accepted_at", 0.0))


class FeedbackIngestor:
    """Checks events and appends the valid ones to the stream."""

    def __init__(self, signer: SearchIdSigner, decisions: DecisionLog, stream: EventStream) -> None:
        self._signer = signer
        self._decisions = decisions
        self._stream = stream

    def _problem(self, event: FeedbackEvent, decision: Decision | None, now: float) -> str | None:
        if decision is None:
            return f"search_id {event.search_id!r} is unknown or its decision has expired"
        try:
            shown_at = decision.shown.index(event.entity_id) + 1
        except ValueError:
            return f"entity {event.entity_id!r} was not shown in search {event.search_id!r}"
        if shown_at != event.position:
            return (
                f"entity {event.entity_id!r} was shown at position {shown_at}, not {event.position}"
            )
        at = event.timestamp.timestamp()
        if at < decision.created_at - CLOCK_SKEW_S:
            return "timestamp is before the search was served"
        if at > now + CLOCK_SKEW_S:
            return "timestamp is in the future"
        return None

    def ingest(self, events: list[FeedbackEvent]) -> IngestResult:
        now = time.time()
        result = IngestResult()
        decisions: dict[str, Decision | None] = {}
        valid: list[tuple[int, FeedbackEvent]] = []
        for index, event in enumerate(events):
            if not self._signer.verify(event.search_id):
                reason = "search_id signature does not verify (not issued by this service)"
            else:
                if event.search_id not in decisions:
                    decisions[event.search_id] = self._decisions.get(event.search_id)
                reason = self._problem(event, decisions[event.search_id], now) or ""
            if reason:
                result.rejected.append(
                    RejectedEvent(index=index, event_id=event.event_id, reason=reason)
                )
            else:
                valid.append((index, event))
        created = self._stream.append([(e.event_id, encode_event(e, now)) for _, e in valid])
        for is_new in created:
            if is_new:
                result.accepted += 1
            else:
                result.duplicates += 1
        return result
