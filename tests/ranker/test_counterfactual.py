"""Counterfactual DCG of held-out clicks: exact on small cases, unbiased where click DCG is not."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from ranker.counterfactual import IpsDcg
from ranker.dataset import DatasetError, RankingDataset
from ranker.propensity import PropensityEstimate

N_DOCS = 10


def _estimate(curve: list[float]) -> PropensityEstimate:
    return PropensityEstimate(
        relative=tuple(curve),
        low=tuple(curve),
        high=tuple(curve),
        counts=(0,) * len(curve),
        scheme="adjacent",
    )


TRUE_CURVE = [1.0 / (p + 1) for p in range(N_DOCS)]
"""Examination probability of display position p (0 = top) in the logs below."""


def _logs(seed: int, n_queries: int) -> tuple[RankingDataset, NDArray[np.float64]]:
    """Clicks logged under a ranker that sorts by an irrelevant feature, and each row's
    click probability when examined (its attractiveness, what an unbiased metric recovers).

    Feature 0 is relevance; feature 1 is what the logging ranker sorted by.
    """
    rng = np.random.default_rng(seed)
    features = rng.uniform(size=(n_queries * N_DOCS, 2))
    attractive = 0.05 + 0.9 * features[:, 0] ** 2
    positions = np.empty(features.shape[0], dtype=np.int64)
    for start in range(0, features.shape[0], N_DOCS):
        order = np.argsort(-features[start : start + N_DOCS, 1])
        positions[start + order] = np.arange(N_DOCS)
    examined = rng.uniform(size=positions.size) < np.asarray(TRUE_CURVE)[positions]
    clicked = examined & (rng.uniform(size=positions.size) < attractive)
    dataset = RankingDataset(
        features.astype(np.float32),
        clicked.astype(np.int32),
        np.full(n_queries, N_DOCS),
        feature_names=["relevance", "logged_signal"],
        positions=positions,
    )
    return dataset, attractive


def _true_dcg(scores: NDArray[np.float64], attractive: NDArray[np.float64], k: int) -> float:
    """Expected DCG@k of the clicks the ranking would get if every result were examined."""
    total = 0.0
    n_queries = scores.size // N_DOCS
    for start in range(0, scores.size, N_DOCS):
        order = np.argsort(-scores[start : start + N_DOCS], kind="stable")
        gains = attractive[start : start + N_DOCS][order][:k]
        total += float((gains / np.log2(np.arange(gains.size) + 2.0)).sum())
    return total / n_queries


def test_the_value_on_a_small_case_by_hand() -> None:
    dataset = RankingDataset(
        np.zeros((5, 1), dtype=np.float32),
        np.array([0, 2, 0, 1, 0]),
        np.array([3, 2]),
        feature_names=["x"],
        positions=np.array([0, 1, 2, 0, 1]),
    )
    metric = IpsDcg.of(dataset, _estimate([1.0, 0.5, 0.25]), k=2)
    assert metric.name == "ips_dcg@2"
    # Query 1: the grade-2 result (gain 3, logged at position 1: weight 2) ranked first.
    # Query 2: the click (gain 1, position 0: weight 1) ranked second.
    value = metric(np.array([0.1, 0.9, 0.5, 0.2, 0.8]))
    assert value == pytest.approx((3 * 2 / np.log2(2) + 1 / np.log2(3)) / 2)
    # Ranked third of query 1, past k = 2: no credit.
    assert metric(np.array([0.9, 0.1, 0.5, 0.8, 0.2])) == pytest.approx((1 / np.log2(2)) / 2)


def test_clipping_bounds_the_weight_of_deep_clicks() -> None:
    dataset = RankingDataset(
        np.zeros((2, 1), dtype=np.float32),
        np.array([1, 0]),
        np.array([2]),
        feature_names=["x"],
        positions=np.array([1, 0]),
    )
    estimate = _estimate([1.0, 0.01])
    assert IpsDcg.of(dataset, estimate, clip=5.0)(np.array([1.0, 0.0])) == pytest.approx(5.0)
    assert IpsDcg.of(dataset, estimate, clip=500.0)(np.array([1.0, 0.0])) == pytest.approx(100.0)


def test_ties_are_not_broken_by_the_logged_order() -> None:
    dataset, _ = _logs(seed=3, n_queries=2000)
    clicks_at_top = IpsDcg.of(dataset, _estimate([1.0] * N_DOCS), k=1)
    # Constant scores put a random result first, not the logged top result, which was always
    # examined and so clicked three times as often as the average result.
    logged_order = -dataset.positions.astype(np.float64)
    assert clicks_at_top(np.zeros(dataset.n_rows)) < 0.5 * clicks_at_top(logged_order)


def test_weighted_clicks_recover_the_true_dcg_where_raw_clicks_favour_the_logging_order() -> None:
    dataset, attractive = _logs(seed=11, n_queries=6000)
    by_relevance = dataset.features[:, 0].astype(np.float64)
    by_logged_signal = dataset.features[:, 1].astype(np.float64)
    unbiased = IpsDcg.of(dataset, _estimate(TRUE_CURVE), clip=1000.0)
    naive = IpsDcg.of(dataset, _estimate([1.0] * N_DOCS))

    # Raw clicks prefer the order they were collected under ...
    assert naive(by_logged_signal) > naive(by_relevance)
    # ... the weighted estimate prefers the relevant order and matches the true DCG of both.
    assert unbiased(by_relevance) > 1.2 * unbiased(by_logged_signal)
    for scores in (by_relevance, by_logged_signal):
        assert unbiased(scores) == pytest.approx(_true_dcg(scores, attractive, 10), rel=0.05)


def test_bad_inputs_are_refused() -> None:
    dataset, _ = _logs(seed=1, n_queries=3)
    no_positions = RankingDataset(
        dataset.features, dataset.labels, dataset.group_sizes, feature_names=dataset.feature_names
    )
    with pytest.raises(DatasetError, match="needs logged positions"):
        IpsDcg.of(no_positions, _estimate(TRUE_CURVE))
    with pytest.raises(ValueError, match="k must be at least 1"):
        IpsDcg.of(dataset, _estimate(TRUE_CURVE), k=0)
    with pytest.raises(ValueError, match="expected 30 scores"):
        IpsDcg.of(dataset, _estimate(TRUE_CURVE))(np.zeros(29))
