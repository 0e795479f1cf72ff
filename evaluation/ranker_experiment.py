"""Does a ranker trained from ltrr's own feedback beat RRF? Measured with simulated listeners.

One experiment, all through the public API of an in-process service:

0. **Cold start.** Before any listener arrives, a cold-start ranker is trained on synthetic
   queries generated from the catalog (:mod:`ranker.coldstart`), as a fresh install would.
1. **Logging.** Simulated listeners search under the service's default plan (bandit off,
   so every ranker sees the same kind of candidate sets) while RRF orders the results and a
   share of pages gets one randomized swap. Their impressions, clicks and plays flow through
   ``POST /feedback`` into the learning log, with the features each search served.
2. **Position bias.** Examination propensities are estimated from the swaps
   (:mod:`ranker.propensity`) and compared with the simulator's true examination curve,
   which the service never sees.
3. **Training.** Three LambdaMART models from the same logs: naive (clicks as labels),
   LightGBM's position-bias correction, and inverse-propensity weighting with the estimated
   propensities.
4. **Evaluation on fresh sessions.** New sessions of the same listeners (another session
   seed; no feedback, so nothing changes between runs) are searched once per ranker, the
   ranker pinned on each request. The plan and the memory are the same for every ranker, so
   each ranks the same candidate sets; nDCG@10 and success@10 are computed against the
   simulator's graded ground truth, overall and per intent type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from evaluation.simulate import PolicyReport, examination_curve, run_policy
from ranker.coldstart import train_coldstart
from ranker.config import RankerConfig
from ranker.fit import Debias, estimate_from_log, fit_from_logs
from ranker.interventions import SwapConfig
from ranker.propensity import true_curve_error
from service.app import create_app
from service.app_state import LEARNING_LOG_FILE, Services
from service.settings import Settings
from simulator.config import FeedbackMode, SimulatorConfig
from simulator.population import Population
from simulator.sampling import IntentSampler
from simulator.world import CatalogWorld

EVAL_SEED_OFFSET = 1_000_003
"""Fresh sessions: the evaluation's session seed is the logging seed plus this."""


class PropensityReport(BaseModel):
    scheme: str
    swap_rate: float
    swapped_searches: int
    estimated: list[float | None] = Field(description="p_k / p_1, None where unknown.")
    low: list[float | None]
    high: list[float | None]
    true: list[float] = Field(description="The simulator's examination curve, p_k / p_1.")
    mean_abs_error: float
    max_abs_error: float


class ModelReport(BaseModel):
    version: str
    debias: str
    searches: int
    rows: int
    valid_click_ndcg_at_10: float | None
    trees: int | None = None
    """Boosting rounds the model kept."""
    valid_ips_dcg_at_10: float | None = None
    """Counterfactual DCG@10 of the held-out searches, when it chose the rounds."""


class RankerEvaluation(BaseModel):
    ranker: str
    version: str
    ndcg_at_10: float
    success_at_10: float
    ndcg_vs_rrf: float = Field(description="nDCG@10 over RRF's on the same candidate sets.")
    mean_union_size: float = Field(description="Candidates ranked per search (same for all).")
    per_intent_success: dict[str, float]
    per_intent_ndcg: dict[str, float]


class RankerExperimentReport(BaseModel):
    catalog: dict[str, int]
    train_sessions: int
    eval_sessions: int
    seed: int
    eval_seed: int
    logging: dict[str, float] = Field(description="Success and nDCG of the logging run.")
    propensities: PropensityReport | None
    models: dict[str, ModelReport]
    evaluation: dict[str, RankerEvaluation]


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


STRATEGY_TIMEOUT_MS = 10_000.0
"""Generous: a strategy dropped for a timeout on a loaded machine would change one ranker's
candidate set and not another's, and the comparison is on identical candidate sets."""


def experiment_settings(data_dir: Path, swap_rate: float) -> Settings:
    """Bandit off (the default plan for every search), swaps on, features logged."""
    from bandit.config import BanditConfig
    from service.settings import PipelineConfig

    return Settings(
        data_dir=data_dir,
        bandit=BanditConfig(enabled=False),
        ranker=RankerConfig(swaps=SwapConfig(rate=swap_rate)),
        pipeline=PipelineConfig(strategy_timeout_ms=STRATEGY_TIMEOUT_MS),
    )


def _evaluation(name: str, version: str, report: PolicyReport, rrf: float) -> RankerEvaluation:
    ndcg = report.overall.ndcg_at_10
    return RankerEvaluation(
        ranker=name,
        version=version,
        ndcg_at_10=ndcg,
        success_at_10=report.overall.success_at_10,
        ndcg_vs_rrf=ndcg / rrf if rrf > 0 else float("nan"),
        mean_union_size=report.overall.mean_union_size,
        per_intent_success={k: m.success_at_10 for k, m in report.per_intent.items()},
        per_intent_ndcg={k: m.ndcg_at_10 for k, m in report.per_intent.items()},
    )


def run_experiment(
    data_dir: Path,
    world: CatalogWorld,
    *,
    catalog: dict[str, int],
    train_sessions: int,
    eval_sessions: int,
    seed: int,
    swap_rate: float = 0.1,
    coldstart_queries: int = 0,
    on_stage: Callable[[str, int], Callable[[object], None]] | None = None,
) -> RankerExperimentReport:
    """The whole experiment on ``data_dir`` (a private, writable copy of an indexed catalog).

    ``coldstart_queries`` > 0 trains a cold-start ranker on that many synthetic queries before
    the logging run, and evaluates it with the others. ``on_stage(name, sessions)`` may return
    a per-session callback (progress bars).
    """
    settings = experiment_settings(data_dir, swap_rate)
    config = SimulatorConfig()
    population = Population.generate(world, config.population, seed)
    sampler = IntentSampler(world, config.intents, seed)
    budget = settings.pipeline.candidate_budget
    eval_seed = seed + EVAL_SEED_OFFSET
    eval_config = config.model_copy(update={"feedback": FeedbackMode.OFF})

    def hook(stage: str, sessions: int) -> Callable[[object], None] | None:
        return None if on_stage is None else on_stage(stage, sessions)

    with TestClient(create_app(settings)) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        models: dict[str, ModelReport] = {}
        if coldstart_queries > 0:
            models["ltr-coldstart"] = _coldstart(services, coldstart_queries, seed, hook)
        logging_run = run_policy(
            client, world, "service", sessions=train_sessions, seed=seed, config=config,
            budget=budget, population=population, sampler=sampler,
            on_session=hook("logging (RRF, swaps)", train_sessions),
        )  # fmt: skip
        services.worker.drain(timeout_s=3600)
        spec = services.ranking.spec
        log = data_dir / LEARNING_LOG_FILE

        propensities = None
        if swap_rate > 0:
            estimate = estimate_from_log(log, spec, settings.ranker.swaps)
            curve = examination_curve(config)[: estimate.max_position]
            true = [p / curve[0] for p in curve]
            error = true_curve_error(estimate, true)
            propensities = PropensityReport(
                scheme=estimate.scheme,
                swap_rate=swap_rate,
                swapped_searches=sum(estimate.counts),
                estimated=[_finite(v) for v in estimate.relative],
                low=[_finite(v) for v in estimate.low],
                high=[_finite(v) for v in estimate.high],
                true=true,
                mean_abs_error=error["mean_abs_error"],
                max_abs_error=error["max_abs_error"],
            )

        debiasing = [Debias.NONE, Debias.LIGHTGBM] + ([Debias.IPW] if swap_rate > 0 else [])
        for debias in debiasing:
            fit = fit_from_logs(log, spec, debias=debias, swaps=settings.ranker.swaps)
            record = services.registry.register(fit.model, spec, trained_on=fit.span)
            models[f"ltr-{debias.value}"] = ModelReport(
                version=record.version,
                debias=debias.value,
                searches=fit.span.searches,
                rows=fit.span.rows,
                valid_click_ndcg_at_10=fit.metrics.get("ndcg@10"),
                trees=fit.model.best_iteration,
                valid_ips_dcg_at_10=fit.metrics.get("ips_dcg@10"),
            )
        rankers: dict[str, str] = {"rrf": "rrf"}
        rankers.update({name: m.version for name, m in models.items()})
        reports: dict[str, PolicyReport] = {}
        for name, version in rankers.items():
            reports[name] = run_policy(
                client, world, "service", sessions=eval_sessions, seed=eval_seed,
                config=eval_config, budget=budget, population=population, sampler=sampler,
                on_session=hook(f"evaluate {name}", eval_sessions), ranker=version,
            ).report  # fmt: skip

    rrf = reports["rrf"].overall.ndcg_at_10
    return RankerExperimentReport(
        catalog=catalog,
        train_sessions=train_sessions,
        eval_sessions=eval_sessions,
        seed=seed,
        eval_seed=eval_seed,
        logging={
            "success_at_10": logging_run.report.overall.success_at_10,
            "ndcg_at_10": logging_run.report.overall.ndcg_at_10,
        },
        propensities=propensities,
        models=models,
        evaluation={
            name: _evaluation(name, rankers[name], report, rrf) for name, report in reports.items()
        },
    )


def _coldstart(
    services: Services,
    queries: int,
    seed: int,
    hook: Callable[[str, int], Callable[[object], None] | None],
) -> ModelReport:
    """Train and register the cold-start ranker of a fresh install (no feedback yet)."""
    advance = hook("cold start (synthetic queries)", queries)
    model, span, _stats = train_coldstart(
        services,
        queries,
        seed,
        progress=None if advance is None else lambda: advance(None),
    )
    record = services.registry.register(model, services.ranking.spec, trained_on=span)
    return ModelReport(
        version=record.version,
        debias="coldstart",
        searches=span.searches,
        rows=span.rows,
        valid_click_ndcg_at_10=None,
        trees=model.best_iteration,
    )


def summary_rows(report: RankerExperimentReport) -> list[dict[str, Any]]:
    """One row per ranker: the figures the command prints."""
    return [
        {
            "ranker": e.ranker,
            "ndcg@10": round(e.ndcg_at_10, 4),
            "vs rrf": round(e.ndcg_vs_rrf, 3),
            "success@10": round(e.success_at_10, 4),
        }
        for e in report.evaluation.values()
    ]
