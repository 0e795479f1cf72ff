"""Retrieval-plan policies compared by the simulation runner.

A policy decides, per search, which strategies to call and how deep
(``{strategy: depth}``), and pins that plan through the API's ``plan`` field —
or returns ``None`` to let the service decide (how the learned bandit policy is
evaluated: the server's own choice, nothing pinned). Static policies are the
baselines a learner must beat; ``uniform-random`` is the exploration floor;
``oracle`` knows the listener's intent and bounds what any plan could achieve
(the comparator of regret, as in the contextual-bandit literature, e.g.
Langford & Zhang 2007, "The Epoch-Greedy Algorithm for Contextual Multi-armed
Bandits").
"""

from __future__ import annotations

import contextlib
import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from simulator.api import SearchOutcome
from simulator.intents import GroundTruth
from simulator.session import PlanRequest

LADDER: tuple[int, ...] = (0, 10, 25, 50, 100)
"""Depths a plan draws per strategy (0 = not called)."""


class PolicyError(ValueError):
    """A policy cannot run against this service (e.g. a strategy it needs is not registered)."""


@dataclass(frozen=True)
class PolicyEnvironment:
    """What the service offers: its registered strategies and candidate budget."""

    strategies: tuple[str, ...]
    budget: int = 300
    ladder: tuple[int, ...] = LADDER

    def __post_init__(self) -> None:
        if not self.strategies:
            raise PolicyError("the service registers no strategy; there is nothing to plan")
        if self.budget < 1:
            raise PolicyError(f"budget must be at least 1, but {self.budget} is given")
        if not self.ladder or 0 not in self.ladder or min(self.ladder) < 0:
            raise PolicyError(f"the ladder must contain 0 and no negative depth: {self.ladder}")

    @property
    def top(self) -> int:
        return max(self.ladder)

    def fits(self, plan: Mapping[str, int]) -> bool:
        return 0 < sum(plan.values()) <= self.budget

    def ceiling(self, rank: int) -> int | None:
        """The smallest ladder depth that reaches ``rank`` (None past the deepest)."""
        return next((d for d in sorted(self.ladder) if d >= rank), None)


class Policy(ABC):
    """Chooses the plan of each search; see :class:`simulator.session.PlanChooser`."""

    name: str = "policy"
    uses_ground_truth: bool = False

    def __init__(self, env: PolicyEnvironment) -> None:
        self.env = env

    def require(self, *strategies: str) -> None:
        missing = [s for s in strategies if s not in self.env.strategies]
        if missing:
            raise PolicyError(
                f"policy {self.name} needs strategies {missing}, which the service does not "
                f"register; registered: {list(self.env.strategies)}"
            )

    @abstractmethod
    def choose(self, request: PlanRequest) -> dict[str, int] | None:
        """The plan to pin for this search, or None to let the service choose."""


class StaticPolicy(Policy):
    """The same plan for every search."""

    def __init__(self, env: PolicyEnvironment, plan: Mapping[str, int], name: str) -> None:
        super().__init__(env)
        self.name = name
        self.require(*plan)
        self.plan = dict(plan)
        if not env.fits(self.plan):
            raise PolicyError(
                f"policy {name} draws {sum(self.plan.values())} candidates, over the budget of "
                f"{env.budget} (or none at all)"
            )

    def choose(self, request: PlanRequest) -> dict[str, int]:
        return dict(self.plan)


def static_all_plan(env: PolicyEnvironment) -> dict[str, int]:
    """Every strategy at the deepest ladder depth the budget allows for all of them alike."""
    depth = max(d for d in env.ladder if d * len(env.strategies) <= env.budget)
    if depth == 0:
        raise PolicyError(
            f"the budget of {env.budget} cannot draw from all {len(env.strategies)} strategies "
            f"at the smallest depth {min(d for d in env.ladder if d > 0)}"
        )
    return dict.fromkeys(env.strategies, depth)


class ServiceDecides(Policy):
    """Pins nothing: the service's own plan (its default or its learned bandit) serves."""

    name = "service"

    def choose(self, request: PlanRequest) -> None:
        return None


BANDIT_VARIANTS: dict[str, dict[str, str]] = {
    "bandit": {},
    "bandit-joint-squarecb": {"design": "joint", "exploration": "squarecb"},
    "bandit-joint-epsilon": {"design": "joint", "exploration": "epsilon"},
    "bandit-semi-squarecb": {"design": "semi", "exploration": "squarecb"},
    "bandit-semi-epsilon": {"design": "semi", "exploration": "epsilon"},
    "bandit-frozen": {"learn": "false"},
}
"""Service-side bandit settings per policy name; ``bandit`` is the service's configured one."""


class BanditDecides(ServiceDecides):
    """Pins nothing; the service runs its plan bandit (with these settings overrides)."""

    def __init__(self, env: PolicyEnvironment, name: str) -> None:
        super().__init__(env)
        self.name = name
        self.bandit_settings = BANDIT_VARIANTS[name]


class UniformRandom(Policy):
    """A plan drawn uniformly from the feasible ladder plans, per search."""

    name = "uniform-random"

    def __init__(self, env: PolicyEnvironment) -> None:
        super().__init__(env)
        self.plans = feasible_plans(env)

    def choose(self, request: PlanRequest) -> dict[str, int]:
        return dict(request.rng.choice(self.plans))


def feasible_plans(env: PolicyEnvironment) -> list[dict[str, int]]:
    """Every ladder plan within budget that calls at least one strategy, cheapest first."""
    plans = [
        dict(zip(env.strategies, depths, strict=True))
        for depths in itertools.product(env.ladder, repeat=len(env.strategies))
    ]
    feasible = [p for p in plans if env.fits(p)]
    return sorted(feasible, key=lambda p: (sum(p.values()), sorted(p.items())))


def _dcg(outcome: SearchOutcome, truth: GroundTruth) -> float:
    return sum(truth.grade(hit.entity_id) / math.log2(hit.rank + 1) for hit in outcome.results)


class Oracle(Policy):
    """The best plan for the true intent, found by probing: an upper bound for regret.

    1. *Discover*: probe with every strategy at the deepest ladder depth (split
       into several probes when one would exceed the budget), with ``explain``,
       to learn at which rank each strategy finds an intended entity.
    2. *Shortlist*: for each strategy that finds one, the cheapest plan calling
       it alone deep enough; the plan combining all of those; and every
       ``reference`` plan (the static baselines), so the oracle is never worse
       than them on the same search.
    3. *Verify*: probe each shortlisted plan without ``explain`` (a discovery
       probe with the same plan is reused) and keep the best shown page: an
       intended entity shown first, then the higher DCG, then the cheaper plan.

    Probes are not shown to the listener and get no feedback. Exact only when a
    strategy's top-k is a prefix of its top-K, as for BM25 and exact vector search.
    """

    name = "oracle"
    uses_ground_truth = True

    def __init__(
        self, env: PolicyEnvironment, references: Sequence[Mapping[str, int]] = ()
    ) -> None:
        super().__init__(env)
        self.references = [dict(p) for p in references if env.fits(p)]
        self.discovery = self._discovery_plans()

    def _discovery_plans(self) -> list[dict[str, int]]:
        depth = min(self.env.top, self.env.budget)
        per_probe = max(1, self.env.budget // depth)
        names = list(self.env.strategies)
        return [
            dict.fromkeys(names[i : i + per_probe], depth) for i in range(0, len(names), per_probe)
        ]

    def choose(self, request: PlanRequest) -> dict[str, int]:
        truth = request.truth
        if truth is None:
            raise PolicyError("the oracle needs the session's ground truth")
        probed: dict[tuple[tuple[str, int], ...], SearchOutcome] = {}

        def probe(plan: Mapping[str, int], explain: bool = False) -> SearchOutcome:
            key = _plan_key(plan)
            if key not in probed:
                probed[key] = request.probe(plan, explain=explain)
            return probed[key]

        first_hit: dict[str, int] = {}
        for plan in self.discovery:
            for name, run in probe(plan, explain=True).candidates.items():
                rank = next((i for i, eid in enumerate(run, 1) if eid in truth.targets), None)
                if rank is not None:
                    first_hit[name] = rank
        shortlist: list[dict[str, int]] = []
        combined: dict[str, int] = {}
        for name, rank in sorted(first_hit.items()):
            depth = self.env.ceiling(rank)
            if depth:
                shortlist.append({name: depth})
                combined[name] = depth
        if len(combined) > 1 and self.env.fits(combined):
            shortlist.append(combined)
        shortlist += self.references
        if not shortlist:
            shortlist = [feasible_plans(self.env)[0]]

        def score(plan: dict[str, int]) -> tuple[bool, float, int]:
            outcome = probe(plan)
            shown = any(hit.entity_id in truth.targets for hit in outcome.results)
            return shown, _dcg(outcome, truth), -sum(plan.values())

        unique = list({_plan_key(plan): plan for plan in shortlist}.values())
        best = max(unique, key=score)
        return dict(best)


def _plan_key(plan: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((name, depth) for name, depth in plan.items() if depth > 0))


PolicyFactory = Callable[[PolicyEnvironment], Policy]


def _static_hybrid(env: PolicyEnvironment) -> Policy:
    return StaticPolicy(env, {"bm25": 50, "dense": 50}, "static-hybrid")


def _reference_plans(env: PolicyEnvironment) -> list[dict[str, int]]:
    plans = [{"bm25": 100}] if "bm25" in env.strategies else []
    if {"bm25", "dense"} <= set(env.strategies):
        plans.append({"bm25": 50, "dense": 50})
    with contextlib.suppress(PolicyError):
        plans.append(static_all_plan(env))
    return plans


POLICIES: dict[str, PolicyFactory] = {
    "static-bm25": lambda env: StaticPolicy(env, {"bm25": 100}, "static-bm25"),
    "static-hybrid": _static_hybrid,
    "static-all": lambda env: StaticPolicy(env, static_all_plan(env), "static-all"),
    "uniform-random": UniformRandom,
    "oracle": lambda env: Oracle(env, _reference_plans(env)),
    "service": ServiceDecides,
    **{
        name: (lambda env, name=name: BanditDecides(env, name))  # type: ignore[misc]
        for name in BANDIT_VARIANTS
    },
}
"""Policies by name; ``service`` pins nothing (the server's default or learned plan)."""


def parse_static(name: str, env: PolicyEnvironment) -> StaticPolicy:
    """``static:bm25=25,memory=25``: any fixed plan, named by its depths."""
    try:
        plan = {
            strategy: int(depth)
            for strategy, depth in (
                part.split("=") for part in name.removeprefix("static:").split(",")
            )
        }
    except ValueError as error:
        raise PolicyError(
            f"policy {name!r}: a static plan is written static:bm25=25,memory=25"
        ) from error
    return StaticPolicy(env, plan, name)


class MemoryVariant(StrEnum):
    """A memory ablation: the service a policy runs against, named by a suffix of the
    policy's name (``static-all+memory-cold``), whatever its plan policy.

    Compared with the plain policy on the same sessions, the variants show what the
    memory learns from feedback, which its predicted pairs otherwise hide.
    """

    FROZEN = "memory-frozen"
    """The memory does not learn from feedback (``LTRR_MEMORY__LEARN=false``):
    it serves its predicted pairs only."""
    COLD = "memory-cold"
    """The memory starts without predicted pairs: all it knows comes from feedback."""


VARIANT_SEPARATOR = "+"


def split_variant(name: str) -> tuple[str, MemoryVariant | None]:
    """``static-all+memory-cold`` → ``("static-all", MemoryVariant.COLD)``; a name without
    a suffix has no variant. An unknown suffix fails, listing the valid ones."""
    plan, separator, suffix = name.partition(VARIANT_SEPARATOR)
    if not separator:
        return name, None
    try:
        return plan, MemoryVariant(suffix)
    except ValueError:
        valid = sorted(v.value for v in MemoryVariant)
        raise PolicyError(
            f"policy {name!r}: unknown variant {suffix!r}; valid variants: {valid} "
            f"(written POLICY{VARIANT_SEPARATOR}VARIANT)"
        ) from None


def make_policy(name: str, env: PolicyEnvironment) -> Policy:
    """Build a policy by name; unknown names, variants and unsupported strategies fail loudly.

    A variant (:class:`MemoryVariant`) changes the service, not the plans: the policy
    built is the plan policy of the name's first part.
    """
    plan_name, variant = split_variant(name)
    if variant is not None and "memory" not in env.strategies:
        raise PolicyError(
            f"policy {name!r}: the {variant.value} variant needs the memory strategy, which "
            f"the service does not register; registered: {list(env.strategies)}"
        )
    if plan_name.startswith("static:"):
        return parse_static(plan_name, env)
    factory = POLICIES.get(plan_name)
    if factory is None:
        raise PolicyError(f"unknown policy {plan_name!r}; valid policies: {sorted(POLICIES)}")
    return factory(env)
