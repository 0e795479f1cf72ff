"""The services one process builds at start-up and hands to every request."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import redis

from bandit.ledger import RewardLedger
from bandit.plans import PlanSpace
from bandit.snapshot import FileSnapshotStore, RedisSnapshotStore, SnapshotStore
from bandit.state import ListenerState, RedisListenerState, SqliteListenerState
from catalog.cache import EntityCache
from catalog.store import EntityStore
from ranker.feature_spec import FeatureSpec
from ranker.registry import ModelRegistry, open_registry
from retrievers.base import Retriever, SupportEstimator
from service.decisions import DecisionLog, RedisDecisionLog, SqliteDecisionLog
from service.feedback import FeedbackIngestor
from service.learning_log import LearningLog
from service.metrics import Metrics
from service.pipeline import RetrievalPlan, SearchPipeline
from service.planning import BanditApplier, BanditLearner, Planner, PolicyHolder
from service.ranking import RankerHolder, RankStage
from service.settings import Settings
from service.signing import SearchIdSigner
from service.strategies import STORE_FILE, StrategyEnv, build_retrievers
from service.stream import EventStream, RedisEventStream, SqliteEventStream
from service.worker import EventApplier, FeedbackWorker, LearningLogApplier, MemoryApplier

STREAM_FILE = "feedback.sqlite"
LEARNING_LOG_FILE = "learning.sqlite"
DECISIONS_FILE = "decisions.sqlite"
BANDIT_DIR = "bandit"


@dataclass
class Services:
    """Everything a request needs, built once per process."""

    settings: Settings
    store: EntityStore
    pipeline: SearchPipeline
    decisions: DecisionLog
    signer: SearchIdSigner
    metrics: Metrics
    default_plan: RetrievalPlan
    feedback: FeedbackIngestor
    worker: FeedbackWorker
    learning_log: LearningLog
    env: StrategyEnv
    entities: EntityCache
    listener_state: ListenerState
    ranking: RankStage
    registry: ModelRegistry
    bandit: BanditRuntime | None = None

    def close(self) -> None:
        self.worker.stop()
        self.ranking.holder.stop()
        if self.bandit is not None:
            self.bandit.close()
        self.listener_state.close()
        self.pipeline.close()
        self.env.close()
        self.store.close()
        self.worker.stream.close()
        self.learning_log.close()


@dataclass
class FeedbackPath:
    """The shared state of the feedback path: decision log, stream, learning log."""

    decisions: DecisionLog
    stream: EventStream
    learning_log: LearningLog


@dataclass
class BanditRuntime:
    """The bandit's parts in one process: the policy served, and the learner if it learns here."""

    holder: PolicyHolder
    planner: Planner
    state: ListenerState
    learner: BanditLearner | None = None
    applier: BanditApplier | None = None

    def close(self) -> None:
        """Stop the bandit's threads and flush its learner (the listener state is not its own)."""
        self.planner.stop()
        if self.learner is not None:
            if self.learner.pending:
                self.learner.publish()
            self.learner.ledger.close_db()


def open_bandit(
    settings: Settings,
    env: StrategyEnv,
    store: EntityStore,
    metrics: Metrics,
    state: ListenerState,
    *,
    learns: bool,
    retrievers: Mapping[str, Retriever] | None = None,
) -> BanditRuntime | None:
    """The bandit of this process, or None when it is switched off.

    Snapshots and listener state live in Redis when ``REDIS_URL`` is set (every
    replica serves the same policy), in the data dir otherwise. The process that
    learns — the in-process worker, or ``ltrr worker`` — also keeps the reward
    ledger and replays into the policy whatever the latest snapshot misses.
    ``retrievers`` are the serving pipeline's: those that can estimate their support
    for a query feed the context (a process that only learns needs none).
    """
    config = settings.bandit
    if not config.enabled:
        return None
    pipeline = settings.pipeline
    space = PlanSpace(
        pipeline.strategies, config.ladder, pipeline.candidate_budget, pipeline.default_plan
    )
    snapshots: SnapshotStore
    directory = settings.data_dir / BANDIT_DIR
    if settings.redis_url:
        snapshots = RedisSnapshotStore(redis.Redis.from_url(settings.redis_url))
    else:
        snapshots = FileSnapshotStore(directory / "snapshots")
    holder = PolicyHolder(space, config, snapshots, metrics)
    memory = env.memory() if "memory" in pipeline.strategies else None
    supports = {
        name: retriever
        for name, retriever in (retrievers or {}).items()
        if config.support and isinstance(retriever, SupportEstimator)
    }
    planner = Planner(holder, state, memory, metrics, seed=config.seed, supports=supports)
    runtime = BanditRuntime(holder, planner, state)
    if learns and config.learn:
        learner = BanditLearner(holder, RewardLedger(directory / "ledger.sqlite"), metrics)
        learner.catch_up()
        runtime.learner = learner
        runtime.applier = BanditApplier(learner, config, pipeline.candidate_budget, state, store)
    else:
        planner.start_refresh()
    return runtime


def open_listener_state(settings: Settings) -> ListenerState:
    """Query counts and listener tastes: in Redis when ``REDIS_URL`` is set, else the data dir."""
    if settings.redis_url:
        return RedisListenerState(redis.Redis.from_url(settings.redis_url))
    return SqliteListenerState(settings.data_dir / BANDIT_DIR / "state.sqlite")


def open_ranking(
    settings: Settings, env: StrategyEnv, entities: EntityCache, metrics: Metrics
) -> tuple[RankStage, ModelRegistry]:
    """The ranking stage, following the registry's active model (polled in the background)."""
    registry = open_registry(settings.data_dir, settings.redis_url)
    spec = FeatureSpec.for_strategies(settings.pipeline.strategies)
    holder = RankerHolder(registry, spec, metrics)
    holder.refresh()
    holder.start_refresh(settings.ranker.refresh_s)
    memory = env.memory().store if "memory" in settings.pipeline.strategies else None
    stage = RankStage(holder, entities, memory, settings.ranker, metrics)
    return stage, registry


def open_feedback_path(settings: Settings) -> FeedbackPath:
    """Redis-backed decision log and stream when ``REDIS_URL`` is set, SQLite otherwise."""
    data_dir = settings.data_dir
    config = settings.feedback
    decisions: DecisionLog
    stream: EventStream
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url)
        decisions = RedisDecisionLog(client, settings.decision_log_ttl_s)
        stream = RedisEventStream(client, lease_s=config.lease_s, dedup_ttl_s=config.dedup_ttl_s)
    else:
        decisions = SqliteDecisionLog(data_dir / DECISIONS_FILE, settings.decision_log_ttl_s)
        stream = SqliteEventStream(data_dir / STREAM_FILE, lease_s=config.lease_s)
    return FeedbackPath(decisions, stream, LearningLog(data_dir / LEARNING_LOG_FILE))


def consumer_name() -> str:
    """Unique per worker instance, so two workers never share claims."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def build_worker(
    settings: Settings, path: FeedbackPath, metrics: Metrics, appliers: list[EventApplier]
) -> FeedbackWorker:
    return FeedbackWorker(
        path.stream,
        path.decisions,
        [LearningLogApplier(path.learning_log), *appliers],
        metrics,
        consumer=consumer_name(),
        batch_size=settings.feedback.batch_size,
        max_attempts=settings.feedback.max_attempts,
    )


def require_data_dir(data_dir: Path) -> Path:
    store_path = data_dir / STORE_FILE
    if not store_path.exists():
        raise FileNotFoundError(
            f"no catalog store at {store_path}: build the data dir with "
            f"`ltrr index --catalog CATALOG --data-dir {data_dir}`"
        )
    return store_path


def build_services(settings: Settings, metrics: Metrics) -> Services:
    """Open the data dir's store and indexes; fails with a clear message if they are missing."""
    store = EntityStore(require_data_dir(settings.data_dir))
    metrics.indexed_entities.set(len(store))
    env = StrategyEnv(settings, store)
    pipeline = SearchPipeline(
        build_retrievers(settings, env),
        metrics,
        timeout_s=settings.pipeline.strategy_timeout_ms / 1000.0,
        rrf_k=settings.pipeline.rrf_k,
        understanding=env.understanding(),
    )
    plan = RetrievalPlan(depths=settings.pipeline.default_plan)
    pipeline.check_plan(plan)
    signer = SearchIdSigner(settings.signing_secret)
    path = open_feedback_path(settings)
    in_process = settings.feedback.in_process_worker
    state = open_listener_state(settings)
    bandit = open_bandit(
        settings, env, store, metrics, state, learns=in_process, retrievers=pipeline.retrievers
    )
    entities = EntityCache(store)
    ranking, registry = open_ranking(settings, env, entities, metrics)
    appliers = memory_appliers(settings, env)
    if bandit is not None and bandit.applier is not None:
        appliers.append(bandit.applier)
    worker = build_worker(settings, path, metrics, appliers=appliers)
    if in_process:
        worker.start()
    return Services(
        settings=settings,
        store=store,
        pipeline=pipeline,
        decisions=path.decisions,
        signer=signer,
        metrics=metrics,
        default_plan=plan,
        feedback=FeedbackIngestor(signer, path.decisions, path.stream),
        worker=worker,
        learning_log=path.learning_log,
        env=env,
        entities=entities,
        listener_state=state,
        ranking=ranking,
        registry=registry,
        bandit=bandit,
    )


def memory_appliers(settings: Settings, env: StrategyEnv) -> list[EventApplier]:
    """The memory learns from feedback when it is a configured strategy set to learn."""
    if "memory" in settings.pipeline.strategies and settings.memory.learn:
        return [MemoryApplier(env.memory())]
    return []


def build_feedback_worker(settings: Settings, metrics: Metrics) -> FeedbackWorker:
    """A stand-alone worker (``ltrr worker``) over the data dir's feedback path."""
    store = EntityStore(require_data_dir(settings.data_dir))
    env = StrategyEnv(settings, store)
    path = open_feedback_path(settings)
    appliers = memory_appliers(settings, env)
    bandit = open_bandit(settings, env, store, metrics, open_listener_state(settings), learns=True)
    if bandit is not None and bandit.applier is not None:
        appliers.append(bandit.applier)
    return build_worker(settings, path, metrics, appliers=appliers)
