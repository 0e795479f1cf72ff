"""Fit a ranker from the learning log, with or without position-bias correction.

Three ways to treat the position at which each shown result was logged:

* ``none`` (naive): clicks are labels as they are. Results shown low are examined less, so
  the model learns that whatever RRF put low is bad, and copies the logging ranking.
* ``lightgbm``: LightGBM learns a bias factor per display position jointly with the
  ranker (``lgb.Dataset(position=...)``, :mod:`ranker.train`).
* ``ipw``: each engaged row is weighted by the inverse of its position's examination
  propensity (Joachims, Swaminathan & Schnabel 2017, "Unbiased Learning-to-Rank with
  Biased Feedback", WSDM), with propensities ltrr estimates itself from the randomized
  swaps it served (:mod:`ranker.interventions`, :mod:`ranker.propensity`).

Validation holds out the latest searches (by time). Its NDCG is on click labels, so it is
itself position-biased, and it does not stop training: held-out clicks favour the order the
logging ranker showed, so their NDCG peaked after a handful of trees — a debiased model,
which departs from that order on purpose, peaked at its first tree — while nDCG on the
simulator's true relevance kept rising (``docs/ranker.md``). When the log holds randomized
swaps, the debiased modes instead keep the number of rounds (of up to
:data:`SELECTION_ROUNDS`) that maximizes the held-out searches' counterfactual DCG@10
(:class:`ranker.counterfactual.IpsDcg`): clicks weighted by the inverse of their position's
estimated examination propensity, an unbiased estimate of DCG on relevance. Without swaps,
and for the naive mode, training runs :data:`FEEDBACK_CONFIG`'s fixed rounds.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import numpy as np

from ranker.counterfactual import IpsDcg
from ranker.dataset import DatasetError, RankingDataset
from ranker.feature_spec import FeatureSpec
from ranker.interventions import SwapConfig
from ranker.logged import LabelConfig, LoggedData, read_training, swap_observations
from ranker.propensity import PropensityEstimate, estimate_propensities
from ranker.registry import DataSpan
from ranker.train import TrainConfig, TrainedModel, split_by_time, train_lambdamart

FEEDBACK_CONFIG: Final = TrainConfig(
    n_estimators=150, learning_rate=0.05, early_stopping_rounds=None
)
"""Training from logged feedback: a fixed number of rounds at a small learning rate, no
early stopping on (position-biased) held-out clicks; the validation NDCG is reported only."""

SELECTION_ROUNDS: Final = 300
"""The round budget when a counterfactual metric chooses how many rounds to keep."""


class Debias(StrEnum):
    NONE = "none"
    LIGHTGBM = "lightgbm"
    IPW = "ipw"


@dataclass
class FitResult:
    model: TrainedModel
    data: LoggedData
    span: DataSpan
    metrics: dict[str, float]
    propensities: PropensityEstimate | None = None


def estimate_from_log(path: Path, spec: FeatureSpec, swaps: SwapConfig) -> PropensityEstimate:
    """Examination propensities from the swaps logged in the learning log at ``path``."""
    observations = swap_observations(path, spec)
    if not any(o.swap is not None for o in observations):
        raise DatasetError(
            f"the learning log at {path} holds no randomized swap: serve with "
            "LTRR_RANKER__SWAPS__RATE > 0 (e.g. 0.05) to estimate position bias"
        )
    return estimate_propensities(
        observations, max_position=swaps.max_position, scheme=swaps.scheme, pivot=swaps.pivot
    )


def ipw_weighted(
    dataset: RankingDataset, estimate: PropensityEstimate, clip: float
) -> RankingDataset:
    """``dataset`` with engaged rows weighted by 1 / propensity of their position."""
    if dataset.positions is None:
        raise DatasetError("inverse-propensity weights need logged positions, but there are none")
    weights = np.where(
        dataset.labels > 0, estimate.ipw_weights(dataset.positions, clip=clip), 1.0
    ).astype(np.float32)
    return RankingDataset(
        dataset.features,
        dataset.labels,
        dataset.group_sizes,
        feature_names=dataset.feature_names,
        positions=dataset.positions,
        weights=weights,
        query_times=dataset.query_times,
    )


def fit_from_logs(
    path: Path,
    spec: FeatureSpec,
    *,
    debias: Debias = Debias.LIGHTGBM,
    config: TrainConfig | None = None,
    labels: LabelConfig | None = None,
    swaps: SwapConfig | None = None,
    valid_fraction: float = 0.2,
    clip: float = 10.0,
    include_unshown: bool = True,
    since: float | None = None,
    until: float | None = None,
    select: bool = True,
) -> FitResult:
    """Train LambdaMART on the learning log at ``path`` (see the module docs).

    With ``include_unshown`` the logged sample of unshown candidates joins each search as
    label-0 rows at one position past the page: the model scores the whole union at serve
    time, so it must see candidates from below the page in training too, or it will
    promote whatever it never learned to demote.

    With ``select`` and randomized swaps in the log, the debiased modes keep the number of
    rounds that maximizes the counterfactual DCG@10 of the held-out, latest searches
    (:class:`ranker.counterfactual.IpsDcg`, propensities estimated from the swaps); the naive
    mode knows no propensities and keeps every round.
    """
    data = read_training(
        path, spec, labels, include_unshown=include_unshown, since=since, until=until
    )
    given = config
    config = config or FEEDBACK_CONFIG
    if debias is Debias.LIGHTGBM:
        config = config.model_copy(update={"debias_positions": True})
    train, valid = split_by_time(data.dataset, valid_fraction)
    estimate = None
    if debias is Debias.IPW:
        estimate = estimate_from_log(path, spec, swaps or SwapConfig())
        train = ipw_weighted(train, estimate, clip)
    elif debias is Debias.LIGHTGBM and select:
        with contextlib.suppress(DatasetError):  # no swaps logged: fixed rounds
            estimate = estimate_from_log(path, spec, swaps or SwapConfig())
    select_by = None
    if select and estimate is not None:
        select_by = IpsDcg.of(valid, estimate, clip=clip)
        rounds = SELECTION_ROUNDS if given is None else config.n_estimators
        config = config.model_copy(update={"early_stopping_rounds": None, "n_estimators": rounds})
    model = train_lambdamart(train, valid, config, select_by=select_by)
    # NDCG on held-out click labels (position-biased), and ips_dcg@10 when it chose the rounds
    metrics = dict(model.valid_metrics)
    span = DataSpan(
        source=f"feedback:{debias.value}",
        searches=data.searches,
        rows=data.dataset.n_rows,
        first_search_at=data.first_search_at,
        last_search_at=data.last_search_at,
    )
    return FitResult(model, data, span, metrics, estimate)
