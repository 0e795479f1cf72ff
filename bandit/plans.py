"""The action space: retrieval plans over the registered strategies, under a budget.

A plan gives each strategy a depth from the ladder (0 = not called). Two views
of the same space serve the two designs:

* :meth:`PlanSpace.joint_plans` — a curated set of whole plans for the joint
  design: every non-empty subset of strategies at every ladder depth, mixed
  plans that go deep on one strategy and shallow on the others, and the
  configured default plan first (the cold-start choice);
* :meth:`PlanSpace.feasible` — the per-strategy (semi-bandit) view draws each
  depth independently; a combination over the budget is brought under it by
  lowering the deepest strategies one ladder step at a time, and one that calls
  nothing becomes the default plan, deterministically, so the probability of
  every final plan can be computed exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

Plan = tuple[int, ...]
"""Depths in the order of :attr:`PlanSpace.strategies`."""


class PlanSpace:
    """Plans over ``strategies`` with depths from ``ladder`` and at most ``budget`` candidates."""

    def __init__(
        self,
        strategies: Sequence[str],
        ladder: Sequence[int],
        budget: int,
        default: Mapping[str, int],
    ) -> None:
        if not strategies:
            raise ValueError("a plan space needs at least one strategy")
        self.strategies = tuple(strategies)
        self.ladder = tuple(sorted(set(ladder)))
        self.budget = budget
        if self.ladder[0] != 0 or len(self.ladder) < 2:
            raise ValueError(f"the ladder must hold 0 and a positive depth, got {list(ladder)}")
        if min(d for d in self.ladder if d > 0) > budget:
            raise ValueError(f"no ladder depth fits the budget of {budget}")
        unknown = sorted(set(default) - set(self.strategies))
        if unknown:
            raise ValueError(f"default plan names unknown strategies {unknown}")
        self.default = self.clip(tuple(default.get(s, 0) for s in self.strategies))
        if sum(self.default) == 0:
            raise ValueError("the default plan calls no strategy")

    def as_dict(self, plan: Plan) -> dict[str, int]:
        return dict(zip(self.strategies, plan, strict=True))

    def from_dict(self, depths: Mapping[str, int]) -> Plan:
        return tuple(int(depths.get(s, 0)) for s in self.strategies)

    def key(self, plan: Plan) -> str:
        """A stable name for a plan, e.g. ``bm25=100,dense=50``."""
        return ",".join(f"{s}={d}" for s, d in zip(self.strategies, plan, strict=True) if d)

    def clip(self, plan: Plan) -> Plan:
        """The plan brought under the budget by lowering its deepest depths step by step."""
        depths = list(plan)
        while sum(depths) > self.budget:
            deepest = max(range(len(depths)), key=lambda i: (depths[i], -i))
            step = self.ladder.index(depths[deepest]) if depths[deepest] in self.ladder else None
            if step is None:
                lower = [d for d in self.ladder if d < depths[deepest]]
                depths[deepest] = lower[-1]
            else:
                depths[deepest] = self.ladder[step - 1]
        return tuple(depths)

    def feasible(self, plan: Plan) -> Plan:
        """The plan clipped under the budget; a plan that calls nothing becomes the default."""
        clipped = self.clip(plan)
        return clipped if any(clipped) else self.default

    def joint_plans(self) -> list[Plan]:
        """The joint design's actions: the default plan first, then a curated grid."""
        positive = [d for d in self.ladder if d > 0]
        n = len(self.strategies)
        seen: dict[Plan, None] = {self.default: None}
        for size in range(1, n + 1):
            for members in itertools.combinations(range(n), size):
                for depth in positive:
                    plan = tuple(depth if i in members else 0 for i in range(n))
                    if sum(plan) <= self.budget:
                        seen.setdefault(plan)
        # One strategy deep, every other one shallow (a lead strategy with a safety net).
        shallow = positive[0]
        for lead in range(n):
            for depth in positive[1:]:
                plan = tuple(depth if i == lead else shallow for i in range(n))
                if sum(plan) <= self.budget:
                    seen.setdefault(plan)
        return list(seen)
