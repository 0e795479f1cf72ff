"""The feedback worker: applies queued events to everything that learns from them.

For each stream entry the worker decodes the event, joins it with the decision
of its search, and hands the pair to every :class:`EventApplier` — the Q2E
memory, the learning log (ranker training rows and per-strategy outcomes), and
later the retrieval bandit. Each applier is idempotent by ``event_id``; the
entry is acknowledged only after all of them succeeded, so a crash at any
point replays the entry and the appliers skip what they already did: every
accepted event takes effect exactly once.

Entries that can never be applied — malformed bodies, searches whose decision
expired — go to the dead-letter list with the reason. An entry whose appliers
keep failing is retried ``max_attempts`` times, then dead-lettered too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from pydantic import ValidationError

from retrievers.memory import Q2EMemory
from retrievers.memory_base import Engagement, EngagementKind
from retrievers.normalize import normalize_query
from service.decisions import Decision, DecisionLog
from service.events import EventType, FeedbackEvent
from service.feedback import decode_event
from service.learning_log import LearningLog
from service.metrics import Metrics
from service.stream import EventStream, StreamEntry

logger = logging.getLogger(__name__)
DECISION_CACHE = 2048


class EventApplier(Protocol):
    """Something that learns from feedback; must ignore an ``event_id`` it already applied."""

    name: str

    def apply(self, event: FeedbackEvent, decision: Decision) -> None: ...


class LearningLogApplier:
    """Training rows and strategy outcomes (see :mod:`service.learning_log`)."""

    name = "learning_log"

    def __init__(self, log: LearningLog) -> None:
        self.log = log

    def apply(self, event: FeedbackEvent, decision: Decision) -> None:
        self.log.record(event, decision, applied_at=time.time())


class MemoryApplier:
    """Engagement → the Q2E memory's learned query→entity scores.

    Clicks, plays, likes and adds are positive evidence for (query, entity),
    creating the pair when another strategy found the entity; skips are
    negative. A bare impression says nothing yet — the listener may still
    engage — so it is not applied here.
    """

    name = "memory"

    def __init__(self, memory: Q2EMemory) -> None:
        self.memory = memory

    def apply(self, event: FeedbackEvent, decision: Decision) -> None:
        if event.type is EventType.IMPRESSION:
            return
        if not normalize_query(decision.query):
            # A query of emoji or punctuation has no memory key: nothing to learn here,
            # and the event still reaches the appliers after this one.
            return
        engagement = Engagement(
            kind=EngagementKind(event.type.value),
            at=event.timestamp.timestamp(),
            duration_ms=event.play_ms,
        )
        self.memory.update(decision.query, event.entity_id, engagement, event_id=event.event_id)


class FeedbackWorker:
    """Claims batches from the stream, applies them, acknowledges them."""

    def __init__(
        self,
        stream: EventStream,
        decisions: DecisionLog,
        appliers: Sequence[EventApplier],
        metrics: Metrics,
        *,
        consumer: str,
        batch_size: int = 200,
        max_attempts: int = 5,
    ) -> None:
        self.stream = stream
        self.decisions = decisions
        self.appliers = list(appliers)
        self.metrics = metrics
        self.consumer = consumer
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._attempts: dict[str, int] = {}
        # Decisions are immutable once logged; a search's events usually arrive together.
        self._decisions: OrderedDict[str, Decision] = OrderedDict()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _dead_letter(self, entry: StreamEntry, reason_class: str, reason: str) -> None:
        logger.warning("dead-lettering feedback %s: %s", entry.event_id, reason)
        self.stream.dead_letter(entry, reason)
        self.metrics.feedback_dead_letters.labels(reason_class).inc()

    def _decision(self, search_id: str) -> Decision | None:
        cached = self._decisions.get(search_id)
        if cached is not None:
            self._decisions.move_to_end(search_id)
            return cached
        decision = self.decisions.get(search_id)
        if decision is not None:
            self._decisions[search_id] = decision
            if len(self._decisions) > DECISION_CACHE:
                self._decisions.popitem(last=False)
        return decision

    def _apply(self, entry: StreamEntry) -> bool:
        """Apply one entry; True when it is finished (applied or dead-lettered)."""
        try:
            event, accepted_at = decode_event(entry.body)
        except (ValueError, ValidationError) as error:
            self._dead_letter(entry, "malformed", f"malformed entry: {error}")
            return True
        decision = self._decision(event.search_id)
        if decision is None:
            self._dead_letter(
                entry, "expired", f"decision of search {event.search_id} is gone (expired)"
            )
            return True
        try:
            for applier in self.appliers:
                applier.apply(event, decision)
        except Exception as error:
            attempts = self._attempts.get(entry.entry_id, 0) + 1
            self._attempts[entry.entry_id] = attempts
            logger.exception("applying feedback %s failed (attempt %d)", event.event_id, attempts)
            if attempts >= self.max_attempts:
                self._attempts.pop(entry.entry_id, None)
                self._dead_letter(
                    entry, "failed", f"failed {attempts} times: {type(error).__name__}: {error}"
                )
                return True
            return False
        self._attempts.pop(entry.entry_id, None)
        self.metrics.feedback_applied.labels(event.type.value).inc()
        if accepted_at:
            self.metrics.feedback_lag.observe(max(0.0, time.time() - accepted_at))
        return True

    def _tick(self) -> None:
        """Time-driven work of the appliers (closing searches whose window passed)."""
        for applier in self.appliers:
            tick = getattr(applier, "tick", None)
            if tick is not None:
                tick()

    def run_once(self, block_ms: int = 0) -> int:
        """Apply one batch; returns how many entries were finished."""
        entries = self.stream.claim(self.consumer, self.batch_size, block_ms=block_ms)
        done = [entry.entry_id for entry in entries if self._apply(entry)]
        # Dead-lettered entries are acknowledged by the stream already; acking twice is harmless.
        self.stream.ack(done)
        self._tick()
        self.metrics.feedback_backlog.set(self.stream.backlog())
        return len(done)

    def drain(self, timeout_s: float = 30.0) -> int:
        """Apply until the backlog is empty (tests, shutdown); returns entries finished."""
        deadline = time.monotonic() + timeout_s
        total = 0
        while time.monotonic() < deadline:
            done = self.run_once()
            total += done
            if done == 0 and self.stream.backlog() == 0:
                break
        return total

    def run_forever(self, *, poll_ms: int = 200) -> None:
        while not self._stop.is_set():
            try:
                self.run_once(block_ms=poll_ms)
            except Exception:
                logger.exception("feedback worker loop failed; retrying")
                self._stop.wait(1.0)

    def start(self) -> None:
        """Run in a daemon thread (the in-process worker)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.run_forever, name="ltrr-feedback-worker", daemon=True
            )
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            self._thread = None
