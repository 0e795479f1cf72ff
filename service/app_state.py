"""The services one process builds at start-up and hands to every request."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.store import EntityStore
from service.decisions import SqliteDecisionLog
from service.metrics import Metrics
from service.pipeline import RetrievalPlan, SearchPipeline
from service.settings import Settings
from service.signing import SearchIdSigner
from service.strategies import STORE_FILE, build_retrievers


@dataclass
class Services:
    """Everything a request needs, built once per process."""

    settings: Settings
    store: EntityStore
    pipeline: SearchPipeline
    decisions: SqliteDecisionLog
    signer: SearchIdSigner
    metrics: Metrics
    default_plan: RetrievalPlan

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()


def build_services(settings: Settings, metrics: Metrics) -> Services:
    """Open the data dir's store and indexes; fails with a clear message if they are missing."""
    data_dir = settings.data_dir
    store_path = data_dir / STORE_FILE
    if not store_path.exists():
        raise FileNotFoundError(
            f"no catalog store at {store_path}: build the data dir with "
            f"`ltrr index --catalog CATALOG --data-dir {data_dir}`"
        )
    store = EntityStore(store_path)
    metrics.indexed_entities.set(len(store))
    pipeline = SearchPipeline(
        build_retrievers(settings),
        metrics,
        timeout_s=settings.pipeline.strategy_timeout_ms / 1000.0,
        rrf_k=settings.pipeline.rrf_k,
    )
    plan = RetrievalPlan(depths=settings.pipeline.default_plan)
    pipeline.check_plan(plan)
    return Services(
        settings=settings,
        store=store,
        pipeline=pipeline,
        decisions=SqliteDecisionLog(data_dir / "decisions.sqlite", settings.decision_log_ttl_s),
        signer=SearchIdSigner(settings.signing_secret),
        metrics=metrics,
        default_plan=plan,
    )
