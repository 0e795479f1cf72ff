"""The per-strategy design: a semi-bandit that picks each strategy's depth separately.

Every strategy has its own ``cb_explore_adf`` model over the depth ladder and
its own reward: did the engaged entity come from this strategy's top ``d``,
minus the cost of drawing ``d`` candidates (combinatorial semi-bandit feedback,
Chen, Wang & Yuan 2013; Kveton et al. 2015). Depth feedback is monotone — an
entity at rank ``r`` is within every depth ``≥ r`` — so one search teaches
each strategy about every depth up to the one drawn (and beyond it on a hit),
each learned with the probability that it was observed.

The depths are drawn independently; a combination over the budget is clipped
and one calling nothing becomes the default plan (:meth:`PlanSpace.feasible`);
the propensity of the final plan sums every combination that maps to it, so it
is exact.
"""

from __future__ import annotations

import itertools
import math
import random
import threading

import numpy as np

from bandit.config import BanditConfig
from bandit.context import Namespaces, SearchContext, context_features, query_class, vw_namespaces
from bandit.plans import PlanSpace
from bandit.policy import Outcome, PlanChoice, cold_pmf, sample, with_floor
from bandit.stats import StrategyStats
from bandit.vw import AdfLearner, workspace_args

TOP = 5
_LOG_MAX = math.log1p(100)


class SemiBanditPolicy:
    """One depth decision per strategy, composed into a plan under the budget."""

    design = "semi"

    def __init__(
        self,
        space: PlanSpace,
        config: BanditConfig,
        *,
        models: dict[str, bytes] | None = None,
        stats: StrategyStats | None = None,
        rewards_learned: int = 0,
        version: int = 0,
    ) -> None:
        self.space = space
        self.config = config
        self.ladder = space.ladder
        args = workspace_args(config)
        models = models or {}
        self.learners = {s: AdfLearner(args, models.get(s)) for s in space.strategies}
        self.stats = stats or StrategyStats()
        self._rewards = rewards_learned
        self.version = version
        self._lock = threading.Lock()
        # Every raw combination of depth indices, and the final plan it clips to.
        n = len(self.ladder)
        combos = np.array(list(itertools.product(range(n), repeat=len(space.strategies))))
        finals = [space.feasible(tuple(self.ladder[i] for i in c)) for c in combos]
        self._plans = list(dict.fromkeys(finals))
        index = {plan: i for i, plan in enumerate(self._plans)}
        self._combos = combos
        self._final = np.array([index[f] for f in finals])
        self._plan_index = index

    @property
    def rewards_learned(self) -> int:
        return self._rewards

    @property
    def cold(self) -> bool:
        return self._rewards < self.config.cold_start_rewards

    def _actions(self, strategy: str, stats: dict[str, dict[str, float]]) -> list[str]:
        s = stats.get(strategy, {})
        hit, lat = s.get("hit", 0.5), s.get("lat", 10.0) / 50.0
        return [
            f"|a d{d} logd:{math.log1p(d) / _LOG_MAX:.4f} hit:{hit:.4f} lat:{lat if d else 0:.4f}"
            for d in self.ladder
        ]

    def strategy_pmfs(
        self, features: Namespaces, stats: dict[str, dict[str, float]]
    ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """Each strategy's floor-mixed depth distribution and its greedy depth index."""
        pmfs: dict[str, np.ndarray] = {}
        greedy: dict[str, int] = {}
        shared = vw_namespaces(features)
        for strategy, default in zip(self.space.strategies, self.space.default, strict=True):
            if self.cold:
                index = self.ladder.index(default)
                pmfs[strategy] = cold_pmf(len(self.ladder), index, self.config.cold_start_epsilon)
                greedy[strategy] = index
                continue
            with self._lock:
                raw = self.learners[strategy].pmf(shared, self._actions(strategy, stats))
            pmfs[strategy] = with_floor(raw, self.config.floor)
            greedy[strategy] = int(np.argmax(raw))
        return pmfs, greedy

    def plan_pmf(self, pmfs: dict[str, np.ndarray]) -> np.ndarray:
        """The exact distribution over final (clipped) plans."""
        weights = np.ones(len(self._combos))
        for column, strategy in enumerate(self.space.strategies):
            weights *= pmfs[strategy][self._combos[:, column]]
        return np.bincount(self._final, weights=weights, minlength=len(self._plans))

    def logged_pmf(self, choice: PlanChoice) -> dict[str, float]:
        """This policy's distribution over plans for a logged decision's features (plan keys)."""
        pmfs, _ = self.strategy_pmfs(choice.features, choice.stats)
        plan_pmf = self.plan_pmf(pmfs)
        return {
            self.space.key(plan): float(p) for plan, p in zip(self._plans, plan_pmf, strict=True)
        }

    def choose(self, context: SearchContext, rng: random.Random) -> PlanChoice:
        qc = query_class(context)
        stats = self.stats.snapshot(self.space.strategies, qc)
        features = context_features(context)
        pmfs, greedy = self.strategy_pmfs(features, stats)
        raw = tuple(self.ladder[sample(pmfs[s], rng)] for s in self.space.strategies)
        plan = self.space.feasible(raw)
        greedy_plan = self.space.feasible(
            tuple(self.ladder[greedy[s]] for s in self.space.strategies)
        )
        plan_pmf = self.plan_pmf(pmfs)
        top = np.argsort(-plan_pmf, kind="stable")[:TOP]
        return PlanChoice(
            plan=self.space.as_dict(plan),
            propensity=float(plan_pmf[self._plan_index[plan]]),
            greedy=self.space.as_dict(greedy_plan),
            explored=plan != greedy_plan,
            pmf_top=[(self.space.key(self._plans[i]), round(float(plan_pmf[i]), 6)) for i in top],
            features=features,
            stats=stats,
            strategy_pmfs={s: [round(float(p), 8) for p in pmf] for s, pmf in pmfs.items()},
            query_class=qc,
            design=self.design,
            cold_start=self.cold,
            version=self.version,
        )

    def _strategy_reward(self, depth: int, hit: bool, latency_ms: float) -> float:
        return self.config.reward.reward(
            hit, depth, self.space.budget, latency_ms if depth else 0.0
        )

    def learn(self, choice: PlanChoice, outcome: Outcome) -> None:
        shared = vw_namespaces(choice.features)
        with self._lock:
            for strategy in self.space.strategies:
                drawn = choice.plan.get(strategy, 0)
                rank = outcome.found_ranks.get(strategy)
                if drawn:
                    self.stats.record_hit(strategy, choice.query_class, rank is not None)
                pmf = choice.strategy_pmfs.get(strategy)
                if pmf is None or len(pmf) != len(self.ladder):
                    continue  # decided by another design or ladder: nothing to learn here
                survival = np.cumsum(np.asarray(pmf)[::-1])[::-1]  # P(depth index >= i)
                actions = self._actions(strategy, choice.stats)
                latency = choice.stats.get(strategy, {}).get("lat", 10.0)
                for i, depth in enumerate(self.ladder):
                    if depth <= drawn:
                        hit, seen = rank is not None and rank <= depth, float(survival[i])
                    elif rank is not None:
                        first = next(j for j, d in enumerate(self.ladder) if d >= rank)
                        hit, seen = True, float(survival[first])
                    else:
                        continue  # deeper than drawn and nothing found: unknown
                    cost = -self._strategy_reward(depth, hit, latency)
                    prob = max(seen, self.config.learn_min_propensity)
                    self.learners[strategy].learn(shared, actions, i, cost, prob)
            self._rewards += 1

    def models(self) -> dict[str, bytes]:
        with self._lock:
            return {s: learner.serialize() for s, learner in self.learners.items()}
