"""Off-policy evaluation of retrieval-plan policies on the service's own reward ledger.

The ledger holds every closed bandit decision: the context features the policy
saw, the plan it drew with its propensity, and the reward. A candidate policy
— a static plan, a saved snapshot, or a snapshot under other exploration
settings — is evaluated on it with :mod:`bandit.ope`:

* its probability of each logged plan (from the logged features, not
  recomputed from today's state);
* for doubly robust, a reward model q̂(x, plan): a LightGBM regressor over the
  logged context features and the plan's depths, cross-fitted (each row is
  predicted by a model that never saw it), so the direct-method part does not
  flatter itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import lightgbm as lgb
import numpy as np

from bandit.config import BanditConfig
from bandit.ledger import ClosedSearch
from bandit.ope import LoggedBandit
from bandit.plans import PlanSpace
from bandit.policy import PlanChoice, Policy
from bandit.snapshot import decode, load_policy, snapshot_space

FOLDS = 5
REWARD_MODEL = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "verbose": -1,
    "num_threads": 1,
    "seed": 0,
    "deterministic": True,
}
ROUNDS = 150


class TargetPolicy(Protocol):
    @property
    def name(self) -> str: ...

    def pmf(self, choice: PlanChoice) -> dict[str, float]: ...


@dataclass(frozen=True)
class StaticTarget:
    """Always the same plan."""

    name: str
    key: str

    def pmf(self, choice: PlanChoice) -> dict[str, float]:
        return {self.key: 1.0}


@dataclass(frozen=True)
class SnapshotTarget:
    """A saved policy, possibly under other exploration settings."""

    name: str
    policy: Policy

    def pmf(self, choice: PlanChoice) -> dict[str, float]:
        return self.policy.logged_pmf(choice)


def parse_target(spec: str, space: PlanSpace, config: BanditConfig) -> TargetPolicy:
    """``static:bm25=100,dense=50`` or ``snapshot:PATH`` or ``snapshot:PATH@epsilon=0.05,...``."""
    kind, _, rest = spec.partition(":")
    if kind == "static":
        try:
            depths = {k: int(v) for k, v in (part.split("=") for part in rest.split(","))}
        except ValueError as error:
            raise ValueError(f"static plan {rest!r} must look like bm25=100,dense=50") from error
        unknown = sorted(set(depths) - set(space.strategies))
        if unknown:
            raise ValueError(f"static plan names unknown strategies {unknown}")
        plan = space.from_dict(depths)
        if sum(plan) > space.budget or not any(plan):
            raise ValueError(f"static plan {rest!r} is empty or over the budget {space.budget}")
        return StaticTarget(spec, space.key(plan))
    if kind == "snapshot":
        path_text, _, overrides = rest.partition("@")
        blob = Path(path_text).read_bytes()
        meta, _ = decode(blob)
        settings = config.model_dump()
        settings.update(design=meta.design, exploration=meta.exploration)
        if meta.feature_spec.endswith("-light"):
            settings["crossing"] = "light"
        for part in filter(None, overrides.split(",")):
            key, _, value = part.partition("=")
            settings[key] = value
        target_config = BanditConfig.model_validate(settings)
        policy, _ = load_policy(blob, snapshot_space(meta), target_config)
        return SnapshotTarget(spec, policy)
    raise ValueError(f"policy spec {spec!r} must start with static: or snapshot:")


def _feature_names(rows: Sequence[ClosedSearch]) -> list[str]:
    names = {
        f"{ns}:{name}"
        for row in rows
        for ns, feats in row.choice.features.items()
        for name in feats
    }
    return sorted(names)


def _row_vector(choice: PlanChoice, columns: dict[str, int], width: int) -> np.ndarray:
    x = np.zeros(width, dtype=np.float64)
    for ns, feats in choice.features.items():
        for name, value in feats.items():
            index = columns.get(f"{ns}:{name}")
            if index is not None:
                x[index] = value
    return x


def _plan_vector(space: PlanSpace, key: str) -> np.ndarray:
    depths = dict(part.split("=") for part in key.split(",")) if key else {}
    plan = [int(depths.get(s, 0)) for s in space.strategies]
    return np.array([*(math.log1p(d) for d in plan), sum(plan) / space.budget], dtype=np.float64)


def logged_data(
    rows: Sequence[ClosedSearch], space: PlanSpace, target: TargetPolicy
) -> LoggedBandit:
    """The ledger rows as OPE input, with a cross-fitted reward model for DR."""
    if len(rows) < 2 * FOLDS:
        raise ValueError(f"off-policy evaluation needs at least {2 * FOLDS} closed searches")
    names = _feature_names(rows)
    columns = {name: i for i, name in enumerate(names)}
    contexts = np.stack([_row_vector(r.choice, columns, len(names)) for r in rows])
    logged_keys = [space.key(space.from_dict(r.choice.plan)) for r in rows]
    pmfs = [target.pmf(r.choice) for r in rows]
    reward = np.array([r.outcome.reward for r in rows])
    logging = np.array([r.choice.propensity for r in rows])
    target_p = np.array([pmf.get(key, 0.0) for pmf, key in zip(pmfs, logged_keys, strict=True)])

    plan_cache: dict[str, np.ndarray] = {}

    def plan_x(key: str) -> np.ndarray:
        if key not in plan_cache:
            plan_cache[key] = _plan_vector(space, key)
        return plan_cache[key]

    x_logged = np.hstack([contexts, np.stack([plan_x(k) for k in logged_keys])])
    folds = np.arange(len(rows)) % FOLDS
    hat_logged = np.zeros(len(rows))
    hat_target = np.zeros(len(rows))
    for fold in range(FOLDS):
        train, test = folds != fold, np.flatnonzero(folds == fold)
        model = lgb.train(
            REWARD_MODEL, lgb.Dataset(x_logged[train], reward[train]), num_boost_round=ROUNDS
        )
        hat_logged[test] = model.predict(x_logged[test])
        for i in test:
            support = [(k, p) for k, p in pmfs[i].items() if p > 1e-6]
            batch = np.stack([np.concatenate([contexts[i], plan_x(k)]) for k, _ in support])
            probs = np.array([p for _, p in support])
            hat_target[i] = float(np.dot(probs / probs.sum(), model.predict(batch)))
    return LoggedBandit(
        reward=reward,
        logging_propensity=logging,
        target_propensity=target_p,
        reward_hat_logged=hat_logged,
        reward_hat_target=hat_target,
    )
