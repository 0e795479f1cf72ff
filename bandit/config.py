"""Settings of the retrieval-plan bandit (``LTRR_BANDIT__*``); see docs/bandit.md."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Design(StrEnum):
    JOINT = "joint"
    """One decision over whole plans: VW ``cb_explore_adf`` with a plan per action."""
    SEMI = "semi"
    """One decision per strategy (its depth), each learning from its own hit signal."""


class Crossing(StrEnum):
    FULL = "full"
    """Every context namespace and the action namespace itself crossed with the plan's
    features (``-q aa``: which strategies are called together)."""
    LIGHT = "light"
    """Context crossed with the plan's strategy/depth features only; strategy statistics
    and pairs of called strategies as plain (uncrossed) features: faster to score."""


class Exploration(StrEnum):
    EPSILON = "epsilon"
    SQUARECB = "squarecb"


class RewardConfig(BaseModel):
    """What a search earned: success minus the cost of the candidates and the wait."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    success_events: list[str] = Field(
        default_factory=lambda: ["click", "play", "like", "add_to_library"],
        description="Feedback types that make a search a success.",
    )
    min_play_ms: int = Field(
        default=30_000, ge=0, description="A play counts as success only when at least this long."
    )
    candidate_cost: float = Field(
        default=0.1, ge=0.0, description="λ: cost of drawing the whole budget of candidates."
    )
    latency_cost_per_s: float = Field(
        default=0.5, ge=0.0, description="μ: cost per second of retrieval latency."
    )

    def reward(self, success: bool, drawn: int, budget: int, latency_ms: float) -> float:
        """success - λ·drawn/budget - μ·retrieval seconds: what a search earned."""
        cost = self.candidate_cost * drawn / budget + self.latency_cost_per_s * latency_ms / 1000.0
        return (1.0 if success else 0.0) - cost

    window_s: float = Field(
        default=300.0,
        gt=0.0,
        description="A search with impressions and no success this long after its first "
        "impression closes as a failure.",
    )


class BanditConfig(BaseModel):
    """The policy that chooses retrieval plans, and how it learns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(
        default=True, description="Choose plans with the bandit; false serves the default plan."
    )
    learn: bool = Field(
        default=True,
        description="Learn from feedback; false serves the latest snapshot as it is (a frozen "
        "policy, e.g. to measure a snapshot on-policy).",
    )
    design: Design = Design.JOINT
    exploration: Exploration = Exploration.SQUARECB
    epsilon: float = Field(default=0.1, gt=0.0, lt=1.0, description="epsilon-greedy's epsilon.")
    gamma_scale: float = Field(
        default=100.0, gt=0.0, description="SquareCB's gamma scale (greedier when larger)."
    )
    gamma_exponent: float = Field(default=0.5, ge=0.0, le=1.0)
    floor: float = Field(
        default=0.02,
        gt=0.0,
        lt=1.0,
        description="Share of probability spread uniformly over every plan (or depth), so no "
        "plan and no strategy is ever left with probability 0.",
    )
    ladder: list[int] = Field(
        default_factory=lambda: [0, 10, 25, 50, 100],
        description="Depths a strategy can be drawn at (0 = not called).",
    )
    cold_start_rewards: int = Field(
        default=300,
        ge=0,
        description="Until this many rewards were learned, serve the default plan with "
        "epsilon-exploration instead of the (untrained) model.",
    )
    cold_start_epsilon: float = Field(default=0.2, gt=0.0, lt=1.0)
    learning_rate: float = Field(default=0.1, gt=0.0)
    crossing: Crossing = Field(
        default=Crossing.FULL, description="How the joint design crosses its features."
    )
    action_stats: bool = Field(
        default=True,
        description="Give each plan its strategies' recent hit rate for the query class and "
        "expected latency as action features.",
    )
    support: bool = Field(
        default=True,
        description="Give the context what each strategy has for the query before it is "
        "called (namespace x: BM25 and structured search from index statistics, memory "
        "from its stored pairs), crossed with the plan.",
    )
    learn_min_propensity: float = Field(
        default=0.02,
        gt=0.0,
        le=1.0,
        description="Learning clips importance weights at 1/this: a plan drawn through the "
        "floor with probability 0.0003 would otherwise update the model 3,000-fold. The "
        "logged propensity stays exact (off-policy evaluation uses it).",
    )
    reward: RewardConfig = Field(default_factory=RewardConfig)
    snapshot_every: int = Field(
        default=200, ge=1, description="Publish a snapshot after this many learned rewards."
    )
    snapshot_interval_s: float = Field(
        default=10.0, gt=0.0, description="... or this long after the last, if anything changed."
    )
    refresh_interval_s: float = Field(
        default=2.0, gt=0.0, description="How often a replica checks for a newer snapshot."
    )
    seed: int = Field(default=0, description="Seed of the plan sampling (per process).")

    @model_validator(mode="after")
    def _ladder(self) -> BanditConfig:
        if 0 not in self.ladder or len(set(self.ladder)) < 2 or min(self.ladder) < 0:
            raise ValueError(
                f"bandit ladder must contain 0 and at least one positive depth, got {self.ladder}"
            )
        return self
