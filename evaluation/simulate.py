"""Simulated evaluation: run listener sessions under a policy and measure what they got.

The measurement answers "does ltrr find what listeners want, at what cost, and
does it get better with feedback?":

* **success@10** — an intended entity was shown in the top 10;
* **nDCG@10** against the graded ground truth (computed by ``ranx``; Järvelin &
  Kekäläinen 2002), with linear gains;
* **CTR** (clicks per examined result) and **reward rate** (sessions with a
  click, a play of at least 30 s, or a like);
* **union recall** — an intended entity was among the candidates of any
  strategy (retrieval, before ranking: what no ranker can make up for);
* cost: candidates drawn per search, search latency (mean, p99);
* per strategy: share of searches calling it, and its recall when called;
* the same per intent type, per head/tail, and as curves over windows of
  sessions, which is where learning shows.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from bandit.config import RewardConfig
from evaluation.policies import Policy, PolicyEnvironment, make_policy
from service.settings import PipelineConfig
from simulator.api import HttpClient, ServiceApi
from simulator.clicks import ClickModel
from simulator.config import SimulatorConfig
from simulator.noise import TYPOS
from simulator.population import Population
from simulator.sampling import IntentSampler
from simulator.session import SessionRecord, SessionRunner
from simulator.world import CatalogWorld

K = 10
"""Cut-off of success@k and nDCG@k."""


class StrategyMetrics(BaseModel):
    share: float = Field(description="Fraction of searches that called the strategy.")
    recall: float | None = Field(
        description="Among searches calling it: fraction where its candidates held an intended "
        "entity (None without explain or when never called)."
    )
    mean_drawn: float = Field(description="Mean candidates it returned when called.")


class Metrics(BaseModel):
    """Aggregates over a set of sessions."""

    sessions: int
    success_at_10: float
    ndcg_at_10: float
    ctr: float = Field(description="Clicks per examined result.")
    sessions_with_click: float
    reward_rate: float = Field(description="Sessions with a click, a long play or a like.")
    plan_reward: float = Field(
        default=0.0,
        description="Mean of the bandit's reward: engaged - λ·candidates/budget - μ·retrieval "
        "seconds, with the default reward settings, whatever the policy.",
    )
    abandonment: float
    union_recall: float | None = Field(description="An intended entity among the candidates.")
    mean_candidates_drawn: float = Field(description="Candidates returned by all strategies.")
    mean_union_size: float
    mean_latency_ms: float = Field(description="Service-side search time (took_ms).")
    p99_latency_ms: float
    mean_client_ms: float = Field(description="Round trip as the client saw it.")
    mean_probes: float = Field(description="Unseen probe searches per session (oracle only).")
    feedback_accepted: int
    feedback_rejected: int


class CurvePoint(Metrics):
    start: int
    end: int
    strategy_share: dict[str, float] = Field(
        default_factory=dict, description="Share of the window's searches calling each strategy."
    )
    mean_depth: dict[str, float] = Field(
        default_factory=dict, description="Mean depth drawn per strategy (0 when not called)."
    )
    strategy_recall: dict[str, float | None] = Field(
        default_factory=dict,
        description="Per strategy, an intended entity among its candidates, in the window's "
        "searches calling it (None when none did).",
    )


class PolicyReport(BaseModel):
    policy: str
    overall: Metrics
    per_intent: dict[str, Metrics]
    per_segment: dict[str, Metrics] = Field(description="Head (shared) vs tail intents.")
    per_strategy: dict[str, StrategyMetrics]
    curve: list[CurvePoint]
    segment_curves: dict[str, list[CurvePoint]] = Field(
        default_factory=dict,
        description="Curves of a segment over the same session windows as ``curve``; "
        "``head-misspelled``: head intents whose query carried a misspelling, the "
        "queries memory can learn and lexical matching cannot.",
    )
    seconds: float
    ms_per_session: float


class SimulationReport(BaseModel):
    catalog: dict[str, int | str]
    sessions: int
    seed: int
    window: int
    strategies: list[str]
    budget: int
    examination_curve: list[float] = Field(description="True P(examined) at ranks 1..10.")
    simulator: SimulatorConfig
    policies: dict[str, PolicyReport]
    ranker: str = Field(
        default="rrf", description="What ordered every policy's results: RRF or a model version."
    )


def ndcg_at_k(records: Sequence[SessionRecord], k: int = K) -> list[float]:
    """Per-session nDCG@k with ``ranx``.

    The qrels of a session are the graded entities it showed plus its ``k``
    best-graded entities overall, which makes IDCG@k exact without listing
    thousands of relevant entities per intent.
    """
    scores = [0.0] * len(records)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for i, record in enumerate(records):
        if not record.shown:
            continue
        qid = f"q{i:09d}"
        judged = {eid: g for eid, g in zip(record.shown, record.grades, strict=True) if g > 0}
        judged.update(dict(record.ideal))
        qrels[qid] = judged
        run[qid] = {eid: 1.0 / rank for rank, eid in enumerate(record.shown[:k], start=1)}
    if not run:
        return scores
    from ranx import Qrels, Run, evaluate

    ranx_run = Run(run)
    # ranx compiles its metrics with numba, whose type-safety warnings about its own
    # internal casts would fail the warnings-as-errors test suite; only those are muted.
    from numba.core.errors import NumbaWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaWarning)
        evaluate(Qrels(qrels), ranx_run, f"ndcg@{k}")
    per_query = ranx_run.scores[f"ndcg@{k}"]
    for i in range(len(records)):
        qid = f"q{i:09d}"
        if qid in per_query:
            scores[i] = float(per_query[qid])
    return scores


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return float(np.mean(items)) if items else 0.0


def summarize(records: Sequence[SessionRecord], ndcg: Sequence[float]) -> Metrics:
    """Aggregate metrics of a set of sessions (``ndcg`` aligned with ``records``)."""
    n = len(records)
    examined = sum(r.examined for r in records)
    explained = [r for r in records if r.union_hit is not None]
    latencies = [r.took_ms for r in records]
    return Metrics(
        sessions=n,
        success_at_10=_mean(
            1.0 if r.target_rank is not None and r.target_rank <= K else 0.0 for r in records
        ),
        ndcg_at_10=_mean(ndcg),
        ctr=sum(r.clicks for r in records) / examined if examined else 0.0,
        sessions_with_click=_mean(1.0 if r.clicks else 0.0 for r in records),
        reward_rate=_mean(1.0 if r.engaged else 0.0 for r in records),
        plan_reward=_mean(plan_reward(r) for r in records),
        abandonment=_mean(1.0 if r.abandoned else 0.0 for r in records),
        union_recall=_mean(1.0 if r.union_hit else 0.0 for r in explained) if explained else None,
        mean_candidates_drawn=_mean(sum(r.drawn.values()) for r in records),
        mean_union_size=_mean(r.total_candidates for r in records),
        mean_latency_ms=_mean(latencies),
        p99_latency_ms=float(np.percentile(latencies, 99)) if latencies else 0.0,
        mean_client_ms=_mean(r.client_ms for r in records),
        mean_probes=_mean(r.probes for r in records),
        feedback_accepted=sum(r.feedback_accepted for r in records),
        feedback_rejected=sum(r.feedback_rejected for r in records),
    )


def strategy_metrics(
    records: Sequence[SessionRecord], strategies: Sequence[str]
) -> dict[str, StrategyMetrics]:
    """Share of searches calling each strategy, and its recall when called."""
    out: dict[str, StrategyMetrics] = {}
    for name in strategies:
        calls = [r for r in records if (r.plan or r.plan_sent or {}).get(name, 0) > 0]
        explained = [r for r in calls if name in r.strategy_hits]
        out[name] = StrategyMetrics(
            share=len(calls) / len(records) if records else 0.0,
            recall=_mean(1.0 if r.strategy_hits[name] else 0.0 for r in explained)
            if explained
            else None,
            mean_drawn=_mean(r.drawn.get(name, 0) for r in calls),
        )
    return out


REWARD = RewardConfig()
BUDGET = PipelineConfig().candidate_budget


def plan_reward(record: SessionRecord) -> float:
    """The reward the bandit learns from, computed the same way for every policy."""
    drawn = sum(record.drawn.values()) if record.drawn else record.total_candidates
    return REWARD.reward(record.engaged, drawn, BUDGET, record.retrieval_ms)


def is_head_misspelled(record: SessionRecord) -> bool:
    """A shared (head) intent typed with at least one misspelling."""
    return record.head and any(kind in TYPOS for kind in record.noise)


def report_policy(
    name: str,
    records: Sequence[SessionRecord],
    strategies: Sequence[str],
    window: int,
    seconds: float,
) -> PolicyReport:
    """Every metric of one policy's run: overall, per intent, head/tail, per strategy, curve."""
    if window < 1:
        raise ValueError(f"window must be at least 1 session, but {window} is given")
    ndcg = ndcg_at_k(records)

    def subset(keep: Callable[[SessionRecord], bool]) -> Metrics:
        picked = [i for i, r in enumerate(records) if keep(r)]
        return summarize([records[i] for i in picked], [ndcg[i] for i in picked])

    types = sorted({r.intent_type.value for r in records})
    curve = []
    segments: dict[str, Callable[[SessionRecord], bool]] = {
        "head": lambda r: r.head,
        "head-misspelled": is_head_misspelled,
    }
    segment_curves: dict[str, list[CurvePoint]] = {name: [] for name in segments}
    for start in range(0, len(records), window):
        part = records[start : start + window]
        metrics = summarize(part, ndcg[start : start + window])
        curve.append(
            CurvePoint(
                start=start,
                end=start + len(part),
                strategy_share={
                    s: _mean(1.0 if r.plan.get(s, 0) > 0 else 0.0 for r in part) for s in strategies
                },
                mean_depth={s: _mean(float(r.plan.get(s, 0)) for r in part) for s in strategies},
                strategy_recall={
                    s: m.recall for s, m in strategy_metrics(part, strategies).items()
                },
                **metrics.model_dump(),
            )
        )
        for segment_name, keep in segments.items():
            picked = [i for i, r in enumerate(part, start) if keep(r)]
            if not picked:
                continue
            chosen = [records[i] for i in picked]
            segment = summarize(chosen, [ndcg[i] for i in picked])
            segment_curves[segment_name].append(
                CurvePoint(
                    start=start,
                    end=start + len(part),
                    strategy_recall={
                        s: m.recall for s, m in strategy_metrics(chosen, strategies).items()
                    },
                    **segment.model_dump(),
                )
            )
    return PolicyReport(
        policy=name,
        overall=summarize(records, ndcg),
        per_intent={t: subset(lambda r, t=t: r.intent_type.value == t) for t in types},  # type: ignore[misc]
        per_segment={
            "head": subset(lambda r: r.head),
            "tail": subset(lambda r: not r.head),
        },
        per_strategy=strategy_metrics(records, strategies),
        curve=curve,
        segment_curves=segment_curves,
        seconds=seconds,
        ms_per_session=seconds * 1000 / len(records) if records else 0.0,
    )


@dataclass
class PolicyRun:
    """One policy's sessions and their report."""

    policy: Policy
    records: list[SessionRecord]
    report: PolicyReport


def run_policy(
    client: HttpClient,
    world: CatalogWorld,
    policy_name: str,
    *,
    sessions: int,
    seed: int,
    config: SimulatorConfig,
    budget: int,
    window: int = 1000,
    population: Population | None = None,
    sampler: IntentSampler | None = None,
    on_session: Callable[[SessionRecord], None] | None = None,
    ranker: str | None = None,
) -> PolicyRun:
    """Run ``sessions`` sessions under a policy against the service behind ``client``.

    The strategy set is what the service registers (``/readyz``); a policy that
    needs a strategy the service lacks fails here with a clear message. ``ranker`` pins
    what orders every search's results (``rrf`` or a model version).
    """
    if sessions < 1:
        raise ValueError(f"sessions must be at least 1, but {sessions} is given")
    api = ServiceApi(client)
    env = PolicyEnvironment(strategies=api.strategies(), budget=budget)
    policy = make_policy(policy_name, env)
    runner = SessionRunner(
        api, world, config, seed, policy, population=population, sampler=sampler, ranker=ranker
    )
    records: list[SessionRecord] = []
    start = time.perf_counter()
    for record in runner.run(sessions):
        records.append(record)
        if on_session is not None:
            on_session(record)
    seconds = time.perf_counter() - start
    report = report_policy(policy_name, records, env.strategies, window, seconds)
    return PolicyRun(policy, records, report)


def examination_curve(config: SimulatorConfig) -> list[float]:
    return ClickModel(config.clicks).examination_curve(config.page_size)
