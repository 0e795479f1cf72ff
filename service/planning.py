"""The bandit in the service: choosing plans per search, learning from closed searches.

* :class:`Planner` — serving side: builds the context of a search (its parse,
  the memory's hit strength, what each strategy has for the query, query
  frequency, the listener's tastes, time, device, locale), asks the current
  policy for a plan, counts it in metrics, and swaps in newer policy snapshots
  as the learner publishes them;
* :class:`BanditApplier` — feedback side: opens a search in the reward ledger on
  its first impression, closes it on its first success event, and closes
  searches left without one after the window as failures; then lets the
  :class:`BanditLearner` learn every closed search in ledger order and publish
  snapshots.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from bandit.config import BanditConfig
from bandit.context import SearchContext
from bandit.ledger import RewardLedger
from bandit.plans import PlanSpace
from bandit.policy import Outcome, PlanChoice, Policy
from bandit.snapshot import SnapshotMismatchError, SnapshotStore, encode, load_policy, new_policy
from bandit.state import ListenerState
from catalog.store import EntityStore
from retrievers.base import RetrievalQuery, SupportEstimator
from retrievers.memory import SUPPORT_LIMIT, Q2EMemory
from retrievers.normalize import normalize_query
from retrievers.query_parse import QueryParse
from service.decisions import Decision
from service.events import EventType, FeedbackEvent
from service.metrics import Metrics

logger = logging.getLogger(__name__)
REWARD_EWMA = 0.001


class PolicyHolder:
    """The policy this process serves, replaced when a newer snapshot is published."""

    def __init__(
        self, space: PlanSpace, config: BanditConfig, store: SnapshotStore, metrics: Metrics
    ) -> None:
        self.space = space
        self.config = config
        self.store = store
        self.metrics = metrics
        self.policy: Policy = new_policy(space, config)
        self.ledger_seq = 0
        self.refresh()

    def refresh(self) -> bool:
        """Load the store's latest snapshot if it is newer than the policy served; True if so."""
        latest = self.store.latest_version()
        if latest <= self.policy.version:
            return False
        blob = self.store.load(latest)
        if blob is None:
            return False
        try:
            policy, seq = load_policy(blob, self.space, self.config)
        except SnapshotMismatchError as error:
            logger.error("not serving policy snapshot v%d: %s", latest, error)
            return False
        self.policy, self.ledger_seq = policy, seq
        self.metrics.bandit_policy_version.set(policy.version)
        return True


class Planner:
    """Chooses the plan of each search that does not pin one."""

    def __init__(
        self,
        holder: PolicyHolder,
        state: ListenerState,
        memory: Q2EMemory | None,
        metrics: Metrics,
        *,
        seed: int,
        supports: Mapping[str, SupportEstimator] | None = None,
    ) -> None:
        self.holder = holder
        self.state = state
        self.memory = memory
        self.supports = dict(supports or {})
        self._memory_limit = SUPPORT_LIMIT if memory in self.supports.values() else 1
        self.metrics = metrics
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def context(
        self,
        text: str,
        parse: QueryParse | None,
        *,
        user_id: str | None,
        device: str | None,
        locale: str | None,
        when: datetime | None,
    ) -> SearchContext:
        key = normalize_query(text)
        memory_top, memory_events = 0.0, 0
        memory = self.memory
        # One read of the query's memory pairs serves both its hit strength and its support.
        pairs = memory.exact_pairs(text, self._memory_limit) if memory is not None else []
        if memory is not None and pairs:
            entity_id, memory_top = pairs[0]
            stats = memory.store.pair_stats(key, [entity_id]).get(entity_id)
            memory_events = stats.events if stats is not None else 0
        query = RetrievalQuery(text=text, understanding=parse)
        support = tuple(
            (name, Q2EMemory.support_of(pairs) if est is memory else est.support(query))
            for name, est in self.supports.items()
        )
        return SearchContext(
            query=text,
            parse=parse,
            memory_top=float(memory_top),
            memory_events=memory_events,
            query_count=self.state.count_query(key) if key else 0,
            when=when or datetime.now(UTC),
            device=device,
            locale=locale,
            tastes=tuple(self.state.tastes(user_id)) if user_id else (),
            support=support,
        )

    def choose(self, context: SearchContext) -> PlanChoice:
        with self._rng_lock:
            seed = self._rng.getrandbits(64)
        choice = self.holder.policy.choose(context, random.Random(seed))
        m = self.metrics
        m.bandit_decisions.inc()
        if choice.explored:
            m.bandit_explore.inc()
        m.bandit_candidates.observe(sum(choice.plan.values()))
        for strategy, depth in choice.plan.items():
            m.bandit_plans.labels(strategy, str(depth)).inc()
        return choice

    def observe_latency(self, per_strategy_ms: dict[str, float]) -> None:
        for strategy, ms in per_strategy_ms.items():
            self.holder.policy.stats.record_latency(strategy, ms)

    def start_refresh(self) -> None:
        """Poll for newer snapshots in a daemon thread (replicas that do not learn)."""

        def loop() -> None:
            while not self._stop.wait(self.holder.config.refresh_interval_s):
                try:
                    self.holder.refresh()
                except Exception:
                    logger.exception("refreshing the bandit policy failed; will retry")

        if self._thread is None:
            self._thread = threading.Thread(target=loop, name="ltrr-bandit-refresh", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class BanditLearner:
    """Learns closed searches in ledger order into the held policy; publishes snapshots."""

    def __init__(self, holder: PolicyHolder, ledger: RewardLedger, metrics: Metrics) -> None:
        self.holder = holder
        self.ledger = ledger
        self.metrics = metrics
        self._lock = threading.Lock()
        self._since_publish = 0
        self._last_publish = time.monotonic()
        self._reward_mean: float | None = None

    def catch_up(self) -> int:
        """Learn every closed search the policy has not learned yet; returns how many."""
        config = self.holder.config
        learned = 0
        with self._lock:
            while True:
                batch = list(self.ledger.closed_after(self.holder.ledger_seq, limit=1000))
                if not batch:
                    break
                for row in batch:
                    self.holder.policy.learn(row.choice, row.outcome)
                    self.holder.ledger_seq = row.seq
                    self._observe(row.outcome, row.served_at)
                learned += len(batch)
            self._since_publish += learned
            due = self._since_publish >= config.snapshot_every or (
                self._since_publish
                and time.monotonic() - self._last_publish >= config.snapshot_interval_s
            )
            if due:
                self._publish()
        return learned

    def _observe(self, outcome: Outcome, served_at: float) -> None:
        m = self.metrics
        m.bandit_rewards.labels("success" if outcome.success else "failure").inc()
        m.bandit_learn_lag.observe(max(0.0, time.time() - served_at))
        mean = self._reward_mean
        self._reward_mean = (
            outcome.reward if mean is None else mean + REWARD_EWMA * (outcome.reward - mean)
        )
        m.bandit_reward_mean.set(self._reward_mean)

    def _publish(self) -> None:
        holder = self.holder
        policy = holder.policy
        policy.version = max(holder.store.latest_version(), policy.version) + 1
        blob = encode(policy, holder.config, holder.space, holder.ledger_seq)
        holder.store.publish(policy.version, blob)
        self.metrics.bandit_policy_version.set(policy.version)
        self._since_publish = 0
        self._last_publish = time.monotonic()

    @property
    def pending(self) -> int:
        """Rewards learned since the last published snapshot."""
        return self._since_publish

    def publish(self) -> None:
        with self._lock:
            self._publish()


class BanditApplier:
    """Feedback → the reward ledger (exactly one reward per search) → the learner."""

    name = "bandit"

    def __init__(
        self,
        learner: BanditLearner,
        config: BanditConfig,
        budget: int,
        state: ListenerState,
        store: EntityStore,
    ) -> None:
        self.learner = learner
        self.ledger = learner.ledger
        self.config = config
        self.budget = budget
        self.state = state
        self.store = store

    def is_success(self, event: FeedbackEvent) -> bool:
        reward = self.config.reward
        if event.type.value not in reward.success_events:
            return False
        return event.type is not EventType.PLAY or (event.play_ms or 0) >= reward.min_play_ms

    def _reward(self, success: bool, decision: Decision) -> float:
        drawn = sum(len(run) for run in decision.candidates.values())
        return self.config.reward.reward(success, drawn, self.budget, decision.retrieval_ms)

    def apply(self, event: FeedbackEvent, decision: Decision) -> None:
        choice = decision.bandit
        if choice is None:
            return  # a pinned or default plan: its propensity is unknown, nothing to learn
        now = time.time()
        if event.type is EventType.IMPRESSION:
            self.ledger.open(
                decision.search_id,
                at=now,
                served_at=decision.created_at,
                choice=choice,
                drawn=sum(len(run) for run in decision.candidates.values()),
                latency_ms=decision.retrieval_ms,
            )
            return
        if not self.is_success(event):
            return
        found = {
            name: next(c.rank for c in run if c.entity_id == event.entity_id)
            for name, run in decision.candidates.items()
            if any(c.entity_id == event.entity_id for c in run)
        }
        outcome = Outcome(
            success=True,
            reward=self._reward(True, decision),
            found_ranks=found,
            latency_ms=decision.retrieval_ms,
        )
        closed = self.ledger.close(
            decision.search_id,
            at=now,
            served_at=decision.created_at,
            choice=choice,
            outcome=outcome,
            reason="success",
        )
        if closed and decision.user_id:
            entity = self.store.get_many([event.entity_id]).get(event.entity_id)
            if entity is not None:
                self.state.record_taste(decision.user_id, [*entity.genres, *entity.moods][:6])

    def tick(self) -> None:
        """Close searches left without success past the window; learn what closed."""
        reward = self.config.reward
        now = time.time()
        for search_id, served_at, choice, drawn, latency_ms in self.ledger.expired(
            now - reward.window_s
        ):
            self.ledger.close(
                search_id,
                at=now,
                served_at=served_at,
                choice=choice,
                outcome=Outcome(
                    success=False,
                    reward=reward.reward(False, drawn, self.budget, latency_ms),
                    latency_ms=latency_ms,
                ),
                reason="window",
            )
        self.learner.catch_up()
