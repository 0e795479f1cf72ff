"""The services one process builds at start-up and hands to every request."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis

from catalog.store import EntityStore
from service.decisions import DecisionLog, RedisDecisionLog, SqliteDecisionLog
from service.feedback import FeedbackIngestor
from service.learning_log import LearningLog
from service.metrics import Metrics
from service.pipeline import RetrievalPlan, SearchPipeline
from service.settings import Settings
from service.signing import SearchIdSigner
from service.strategies import STORE_FILE, StrategyEnv, build_retrievers
from service.stream import EventStream, RedisEventStream, SqliteEventStream
from service.worker import EventApplier, FeedbackWorker, LearningLogApplier, MemoryApplier

STREAM_FILE = "feedback.sqlite"
LEARNING_LOG_FILE = "learning.sqlite"
DECISIONS_FILE = "decisions.sqlite"


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

    def close(self) -> None:
        self.worker.stop()
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
    worker = build_worker(settings, path, metrics, appliers=memory_appliers(settings, env))
    if settings.feedback.in_process_worker:
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
    )


def memory_appliers(settings: Settings, env: StrategyEnv) -> list[EventApplier]:
    """The memory learns from feedback when it is a configured strategy."""
    if "memory" in settings.pipeline.strategies:
        return [MemoryApplier(env.memory())]
    return []


def build_feedback_worker(settings: Settings, metrics: Metrics) -> FeedbackWorker:
    """A stand-alone worker (``ltrr worker``) over the data dir's feedback path."""
    env = StrategyEnv(settings, EntityStore(require_data_dir(settings.data_dir)))
    path = open_feedback_path(settings)
    return build_worker(settings, path, metrics, appliers=memory_appliers(settings, env))
