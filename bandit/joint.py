"""The joint design: one contextual-bandit decision over whole retrieval plans.

Each plan of :meth:`PlanSpace.joint_plans` is an action of VW's
``cb_explore_adf`` (Li et al. 2010's action-dependent features, with
epsilon-greedy or SquareCB exploration): its features say which strategies it
calls at which depth, the total it draws, and each called strategy's recent
hit rate for this query class and expected latency. The shared context is
crossed with the action namespace, so the model learns which plan suits which
kind of query.
"""

from __future__ import annotations

import math
import random
import threading
from typing import Any

import numpy as np

from bandit.config import BanditConfig, Crossing
from bandit.context import (
    Namespaces,
    SearchContext,
    context_features,
    query_class,
    vw_namespaces,
)
from bandit.plans import Plan, PlanSpace
from bandit.policy import Outcome, PlanChoice, cold_pmf, sample, with_floor
from bandit.stats import StrategyStats
from bandit.vw import AdfLearner, workspace_args

TOP = 5
ACTION_CACHE = 256
_LOG_MAX = math.log1p(100)


def action_line(
    space: PlanSpace,
    plan: Plan,
    stats: dict[str, dict[str, float]],
    *,
    with_stats: bool = True,
    light: bool = False,
) -> str:
    """The action namespaces of one plan (``a``, and ``s`` for uncrossed features if light)."""
    parts = [f"|a total:{sum(plan) / space.budget:.4f} called_{sum(1 for d in plan if d)}"]
    plain: list[str] = []
    for strategy, depth in zip(space.strategies, plan, strict=True):
        if depth == 0:
            parts.append(f"{strategy}_off")
            continue
        parts.append(
            f"{strategy} {strategy}_d{depth} {strategy}_logd:{math.log1p(depth) / _LOG_MAX:.4f}"
        )
        if with_stats:
            s = stats.get(strategy, {})
            hit, lat = s.get("hit", 0.5), s.get("lat", 10.0) / 50.0
            (plain if light else parts).append(f"{strategy}_hit:{hit:.4f} {strategy}_lat:{lat:.4f}")
    if light:
        called = [s for s, d in zip(space.strategies, plan, strict=True) if d]
        plain += [f"pair_{a}_{b}" for i, a in enumerate(called) for b in called[i + 1 :]]
        if plain:
            parts.append("|s " + " ".join(plain))
    return " ".join(parts)


class JointPolicy:
    """``cb_explore_adf`` over a curated plan set; the default plan is action 0."""

    design = "joint"

    def __init__(
        self,
        space: PlanSpace,
        config: BanditConfig,
        *,
        model: bytes | None = None,
        stats: StrategyStats | None = None,
        rewards_learned: int = 0,
        version: int = 0,
    ) -> None:
        self.space = space
        self.config = config
        self.plans = space.joint_plans()
        self._index = {plan: i for i, plan in enumerate(self.plans)}
        self.learner = AdfLearner(
            workspace_args(config, self_cross=config.crossing is Crossing.FULL), model
        )
        self.stats = stats or StrategyStats()
        self._rewards = rewards_learned
        self.version = version
        self.skipped = 0
        self._lock = threading.Lock()
        self._action_cache: dict[
            tuple[tuple[str, float, float], ...], tuple[list[str], list[Any]]
        ] = {}

    @property
    def rewards_learned(self) -> int:
        return self._rewards

    @property
    def cold(self) -> bool:
        return self._rewards < self.config.cold_start_rewards

    def _actions(self, stats: dict[str, dict[str, float]]) -> tuple[list[str], list[Any]]:
        """The plans' action lines and parsed examples under these stats (cached).

        Parsed examples serve predictions only; learning parses its labelled copy.
        The caller holds the lock.
        """
        key = tuple(sorted((s, v.get("hit", 0.5), v.get("lat", 10.0)) for s, v in stats.items()))
        cached = self._action_cache.get(key)
        if cached is None:
            lines = [
                action_line(
                    self.space,
                    plan,
                    stats,
                    with_stats=self.config.action_stats,
                    light=self.config.crossing is Crossing.LIGHT,
                )
                for plan in self.plans
            ]
            cached = (lines, self.learner.parse_actions(lines))
            if len(self._action_cache) >= ACTION_CACHE:
                self._action_cache.pop(next(iter(self._action_cache)))
            self._action_cache[key] = cached
        return cached

    def distribution(
        self, context: SearchContext, features: Namespaces
    ) -> tuple[np.ndarray, int, dict[str, dict[str, float]], str]:
        """The floor-mixed pmf over plans, the greedy index, the stats used and the class."""
        qc = query_class(context)
        stats = self.stats.snapshot(self.space.strategies, qc)
        if self.cold:
            return cold_pmf(len(self.plans), 0, self.config.cold_start_epsilon), 0, stats, qc
        shared = vw_namespaces(features)
        with self._lock:
            raw = self.learner.pmf(shared, self._actions(stats)[1])
        return with_floor(raw, self.config.floor), int(np.argmax(raw)), stats, qc

    def logged_pmf(self, choice: PlanChoice) -> dict[str, float]:
        """This policy's distribution over plans for a logged decision's features (plan keys)."""
        if self.cold:
            pmf = cold_pmf(len(self.plans), 0, self.config.cold_start_epsilon)
        else:
            shared = vw_namespaces(choice.features)
            with self._lock:
                raw = self.learner.pmf(shared, self._actions(choice.stats)[1])
            pmf = with_floor(raw, self.config.floor)
        return {self.space.key(plan): float(p) for plan, p in zip(self.plans, pmf, strict=True)}

    def choose(self, context: SearchContext, rng: random.Random) -> PlanChoice:
        features = context_features(context)
        pmf, greedy, stats, qc = self.distribution(context, features)
        chosen = sample(pmf, rng)
        top = np.argsort(-pmf, kind="stable")[:TOP]
        return PlanChoice(
            plan=self.space.as_dict(self.plans[chosen]),
            propensity=float(pmf[chosen]),
            greedy=self.space.as_dict(self.plans[greedy]),
            explored=chosen != greedy,
            pmf_top=[(self.space.key(self.plans[i]), round(float(pmf[i]), 6)) for i in top],
            features=features,
            stats=stats,
            query_class=qc,
            design=self.design,
            cold_start=self.cold,
            version=self.version,
        )

    def learn(self, choice: PlanChoice, outcome: Outcome) -> None:
        plan = self.space.from_dict(choice.plan)
        index = self._index.get(plan)
        for strategy, depth in choice.plan.items():
            if depth > 0:
                self.stats.record_hit(strategy, choice.query_class, strategy in outcome.found_ranks)
        if index is None:
            # A pinned plan or one from a plan set that has changed since: not an action here.
            self.skipped += 1
            return
        shared = vw_namespaces(choice.features)
        with self._lock:
            lines = self._actions(choice.stats)[0]
            prob = max(choice.propensity, self.config.learn_min_propensity)
            self.learner.learn(shared, lines, index, -outcome.reward, prob)
            self._rewards += 1

    def models(self) -> dict[str, bytes]:
        with self._lock:
            return {"joint": self.learner.serialize()}
