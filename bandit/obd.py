"""The Open Bandit Dataset protocol: estimate Thompson sampling's click rate off-policy.

ZOZOTOWN ran two policies side by side for a week (Saito et al. 2021, "Open
Bandit Dataset and Pipeline", arXiv:2008.07146): uniform random and Bernoulli
Thompson sampling (bts). Each logged row is one impression, an item shown at
one of three positions, with its click and the probability the running policy
gave that item at that position. We estimate bts's click rate from the random
log alone with IPS, SNIPS and DR, and compare with the click rate bts really
had, per campaign.

The target policy. bts ignores the user, but it was updated during the week:
the `propensity_score` of one (item, position) in the bts log varies over rows
(a relative spread of about 0.75). Its mean over the rows that show the item
over-weights the times the item was likely (the means add up to 1.7 to 3.4 per
position instead of 1), so we do not use it. What bts did over the week is the
time-averaged π̄(item | position), and the share of the item among the bts rows
at that position estimates it without bias; this is the policy whose value is
the observed click rate.

The reward model for DR is a click-rate table per (item, position), smoothed
towards the position's pooled rate with `prior_strength` pseudo-impressions,
and cross-fitted: each row is predicted by a table fit on the other folds.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]

from bandit.ope import Estimate, Estimator, FloatArray, LoggedBandit, estimate

DATASET_DIR = (
    Path(__file__).resolve().parent.parent / "evaluation" / "datasets" / "open_bandit_dataset"
)
CAMPAIGNS = ("men", "women")
ESTIMATOR_NAMES: tuple[Estimator, ...] = ("ips", "snips", "dr")
N_POSITIONS = 3
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BanditLog:
    """One policy's log for one campaign; positions are 0-based (0 = left)."""

    item: IntArray
    position: IntArray
    click: FloatArray
    propensity: FloatArray

    @property
    def n(self) -> int:
        return int(self.item.shape[0])


def load_log(path: Path) -> BanditLog:
    """Read the item, position, click and propensity columns of a `{campaign}.csv.gz`."""
    items: list[int] = []
    positions: list[int] = []
    clicks: list[float] = []
    propensities: list[float] = []
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            items.append(int(row["item_id"]))
            positions.append(int(row["position"]) - 1)
            clicks.append(float(row["click"]))
            propensities.append(float(row["propensity_score"]))
    log = BanditLog(
        item=np.array(items, dtype=np.int64),
        position=np.array(positions, dtype=np.int64),
        click=np.array(clicks, dtype=np.float64),
        propensity=np.array(propensities, dtype=np.float64),
    )
    if log.n == 0 or log.position.min() < 0 or log.position.max() >= N_POSITIONS:
        raise ValueError(f"{path}: positions must be 1..{N_POSITIONS} in a non-empty log")
    return log


def count_items(path: Path) -> int:
    """The number of items of a campaign, from its `item_context.csv`."""
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def target_policy(log: BanditLog, n_items: int) -> FloatArray:
    """π̄(item | position) as an (n_items, N_POSITIONS) table: each item's share per position."""
    table = np.zeros((n_items, N_POSITIONS))
    np.add.at(table, (log.item, log.position), 1.0)
    share: FloatArray = table / table.sum(axis=0, keepdims=True)
    return share


def cross_fitted_rewards(
    log: BanditLog,
    policy: FloatArray,
    *,
    folds: int = 5,
    prior_strength: float = 100.0,
    seed: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Out-of-fold q̂(item, position) for each row and its expectation under `policy`."""
    fold = np.random.default_rng(seed).permutation(log.n) % folds
    logged = np.empty(log.n)
    expected = np.empty(log.n)
    for f in range(folds):
        train, test = fold != f, fold == f
        shown = np.zeros_like(policy)
        clicked = np.zeros_like(policy)
        np.add.at(shown, (log.item[train], log.position[train]), 1.0)
        np.add.at(clicked, (log.item[train], log.position[train]), log.click[train])
        pooled = clicked.sum(axis=0) / np.maximum(shown.sum(axis=0), 1.0)
        q_hat = (clicked + prior_strength * pooled) / (shown + prior_strength)
        logged[test] = q_hat[log.item[test], log.position[test]]
        expected[test] = (policy * q_hat).sum(axis=0)[log.position[test]]
    return logged, expected


@dataclass(frozen=True)
class OffPolicyResult:
    """One estimator's estimate of bts's click rate, judged against the observed one."""

    estimate: Estimate
    relative_error: float
    covers_on_policy: bool


@dataclass(frozen=True)
class CampaignResult:
    """The protocol's outcome for one campaign."""

    campaign: str
    n_random: int
    n_bts: int
    on_policy_ctr: float
    on_policy_ci_low: float
    on_policy_ci_high: float
    estimates: tuple[OffPolicyResult, ...]


def evaluate_campaign(
    campaign: str,
    data_dir: Path = DATASET_DIR,
    *,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> CampaignResult:
    """Estimate bts's click rate from the random log and compare with bts's own log."""
    if campaign not in CAMPAIGNS:
        raise ValueError(f"unknown campaign {campaign!r}; valid: {', '.join(CAMPAIGNS)}")
    random_log = load_log(data_dir / "random" / campaign / f"{campaign}.csv.gz")
    bts_log = load_log(data_dir / "bts" / campaign / f"{campaign}.csv.gz")
    n_items = count_items(data_dir / "random" / campaign / "item_context.csv")
    if not np.allclose(random_log.propensity, 1.0 / n_items):
        raise ValueError(f"the random {campaign} log's propensities are not all 1/{n_items}")
    policy = target_policy(bts_log, n_items)
    q_logged, q_target = cross_fitted_rewards(random_log, policy, seed=seed)
    data = LoggedBandit(
        reward=random_log.click,
        logging_propensity=random_log.propensity,
        target_propensity=policy[random_log.item, random_log.position],
        reward_hat_logged=q_logged,
        reward_hat_target=q_target,
    )
    clicks = int(bts_log.click.sum())
    on_policy = clicks / bts_log.n
    on_ci = stats.binomtest(clicks, bts_log.n).proportion_ci(confidence, method="exact")
    results = []
    for name in ESTIMATOR_NAMES:
        est = estimate(data, name, n_bootstrap=n_bootstrap, confidence=confidence, seed=seed)
        results.append(
            OffPolicyResult(
                estimate=est,
                relative_error=abs(est.value - on_policy) / on_policy,
                covers_on_policy=est.ci_low <= on_policy <= est.ci_high,
            )
        )
    return CampaignResult(
        campaign=campaign,
        n_random=random_log.n,
        n_bts=bts_log.n,
        on_policy_ctr=on_policy,
        on_policy_ci_low=float(on_ci.low),
        on_policy_ci_high=float(on_ci.high),
        estimates=tuple(results),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Print the protocol's results for every campaign as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m bandit.obd", description="Open Bandit Dataset OPE protocol"
    )
    parser.add_argument("--data-dir", type=Path, default=DATASET_DIR)
    parser.add_argument("--n-bootstrap", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    results = [
        evaluate_campaign(c, args.data_dir, n_bootstrap=args.n_bootstrap, seed=args.seed)
        for c in CAMPAIGNS
    ]
    print(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
