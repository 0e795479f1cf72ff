"""One simulated search session, end to end, through the public API.

For each session: pick a listener (by activity) and their latent intent, phrase
the query, let the policy under test choose a retrieval plan (or leave it to
the service), ``POST /search``, simulate what the listener examines, clicks,
plays and likes, and ``POST /feedback`` with those events. The ground truth
stays on this side: it decides the listener's behaviour and is kept in the
:class:`SessionRecord` for measurement, never sent.

Every session draws from its own seeded random streams (listener and query,
clicks, policy), so session ``i`` has the same listener, intent and query under
every policy compared on a seed, and its clicks share random numbers rank by
rank: a paired comparison with common random numbers.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from simulator.api import SearchCall, SearchOutcome, ServiceApi
from simulator.clicks import ClickModel, PageOutcome, ShownResult
from simulator.config import FeedbackMode, ImpressionMode, SimulatorConfig
from simulator.intents import GroundTruth, IntentType
from simulator.population import Population
from simulator.queries import Formulation
from simulator.sampling import IntentSampler
from simulator.traffic import ListenerTraffic
from simulator.world import CatalogWorld

MAX_EVENT_OFFSET_MS = 120_000
"""Event timestamps stay within two minutes of the search (the service checks plausibility)."""


class Probe(Protocol):
    """A search the listener never sees and that gets no feedback."""

    def __call__(self, plan: Mapping[str, int], *, explain: bool = True) -> SearchOutcome: ...


@dataclass(frozen=True)
class PlanRequest:
    """What a policy may use to choose the plan of one search.

    ``probe`` runs a search with a given plan that the listener never sees and
    that gets no feedback; ``truth`` is filled only for policies that declare
    ``uses_ground_truth`` (the oracle upper bound).
    """

    session: int
    call: SearchCall
    rng: random.Random
    probe: Probe
    truth: GroundTruth | None


class PlanChooser(Protocol):
    """The policy under test: a plan to pin, or None to let the service decide."""

    @property
    def uses_ground_truth(self) -> bool: ...

    def choose(self, request: PlanRequest) -> Mapping[str, int] | None: ...


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What happened in one session, with the ground truth needed to score it."""

    session: int
    user_id: str
    intent_key: str
    intent_type: IntentType
    head: bool
    query: str
    template: str
    noise: tuple[str, ...]
    canonical: bool
    plan_sent: dict[str, int] | None
    plan: dict[str, int]
    plan_source: str | None
    shown: tuple[str, ...]
    grades: tuple[int, ...]
    ideal: tuple[tuple[str, int], ...]
    max_grade: int
    target_rank: int | None
    union_hit: bool | None
    strategy_hits: dict[str, bool]
    drawn: dict[str, int]
    total_candidates: int
    took_ms: float
    retrieval_ms: float
    client_ms: float
    probes: int
    abandoned: bool
    examined: int
    clicks: int
    plays: int
    long_plays: int
    likes: int
    adds: int
    skips: int
    engaged: bool
    feedback_accepted: int
    feedback_rejected: int
    failed_strategies: tuple[str, ...]

    @property
    def success(self) -> bool:
        """An intended entity was among the shown results."""
        return self.target_rank is not None


class SessionRunner:
    """Runs sessions of simulated listeners against a service reached through ``api``."""

    def __init__(
        self,
        api: ServiceApi,
        world: CatalogWorld,
        config: SimulatorConfig,
        seed: int,
        chooser: PlanChooser,
        *,
        run_tag: str | None = None,
        population: Population | None = None,
        sampler: IntentSampler | None = None,
        ranker: str | None = None,
    ) -> None:
        self.api = api
        self.ranker = ranker
        self.world = world
        self.config = config
        self.seed = seed
        self.chooser = chooser
        self.run_tag = run_tag or uuid.uuid4().hex[:10]
        self.traffic = ListenerTraffic(world, config, seed, population=population, sampler=sampler)
        self.click_model = ClickModel(config.clicks)
        if config.feedback is FeedbackMode.AUTO:
            self.send_feedback = api.supports_feedback()
        else:
            self.send_feedback = config.feedback is FeedbackMode.ON

    def run(self, sessions: int, start: int = 0) -> Iterator[SessionRecord]:
        """Sessions ``start .. start + sessions - 1``, one record each."""
        for index in range(start, start + sessions):
            yield self.run_session(index)

    def run_session(self, index: int) -> SessionRecord:
        config = self.config
        drawn = self.traffic.draw(index)
        listener, intent, head = drawn.listener, drawn.intent, drawn.head
        truth, formulation = drawn.truth, drawn.formulation
        call = replace(drawn.call, ranker=self.ranker)
        probes = 0

        def probe(plan: Mapping[str, int], *, explain: bool = True) -> SearchOutcome:
            nonlocal probes
            probes += 1
            return self.api.search(
                SearchCall(query=call.query, size=config.page_size, explain=explain, plan=plan)
            )

        request = PlanRequest(
            session=index,
            call=call,
            rng=random.Random(f"{self.seed}:policy:{index}"),
            probe=probe,
            truth=truth if self.chooser.uses_ground_truth else None,
        )
        plan = self.chooser.choose(request)
        call = replace(call, plan=dict(plan) if plan is not None else None)
        outcome = self.api.search(call)
        served_at = datetime.now(UTC)
        page = [
            ShownResult(
                hit.rank,
                hit.entity_id,
                hit.entity_type,
                hit.duration_ms,
                truth.grade(hit.entity_id),
            )
            for hit in outcome.results
        ]
        behaviour = self.click_model.simulate(page, random.Random(f"{self.seed}:clicks:{index}"))
        accepted = rejected = 0
        if self.send_feedback:
            events = self._events(index, outcome, behaviour, served_at)
            if events:
                result = self.api.feedback(events)
                accepted, rejected = result.accepted, len(result.rejected)
        return self._record(
            index, listener.user_id, intent.key, intent.type, head, formulation, call, outcome,
            page, truth, behaviour, probes, accepted, rejected,
        )  # fmt: skip

    def _events(
        self, index: int, outcome: SearchOutcome, behaviour: PageOutcome, served_at: datetime
    ) -> list[dict[str, Any]]:
        """Feedback events in the service's schema (see docs/feedback.md)."""
        events: list[dict[str, Any]] = []
        by_rank = {hit.rank: hit.entity_id for hit in outcome.results}

        def add(kind: str, rank: int, offset_ms: int, play_ms: int | None = None) -> None:
            at = served_at + timedelta(milliseconds=min(offset_ms, MAX_EVENT_OFFSET_MS))
            event: dict[str, Any] = {
                "event_id": f"sim-{self.run_tag}-{index}-{len(events)}",
                "search_id": outcome.search_id,
                "type": kind,
                "entity_id": by_rank[rank],
                "position": rank,
                "timestamp": at.isoformat(),
            }
            if play_ms is not None:
                event["play_ms"] = play_ms
            events.append(event)

        if self.config.impressions is ImpressionMode.SHOWN:
            seen: tuple[int, ...] = tuple(by_rank)
        else:
            seen = behaviour.examined
        for rank in seen:
            add("impression", rank, 0)
        for act in behaviour.interactions:
            add("click", act.rank, act.offset_ms)
            if act.play_ms is not None:
                add("play", act.rank, act.offset_ms + 500, act.play_ms)
            if act.skipped:
                add("skip", act.rank, act.offset_ms + 1_000)
            if act.liked:
                add("like", act.rank, act.offset_ms + 1_500)
            if act.added:
                add("add_to_library", act.rank, act.offset_ms + 2_000)
        return events

    def _record(
        self,
        index: int,
        user_id: str,
        intent_key: str,
        intent_type: IntentType,
        head: bool,
        formulation: Formulation,
        call: SearchCall,
        outcome: SearchOutcome,
        page: list[ShownResult],
        truth: GroundTruth,
        behaviour: PageOutcome,
        probes: int,
        accepted: int,
        rejected: int,
    ) -> SessionRecord:
        targets = truth.targets
        target_rank = next((r.rank for r in page if r.entity_id in targets), None)
        explained = bool(outcome.candidates) or bool(outcome.plan)
        strategy_hits = {
            name: bool(targets.intersection(run)) for name, run in outcome.candidates.items()
        }
        plays = [i.play_ms for i in behaviour.interactions if i.play_ms is not None]
        return SessionRecord(
            session=index,
            user_id=user_id,
            intent_key=intent_key,
            intent_type=intent_type,
            head=head,
            query=call.query,
            template=formulation.template,
            noise=formulation.noise,
            canonical=formulation.canonical,
            plan_sent=dict(call.plan) if call.plan is not None else None,
            plan=dict(outcome.plan),
            plan_source=outcome.plan_source,
            shown=tuple(r.entity_id for r in page),
            grades=tuple(r.grade for r in page),
            ideal=tuple(truth.ideal(self.config.page_size)),
            max_grade=truth.max_grade,
            target_rank=target_rank,
            union_hit=bool(targets & outcome.union()) if explained else None,
            strategy_hits=strategy_hits,
            drawn={name: len(run) for name, run in outcome.candidates.items()},
            total_candidates=outcome.total_candidates,
            took_ms=outcome.took_ms,
            retrieval_ms=outcome.retrieval_ms,
            client_ms=outcome.client_ms,
            probes=probes,
            abandoned=behaviour.abandoned,
            examined=len(behaviour.examined),
            clicks=behaviour.clicks,
            plays=len(plays),
            long_plays=sum(1 for p in plays if p >= self.config.long_play_ms),
            likes=sum(1 for i in behaviour.interactions if i.liked),
            adds=sum(1 for i in behaviour.interactions if i.added),
            skips=sum(1 for i in behaviour.interactions if i.skipped),
            engaged=behaviour.engaged(self.config.long_play_ms),
            feedback_accepted=accepted,
            feedback_rejected=rejected,
            failed_strategies=tuple(sorted(outcome.failed)),
        )
