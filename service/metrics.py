"""Prometheus metrics of one service instance.

Metrics live in a registry owned by the app (not the global default), so
several apps in one process — as in the test suite — never collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)


@dataclass
class Metrics:
    """The service's counters and histograms, registered on their own registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "ltrr_http_requests",
            "HTTP requests by endpoint, method and status code.",
            ["endpoint", "method", "status"],
            registry=r,
        )
        self.request_latency = Histogram(
            "ltrr_http_request_duration_seconds",
            "HTTP request latency by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.stage_latency = Histogram(
            "ltrr_pipeline_stage_duration_seconds",
            "Search pipeline latency by stage (retrieve:<strategy>, fanout, fuse, hydrate, log).",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.strategy_failures = Counter(
            "ltrr_strategy_failures",
            "Strategies dropped from a search, by strategy and reason (error, timeout).",
            ["strategy", "reason"],
            registry=r,
        )
        self.strategy_candidates = Histogram(
            "ltrr_strategy_candidates",
            "Candidates returned per call, by strategy.",
            ["strategy"],
            buckets=(0, 1, 5, 10, 25, 50, 100, 250, 500, 1000),
            registry=r,
        )
        self.indexed_entities = Gauge(
            "ltrr_indexed_entities",
            "Entities in the catalog store of this instance.",
            registry=r,
        )
        self.feedback_events = Counter(
            "ltrr_feedback_events",
            "Feedback events received, by outcome (accepted, duplicate, rejected).",
            ["outcome"],
            registry=r,
        )
        self.feedback_applied = Counter(
            "ltrr_feedback_applied",
            "Feedback events applied to learning by the worker, by event type.",
            ["type"],
            registry=r,
        )
        self.feedback_dead_letters = Counter(
            "ltrr_feedback_dead_letters",
            "Stream entries moved to the dead-letter list, by reason class.",
            ["reason"],
            registry=r,
        )
        self.feedback_backlog = Gauge(
            "ltrr_feedback_backlog",
            "Accepted feedback events not yet applied.",
            registry=r,
        )
        self.feedback_lag = Histogram(
            "ltrr_feedback_to_learn_lag_seconds",
            "Time from an event's acceptance to its application by the worker.",
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
            registry=r,
        )
        self.bandit_decisions = Counter(
            "ltrr_bandit_decisions",
            "Searches whose retrieval plan the bandit chose.",
            registry=r,
        )
        self.bandit_plans = Counter(
            "ltrr_bandit_plans",
            "Strategies called by bandit-chosen plans, by strategy and depth (0 = not called).",
            ["strategy", "depth"],
            registry=r,
        )
        self.bandit_explore = Counter(
            "ltrr_bandit_explore",
            "Bandit decisions whose plan was not the greedy one (exploration).",
            registry=r,
        )
        self.bandit_candidates = Histogram(
            "ltrr_bandit_candidates_drawn",
            "Candidates a bandit-chosen plan asked for.",
            buckets=(10, 25, 50, 75, 100, 150, 200, 250, 300, 400),
            registry=r,
        )
        self.bandit_rewards = Counter(
            "ltrr_bandit_rewards",
            "Searches closed and learned from, by outcome (success or failure).",
            ["outcome"],
            registry=r,
        )
        self.bandit_reward_mean = Gauge(
            "ltrr_bandit_reward_mean",
            "Exponentially weighted mean reward learned (success minus candidate and latency "
            "cost; about the last 1,000 searches).",
            registry=r,
        )
        self.bandit_policy_version = Gauge(
            "ltrr_bandit_policy_version",
            "Snapshot version of the retrieval-plan policy this process serves.",
            registry=r,
        )
        self.bandit_learn_lag = Histogram(
            "ltrr_bandit_learn_lag_seconds",
            "Time from a search being served to its reward being learned.",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800),
            registry=r,
        )
        self.ranker_searches = Counter(
            "ltrr_ranker_searches",
            "Searches by what ordered their union: `model` (the active ranker) or `rrf`.",
            ["ranker"],
            registry=r,
        )
        self.ranker_fallbacks = Counter(
            "ltrr_ranker_fallbacks",
            "Searches that fell back to RRF although a model was active, by reason.",
            ["reason"],
            registry=r,
        )
        self.ranker_reloads = Counter(
            "ltrr_ranker_reloads",
            "Changes of the active ranker model seen by this process, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.ranker_active = Gauge(
            "ltrr_ranker_active",
            "1 while a ranker model serves in this process, 0 while RRF orders the union.",
            registry=r,
        )
        self.ranker_swaps = Counter(
            "ltrr_ranker_swaps",
            "Searches whose shown order was randomized by a swap (position-bias estimation).",
            registry=r,
        )
