"""Off-policy estimators of a target policy's value from logged contextual-bandit data.

Each logged round carries the observed reward, the probability μ that the
logging policy gave the logged action and the probability π that the target
policy would give it; the importance weight is w = π / μ. Three estimators:

- IPS, inverse propensity scoring (Horvitz & Thompson 1952; Precup, Sutton &
  Singh 2000): the mean of w·r. Unbiased when μ > 0 wherever π > 0.
- SNIPS, self-normalized IPS (Swaminathan & Joachims 2015, "The
  Self-Normalized Estimator for Counterfactual Learning"): Σ w·r / Σ w.
  Slightly biased, consistent, and far less variable when weights are large.
- DR, doubly robust (Dudík, Langford & Li 2011, "Doubly Robust Policy
  Evaluation and Learning"): the reward model's value under the target policy
  plus the importance-weighted residual of the logged reward,
  mean(q̂_π(x) + w·(r - q̂(x, a))). Unbiased if either the propensities or the
  reward model are right.

`estimate` adds a percentile bootstrap interval over rounds (scipy), Kish's
effective sample size (Σw)² / Σw² and the largest weight, the two numbers that
say how far the target policy strays from the logging policy.

Weights may be clipped at a maximum (truncated importance sampling, Ionides
2008; Bottou et al. 2013): it trades a downward bias for less variance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
BootstrapMethod = Literal["percentile", "basic", "BCa"]


def _as_vector(name: str, values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, but has shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, but contains NaN or infinity")
    return array


@dataclass(frozen=True)
class LoggedBandit:
    """n logged rounds: rewards, both policies' propensities, optional reward-model predictions.

    `reward_hat_logged` is the reward model's prediction for the logged action;
    `reward_hat_target` its expectation under the target policy,
    Σ_a π(a | x) q̂(x, a). Both are needed by the doubly robust estimator only.
    """

    reward: FloatArray
    logging_propensity: FloatArray
    target_propensity: FloatArray
    reward_hat_logged: FloatArray | None = None
    reward_hat_target: FloatArray | None = None

    def __post_init__(self) -> None:
        fields = ("reward", "logging_propensity", "target_propensity")
        optional = ("reward_hat_logged", "reward_hat_target")
        for name in fields:
            object.__setattr__(self, name, _as_vector(name, getattr(self, name)))
        for name in optional:
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _as_vector(name, getattr(self, name)))
        if (self.reward_hat_logged is None) != (self.reward_hat_target is None):
            raise ValueError("reward_hat_logged and reward_hat_target must be given together")
        n = self.reward.shape[0]
        if n == 0:
            raise ValueError("reward must hold at least one logged round, but is empty")
        for name in (*fields, *optional):
            array = getattr(self, name)
            if array is not None and array.shape[0] != n:
                raise ValueError(f"{name} must have {n} rounds like reward, but has {len(array)}")
        mu = self.logging_propensity
        if np.any(mu <= 0.0) or np.any(mu > 1.0):
            raise ValueError(
                f"logging_propensity must lie in (0, 1], but ranges over [{mu.min()}, {mu.max()}]"
            )
        pi = self.target_propensity
        if np.any(pi < 0.0) or np.any(pi > 1.0):
            raise ValueError(
                f"target_propensity must lie in [0, 1], but ranges over [{pi.min()}, {pi.max()}]"
            )

    @property
    def n(self) -> int:
        return int(self.reward.shape[0])

    def weights(self, clip: float | None = None) -> FloatArray:
        """Importance weights π / μ, capped at `clip` when given."""
        w = self.target_propensity / self.logging_propensity
        if clip is None:
            return w
        if not clip > 0.0:
            raise ValueError(f"clip must be a positive number, but {clip} is given")
        return np.minimum(w, clip)


def _ips(weighted_reward: FloatArray, axis: int = -1) -> FloatArray:
    return np.asarray(np.mean(weighted_reward, axis=axis))


def _snips(weighted_reward: FloatArray, w: FloatArray, axis: int = -1) -> FloatArray:
    total = np.sum(w, axis=axis)
    safe = np.where(total > 0.0, total, 1.0)
    return np.asarray(np.where(total > 0.0, np.sum(weighted_reward, axis=axis) / safe, np.nan))


def _dr_terms(data: LoggedBandit, w: FloatArray) -> FloatArray:
    if data.reward_hat_logged is None or data.reward_hat_target is None:
        raise ValueError("doubly_robust needs reward_hat_logged and reward_hat_target")
    return data.reward_hat_target + w * (data.reward - data.reward_hat_logged)


def ips(data: LoggedBandit, *, clip: float | None = None) -> float:
    """Inverse propensity scoring: mean of w·r."""
    return float(_ips(data.weights(clip) * data.reward))


def snips(data: LoggedBandit, *, clip: float | None = None) -> float:
    """Self-normalized IPS: Σ w·r / Σ w (undefined when every weight is zero)."""
    w = data.weights(clip)
    if not np.sum(w) > 0.0:
        raise ValueError("snips is undefined: the target policy gives no logged action")
    return float(_snips(w * data.reward, w))


def doubly_robust(data: LoggedBandit, *, clip: float | None = None) -> float:
    """Doubly robust: mean of q̂_π(x) + w·(r - q̂(x, a))."""
    return float(_ips(_dr_terms(data, data.weights(clip))))


Estimator = Literal["ips", "snips", "dr"]
ESTIMATORS: Mapping[str, Callable[..., float]] = {
    "ips": ips,
    "snips": snips,
    "dr": doubly_robust,
}


@dataclass(frozen=True)
class Estimate:
    """A policy-value estimate with its bootstrap interval and weight diagnostics."""

    estimator: str
    value: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int
    effective_sample_size: float
    max_weight: float
    clip: float | None


def effective_sample_size(w: FloatArray) -> float:
    """Kish's effective sample size (Σw)² / Σw²; at most n, 0 when every weight is 0."""
    square_sum = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / square_sum if square_sum > 0.0 else 0.0


def estimate(
    data: LoggedBandit,
    estimator: Estimator,
    *,
    n_bootstrap: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    clip: float | None = None,
    method: BootstrapMethod = "percentile",
) -> Estimate:
    """Point estimate plus a bootstrap interval over logged rounds (scipy.stats.bootstrap).

    Rounds are resampled with replacement `n_bootstrap` times; the interval is
    the `method` interval at level `confidence`, reproducible through `seed`.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; valid: {', '.join(ESTIMATORS)}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), but {confidence} is given")
    if n_bootstrap < 2:
        raise ValueError(
            f"n_bootstrap must be an integer of at least 2, but {n_bootstrap} is given"
        )
    if data.n < 2:
        raise ValueError(f"a bootstrap interval needs at least 2 logged rounds, but {data.n} given")
    value = ESTIMATORS[estimator](data, clip=clip)
    w = data.weights(clip)
    sample: tuple[FloatArray, ...]
    statistic: Callable[..., FloatArray]
    if estimator == "snips":
        sample, statistic = (w * data.reward, w), _snips
    elif estimator == "dr":
        sample, statistic = (_dr_terms(data, w),), _ips
    else:
        sample, statistic = (w * data.reward,), _ips
    if all(np.all(array == array[0]) for array in sample):
        low = high = value  # every resample is the original sample
    else:
        result = stats.bootstrap(
            sample,
            statistic,
            n_resamples=n_bootstrap,
            batch=250,
            vectorized=True,
            paired=len(sample) > 1,
            confidence_level=confidence,
            method=method,
            rng=np.random.default_rng(seed),
        )
        low = float(result.confidence_interval.low)
        high = float(result.confidence_interval.high)
    return Estimate(
        estimator=estimator,
        value=value,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n=data.n,
        effective_sample_size=effective_sample_size(w),
        max_weight=float(np.max(w)),
        clip=clip,
    )
