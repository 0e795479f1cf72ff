"""The policy interface: ``choose(context) -> PlanChoice`` and ``learn(choice, outcome)``.

Both designs (:mod:`bandit.joint`, :mod:`bandit.semibandit`) implement it. A
:class:`PlanChoice` is everything the search logs about its decision — the
plan, its propensity, the greedy plan, the top of the distribution, and the
features it was chosen from — so a reward arriving later (in another process)
is learned from exactly what the policy saw.
"""

from __future__ import annotations

import random
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from bandit.context import Namespaces, SearchContext
from bandit.stats import StrategyStats


class PlanChoice(BaseModel):
    """One decision of the bandit, as logged with its search."""

    model_config = ConfigDict(frozen=True)

    plan: dict[str, int]
    propensity: float = Field(gt=0.0, le=1.0, description="P(this plan) under the policy.")
    greedy: dict[str, int] = Field(description="The plan the policy rates best.")
    explored: bool = Field(description="The plan chosen is not the greedy one.")
    pmf_top: list[tuple[str, float]] = Field(description="Most probable plans, best first.")
    features: Namespaces
    stats: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Per-strategy action statistics at decision time."
    )
    strategy_pmfs: dict[str, list[float]] = Field(
        default_factory=dict, description="Per-strategy depth distributions (semi design)."
    )
    query_class: str
    design: str
    cold_start: bool
    version: int = Field(description="Snapshot version of the policy that decided.")


class Outcome(BaseModel):
    """How a search went, as the reward ledger closed it."""

    model_config = ConfigDict(frozen=True)

    success: bool
    reward: float
    found_ranks: dict[str, int] = Field(
        default_factory=dict,
        description="Rank of the engaged entity in each called strategy's list (1-based).",
    )
    latency_ms: float = 0.0


class Policy(Protocol):
    """Chooses retrieval plans and learns from their outcomes."""

    design: str
    version: int
    stats: StrategyStats

    @property
    def rewards_learned(self) -> int: ...

    def choose(self, context: SearchContext, rng: random.Random) -> PlanChoice: ...

    def learn(self, choice: PlanChoice, outcome: Outcome) -> None: ...

    def logged_pmf(self, choice: PlanChoice) -> dict[str, float]:
        """The distribution over plans (by key) this policy gives a logged decision's context."""
        ...

    def models(self) -> dict[str, bytes]:
        """The learned model bytes by name (one for the joint design, one per strategy)."""
        ...


def with_floor(pmf: np.ndarray, floor: float) -> np.ndarray:
    """Mix ``floor`` of uniform probability in: no action is ever left at 0."""
    n = len(pmf)
    mixed = (1.0 - floor) * pmf + floor / n
    return np.asarray(mixed / mixed.sum(), dtype=np.float64)


def cold_pmf(n: int, default: int, epsilon: float) -> np.ndarray:
    """The default action with probability 1 - epsilon, the rest spread uniformly."""
    pmf = np.full(n, epsilon / n, dtype=np.float64)
    pmf[default] += 1.0 - epsilon
    return pmf


def sample(pmf: np.ndarray, rng: random.Random) -> int:
    """Draw an index from ``pmf`` with the caller's generator."""
    u = rng.random()
    index = int(np.searchsorted(np.cumsum(pmf), u, side="right"))
    return min(index, len(pmf) - 1)
