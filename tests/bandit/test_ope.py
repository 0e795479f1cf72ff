"""Off-policy estimators: a hand-computed example, properties on synthetic bandits, bad inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandit.ope import (
    ESTIMATORS,
    FloatArray,
    LoggedBandit,
    doubly_robust,
    effective_sample_size,
    estimate,
    ips,
    snips,
)

# Statistical properties run on fixed examples so that a failure always reproduces.
STATISTICAL = settings(max_examples=12, deadline=None, derandomize=True)
QUICK = settings(max_examples=40)


def tiny() -> LoggedBandit:
    return LoggedBandit(
        reward=np.array([1.0, 0.0, 1.0, 0.0]),
        logging_propensity=np.array([0.5, 0.25, 0.5, 1.0]),
        target_propensity=np.array([1.0, 0.5, 0.25, 0.0]),
        reward_hat_logged=np.full(4, 0.5),
        reward_hat_target=np.full(4, 0.6),
    )


def test_hand_computed_example() -> None:
    # w = [2, 2, 0.5, 0]
    data = tiny()
    assert ips(data) == pytest.approx((2 * 1 + 2 * 0 + 0.5 * 1 + 0) / 4)  # 0.625
    assert snips(data) == pytest.approx(2.5 / 4.5)
    # 0.6 + mean(w * (r - 0.5)) = 0.6 + (1 - 1 + 0.25 + 0) / 4
    assert doubly_robust(data) == pytest.approx(0.6625)
    assert ips(data, clip=1.5) == pytest.approx((1.5 + 0.5) / 4)
    result = estimate(data, "ips", n_bootstrap=200)
    assert result.effective_sample_size == pytest.approx(4.5**2 / (4 + 4 + 0.25))
    assert result.max_weight == 2.0
    assert result.n == 4
    assert result.clip is None


def test_clip_caps_the_reported_weights() -> None:
    result = estimate(tiny(), "dr", clip=1.5, n_bootstrap=200)
    assert result.max_weight == 1.5
    assert result.value == pytest.approx(0.6 + (0.75 - 0.75 + 0.25) / 4)


def test_seed_makes_the_interval_reproducible() -> None:
    data = simulate(make_problem(3, 4, 3), np.random.default_rng(3), 300, "none")
    first = estimate(data, "snips", n_bootstrap=300, seed=7)
    assert estimate(data, "snips", n_bootstrap=300, seed=7) == first
    assert estimate(data, "snips", n_bootstrap=300, seed=8) != first


@dataclass(frozen=True)
class Problem:
    """Discrete contexts drawn uniformly, Bernoulli rewards with known means."""

    q: FloatArray  # (contexts, actions) click probabilities
    mu: FloatArray  # logging policy, every propensity >= 0.5 / actions
    pi: FloatArray  # target policy, may be near zero

    @property
    def value(self) -> float:
        return float(np.mean(np.sum(self.pi * self.q, axis=1)))


def make_problem(seed: int, n_contexts: int, n_actions: int) -> Problem:
    rng = np.random.default_rng(seed)
    mu = 0.5 * rng.dirichlet(np.ones(n_actions), n_contexts) + 0.5 / n_actions
    return Problem(
        q=rng.uniform(0.05, 0.95, (n_contexts, n_actions)),
        mu=mu,
        pi=rng.dirichlet(np.full(n_actions, 0.5), n_contexts),
    )


def simulate(
    problem: Problem, rng: np.random.Generator, n: int, model: str, target: str = "pi"
) -> LoggedBandit:
    """n rounds logged by mu; `model` is "none", "perfect" or "zero"; `target` "pi" or "mu"."""
    n_contexts, n_actions = problem.q.shape
    x = rng.integers(n_contexts, size=n)
    cdf = np.cumsum(problem.mu[x], axis=1)
    a = np.minimum((cdf < rng.random(n)[:, None]).sum(axis=1), n_actions - 1)
    reward = (rng.random(n) < problem.q[x, a]).astype(np.float64)
    pi = problem.pi if target == "pi" else problem.mu
    hats: dict[str, Any] = {}
    if model == "perfect":
        hats = {
            "reward_hat_logged": problem.q[x, a],
            "reward_hat_target": (pi * problem.q)[x].sum(1),
        }
    elif model == "zero":
        hats = {"reward_hat_logged": np.zeros(n), "reward_hat_target": np.zeros(n)}
    return LoggedBandit(reward, problem.mu[x, a], pi[x, a], **hats)


problems = st.builds(
    make_problem,
    seed=st.integers(0, 2**32 - 1),
    n_contexts=st.integers(1, 5),
    n_actions=st.integers(2, 6),
)


@st.composite
def logged_rounds(draw: st.DrawFn) -> LoggedBandit:
    n = draw(st.integers(1, 40))
    unit = st.floats(0.0, 1.0)
    rewards = draw(st.lists(st.floats(-10.0, 10.0), min_size=n, max_size=n))
    mu = draw(st.lists(st.floats(1e-3, 1.0), min_size=n, max_size=n))
    pi = draw(st.lists(unit, min_size=n, max_size=n))
    return LoggedBandit(np.array(rewards), np.array(mu), np.array(pi))


@QUICK
@given(logged_rounds())
def test_ips_of_the_logging_policy_is_the_mean_reward(data: LoggedBandit) -> None:
    on_policy = LoggedBandit(data.reward, data.logging_propensity, data.logging_propensity)
    assert ips(on_policy) == pytest.approx(float(np.mean(data.reward)), abs=1e-12)
    assert snips(on_policy) == pytest.approx(float(np.mean(data.reward)), abs=1e-12)


@QUICK
@given(logged_rounds())
def test_dr_with_a_zero_reward_model_is_ips(data: LoggedBandit) -> None:
    zero = np.zeros(data.n)
    with_model = LoggedBandit(
        data.reward, data.logging_propensity, data.target_propensity, zero, zero
    )
    assert doubly_robust(with_model) == pytest.approx(ips(data), abs=1e-12)


@QUICK
@given(logged_rounds())
def test_effective_sample_size_is_between_zero_and_n(data: LoggedBandit) -> None:
    ess = effective_sample_size(data.weights())
    assert 0.0 <= ess <= data.n * (1 + 1e-12)


@STATISTICAL
@given(problems)
def test_ips_is_unbiased(problem: Problem) -> None:
    rng = np.random.default_rng(0)
    values = np.array([ips(simulate(problem, rng, 100, "none")) for _ in range(600)])
    standard_error = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - problem.value) <= 5 * standard_error + 1e-9


@STATISTICAL
@given(problems, st.sampled_from(["snips", "dr"]))
def test_snips_and_dr_with_a_perfect_model_find_the_true_value(
    problem: Problem, estimator: str
) -> None:
    data = simulate(problem, np.random.default_rng(1), 20_000, "perfect")
    w = data.weights()
    value = ESTIMATORS[estimator](data)
    if estimator == "snips":  # delta method
        terms = w * (data.reward - value) / np.mean(w)
    else:
        assert data.reward_hat_target is not None
        assert data.reward_hat_logged is not None
        terms = data.reward_hat_target + w * (data.reward - data.reward_hat_logged)
    standard_error = terms.std(ddof=1) / np.sqrt(data.n)
    assert abs(value - problem.value) <= 5 * standard_error + 1e-9


@STATISTICAL
@given(problems, st.integers(20, 300), st.sampled_from(["ips", "snips", "dr"]))
def test_interval_contains_the_estimate(problem: Problem, n: int, estimator: Any) -> None:
    data = simulate(problem, np.random.default_rng(n), n, "perfect")
    result = estimate(data, estimator, n_bootstrap=200, seed=n)
    assert result.ci_low <= result.value <= result.ci_high
    assert 0.0 < result.effective_sample_size <= n * (1 + 1e-12)
    assert result.max_weight == pytest.approx(float(np.max(data.weights())))


def test_constant_rewards_give_a_zero_width_interval() -> None:
    data = LoggedBandit(np.zeros(50), np.full(50, 0.5), np.full(50, 0.2))
    result = estimate(data, "ips")
    assert (result.ci_low, result.value, result.ci_high) == (0.0, 0.0, 0.0)


ONE = np.ones(3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reward": np.ones((3, 1))}, r"reward must be one-dimensional, but has shape \(3, 1\)"),
        ({"reward": np.array([1.0, np.nan, 0.0])}, "reward must be finite"),
        ({"reward": np.array([])}, "at least one logged round"),
        ({"logging_propensity": np.ones(2)}, "logging_propensity must have 3 rounds like reward"),
        (
            {"logging_propensity": np.array([0.5, 0.0, 1.0])},
            r"logging_propensity must lie in \(0, 1\]",
        ),
        (
            {"logging_propensity": np.array([0.5, 1.5, 1.0])},
            r"logging_propensity must lie in \(0, 1\]",
        ),
        (
            {"target_propensity": np.array([0.5, -0.1, 1.0])},
            r"target_propensity must lie in \[0, 1\]",
        ),
        (
            {"target_propensity": np.array([0.5, 1.1, 1.0])},
            r"target_propensity must lie in \[0, 1\]",
        ),
        ({"reward_hat_logged": ONE}, "must be given together"),
        (
            {"reward_hat_logged": ONE, "reward_hat_target": np.ones(4)},
            "reward_hat_target must have 3",
        ),
    ],
)
def test_bad_logged_data_is_refused(kwargs: dict[str, Any], match: str) -> None:
    fields: dict[str, Any] = {"reward": ONE, "logging_propensity": ONE, "target_propensity": ONE}
    with pytest.raises(ValueError, match=match):
        LoggedBandit(**(fields | kwargs))


BARE = LoggedBandit(ONE, ONE, np.zeros(3))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: doubly_robust(BARE),
            "doubly_robust needs reward_hat_logged and reward_hat_target",
        ),
        (lambda: snips(BARE), "snips is undefined: the target policy gives no logged action"),
        (lambda: ips(BARE, clip=0.0), "clip must be a positive number, but 0.0 is given"),
        (lambda: estimate(BARE, "ipw"), "unknown estimator 'ipw'; valid: ips, snips, dr"),  # type: ignore[arg-type]
        (lambda: estimate(BARE, "ips", confidence=1.0), r"confidence must lie in \(0, 1\)"),
        (
            lambda: estimate(BARE, "ips", n_bootstrap=1),
            "n_bootstrap must be an integer of at least 2",
        ),
        (
            lambda: estimate(LoggedBandit(ONE[:1], ONE[:1], ONE[:1]), "ips"),
            "at least 2 logged rounds",
        ),
    ],
)
def test_bad_estimator_calls_are_refused(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
