"""Training LambdaMART rankers with LightGBM, and the trained model that scores candidates.

LambdaMART is gradient-boosted regression trees fitted to LambdaRank gradients: pairwise
RankNet gradients scaled by the change in NDCG that swapping the pair would cause, so the trees
optimise the top of the ranking directly (Burges 2010, "From RankNet to LambdaRank to
LambdaMART: An Overview", MSR-TR-2010-82). LightGBM's ``objective="lambdarank"`` is the
implementation used here; queries are passed as groups so gradients only compare candidates of
the same search.

Feedback logged from a served ranking is biased by position: lower results are examined less,
so fewer clicks there do not mean less relevance (Joachims, Swaminathan & Schnabel 2017,
"Unbiased Learning-to-Rank with Biased Feedback", WSDM). Two corrections are supported:

* LightGBM's own position-bias estimation (LightGBM documentation, "Advanced Topics: Position
  Bias Estimation and Correction", ``lgb.Dataset(position=...)``): a bias factor per display
  position is learned jointly with the ranker, as in a generalised additive model of
  relevance and position, and regularised by ``lambdarank_position_bias_regularization``.
* Per-row weights, e.g. inverse propensities of examination for inverse-propensity-weighted
  training (Joachims et al. 2017); LightGBM's ranking objective scales each row's gradient by
  its weight.

Validation holds out the most recent queries (:func:`split_by_time`), never a random sample,
because the model will serve queries that come after its training data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ranker.dataset import DatasetError, RankingDataset

MODEL_FILE = "model.txt"
"""LightGBM's text model inside a saved model directory."""
METADATA_FILE = "metadata.json"
"""Feature names, best iteration, validation metrics and config inside a saved model directory."""


class TrainConfig(BaseModel):
    """Hyper-parameters of LambdaMART training (LightGBM names in the field descriptions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    num_leaves: int = Field(31, ge=2, description="Leaves per tree (num_leaves).")
    learning_rate: float = Field(0.1, gt=0.0, description="Shrinkage (learning_rate).")
    learning_rate_decay: float = Field(
        0.0,
        ge=0.0,
        description="Linear decay: round i uses max(min_learning_rate, learning_rate - decay * i).",
    )
    min_learning_rate: float = Field(0.01, gt=0.0, description="Floor of the decayed rate.")
    n_estimators: int = Field(100, ge=1, description="Maximum boosting rounds.")
    min_data_in_leaf: int = Field(20, ge=1, description="Rows per leaf (min_data_in_leaf).")
    min_sum_hessian_in_leaf: float = Field(1e-3, ge=0.0)
    feature_fraction: float = Field(1.0, gt=0.0, le=1.0)
    bagging_fraction: float = Field(1.0, gt=0.0, le=1.0)
    bagging_freq: int = Field(0, ge=0, description="Bag every k rounds; 0 disables bagging.")
    max_bin: int = Field(255, ge=2)
    lambdarank_truncation_level: int | None = Field(
        None, ge=1, description="Pairs considered per query; None keeps LightGBM's default."
    )
    early_stopping_rounds: int | None = Field(
        10, ge=1, description="Stop when no validation metric improved for this many rounds."
    )
    eval_at: tuple[int, ...] = Field((1, 3, 5, 10), description="NDCG cut-offs evaluated.")
    seed: int = 0
    deterministic: bool = True
    num_threads: int = Field(1, ge=1)
    debias_positions: bool = Field(
        False, description="Learn position-bias factors from the training set's positions."
    )
    position_bias_regularization: float = Field(
        0.0, ge=0.0, description="lambdarank_position_bias_regularization."
    )
    monotone_constraints: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "Feature name → 1 (score may only rise with it) or -1 (only fall); unnamed "
            "features are free (LightGBM's monotone_constraints, by column)."
        ),
    )

    @field_validator("monotone_constraints")
    @classmethod
    def _directions(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {name: d for name, d in value.items() if d not in (-1, 0, 1)}
        if bad:
            raise ValueError(f"monotone constraints must be -1, 0 or 1, but {bad} is given")
        return value

    @field_validator("eval_at")
    @classmethod
    def _positive_cutoffs(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(k < 1 for k in value):
            raise ValueError(f"eval_at must be non-empty positive cut-offs, but {value} is given")
        return value

    def lightgbm_params(self) -> dict[str, Any]:
        """The LightGBM parameter dict for this config (logging silenced)."""
        params: dict[str, Any] = {
            "objective": "lambdarank",
            "metric": "ndcg",
            "eval_at": list(self.eval_at),
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": self.min_data_in_leaf,
            "min_sum_hessian_in_leaf": self.min_sum_hessian_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "max_bin": self.max_bin,
            "seed": self.seed,
            "deterministic": self.deterministic,
            "force_row_wise": True,
            "num_threads": self.num_threads,
            "verbosity": -1,
        }
        if self.lambdarank_truncation_level is not None:
            params["lambdarank_truncation_level"] = self.lambdarank_truncation_level
        if self.debias_positions:
            params["lambdarank_position_bias_regularization"] = self.position_bias_regularization
        return params

    def learning_rate_at(self, round_index: int) -> float:
        """Learning rate of boosting round ``round_index`` (0-based) under the decay schedule."""
        if self.learning_rate_decay == 0.0:
            return self.learning_rate
        decayed = self.learning_rate - self.learning_rate_decay * round_index
        return max(self.min_learning_rate, decayed)


@dataclass(eq=False)
class TrainedModel:
    """A trained LambdaMART booster with its feature names and validation results."""

    booster: lgb.Booster
    feature_names: tuple[str, ...]
    best_iteration: int
    """Boosting rounds used for prediction (the early-stopping optimum)."""
    valid_metrics: dict[str, float] = field(default_factory=dict)
    """Validation metrics at ``best_iteration``, e.g. ``{"ndcg@1": 0.62}``."""
    config: TrainConfig | None = None

    def predict(self, features: ArrayLike) -> NDArray[np.float64]:
        """Ranking scores, one per row; higher ranks first. Only order within a query matters."""
        x = self._matrix(features)
        scores: Any = self.booster.predict(x, num_iteration=self.best_iteration)
        return np.asarray(scores, dtype=np.float64)

    def contributions(self, features: ArrayLike) -> NDArray[np.float64]:
        """Per-feature contributions (TreeSHAP) to each score, plus a last bias column.

        Shape ``(n_rows, n_features + 1)``; each row sums to :meth:`predict`'s score.
        """
        x = self._matrix(features)
        contrib: Any = self.booster.predict(x, num_iteration=self.best_iteration, pred_contrib=True)
        return np.asarray(contrib, dtype=np.float64)

    def save(self, path: str | Path) -> Path:
        """Write the model to directory ``path`` (created if needed); returns it."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(directory / MODEL_FILE, num_iteration=self.best_iteration)
        metadata = {
            "feature_names": list(self.feature_names),
            "best_iteration": self.best_iteration,
            "valid_metrics": self.valid_metrics,
            "config": None if self.config is None else self.config.model_dump(mode="json"),
        }
        (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, path: str | Path) -> TrainedModel:
        """Read a model written by :meth:`save`."""
        directory = Path(path)
        metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
        booster = lgb.Booster(model_file=directory / MODEL_FILE)
        config = metadata["config"]
        return cls(
            booster=booster,
            feature_names=tuple(metadata["feature_names"]),
            best_iteration=int(metadata["best_iteration"]),
            valid_metrics={k: float(v) for k, v in metadata["valid_metrics"].items()},
            config=None if config is None else TrainConfig.model_validate(config),
        )

    def _matrix(self, features: ArrayLike) -> NDArray[np.float32]:
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(
                f"features must be a matrix with {len(self.feature_names)} columns, "
                f"but have shape {x.shape}"
            )
        return x


def _lgb_dataset(
    data: RankingDataset,
    *,
    with_positions: bool,
    reference: lgb.Dataset | None = None,
) -> lgb.Dataset:
    return lgb.Dataset(
        data.features,
        label=data.labels,
        group=data.group_sizes,
        weight=data.weights,
        position=data.positions if with_positions else None,
        feature_name=list(data.feature_names),
        reference=reference,
        free_raw_data=False,
    )


class HeldOutMetric(Protocol):
    """A validation metric of the scores of every validation row; higher is better."""

    @property
    def name(self) -> str: ...

    def __call__(self, scores: ArrayLike) -> float: ...


def train_lambdamart(
    train: RankingDataset,
    valid: RankingDataset | None,
    config: TrainConfig | None = None,
    *,
    select_by: HeldOutMetric | None = None,
) -> TrainedModel:
    """Fit LambdaMART on ``train``, early-stopping on NDCG of ``valid``.

    With ``config.debias_positions`` the training set's ``positions`` feed LightGBM's
    position-bias estimation; the validation set is scored on its labels as they are.
    Per-row ``weights`` of either set are always used.

    ``select_by`` replaces early stopping on LightGBM's NDCG: every round of
    ``config.n_estimators`` is trained and the model keeps the rounds where ``select_by`` of
    the validation scores peaked (early stopping with a patience of the whole budget, which
    suits a noisy metric such as :class:`ranker.counterfactual.IpsDcg`).
    """
    config = config or TrainConfig()
    if config.debias_positions and train.positions is None:
        raise DatasetError("debias_positions needs positions on the training set, but it has none")
    if config.early_stopping_rounds is not None and valid is None:
        raise DatasetError("early stopping needs a validation set, but valid is None")
    if select_by is not None and valid is None:
        raise DatasetError("select_by needs a validation set, but valid is None")
    if select_by is not None and config.early_stopping_rounds is not None:
        raise ValueError(
            "select_by chooses the rounds itself: set early_stopping_rounds to None with it"
        )
    if valid is not None and valid.feature_names != train.feature_names:
        raise DatasetError("valid must have the same feature names, in order, as train")

    params = config.lightgbm_params()
    if config.monotone_constraints:
        unknown = sorted(set(config.monotone_constraints) - set(train.feature_names))
        if unknown:
            raise DatasetError(f"monotone constraints name features {unknown} not in the data")
        params["monotone_constraints"] = [
            config.monotone_constraints.get(name, 0) for name in train.feature_names
        ]
    train_set = _lgb_dataset(train, with_positions=config.debias_positions)
    valid_sets: list[lgb.Dataset] = []
    valid_names: list[str] = []
    if valid is not None:
        valid_sets.append(_lgb_dataset(valid, with_positions=False, reference=train_set))
        valid_names.append("valid")

    history: dict[str, Any] = {}
    callbacks: list[Any] = [lgb.record_evaluation(history)]
    if config.early_stopping_rounds is not None:
        callbacks.append(lgb.early_stopping(config.early_stopping_rounds, verbose=False))
    if config.learning_rate_decay > 0.0:
        callbacks.append(lgb.reset_parameter(learning_rate=config.learning_rate_at))

    feval = None
    if select_by is not None:
        metric = select_by

        def feval(scores: NDArray[np.float64], _data: lgb.Dataset) -> tuple[str, float, bool]:
            return metric.name, metric(scores), True

    booster = lgb.train(
        params,
        train_set,
        num_boost_round=config.n_estimators,
        valid_sets=valid_sets,
        valid_names=valid_names,
        feval=feval,
        callbacks=callbacks,
    )
    best = booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration()
    if select_by is not None:
        best = int(np.argmax(history["valid"][select_by.name])) + 1
    metrics = {name: float(values[best - 1]) for name, values in history.get("valid", {}).items()}
    return TrainedModel(
        booster=booster,
        feature_names=train.feature_names,
        best_iteration=best,
        valid_metrics=metrics,
        config=config,
    )


def split_by_time(
    dataset: RankingDataset, valid_fraction: float
) -> tuple[RankingDataset, RankingDataset]:
    """Split into (train, valid), holding out the latest ``valid_fraction`` of queries.

    Queries are ordered by ``query_times`` (row order when absent; ties keep row order); the
    last ``ceil(valid_fraction * n_queries)`` go to validation. Both parts keep time order.
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in (0, 1), but {valid_fraction} is given")
    n = dataset.n_queries
    if n < 2:
        raise DatasetError(f"a time split needs at least 2 queries, but {n} is given")
    n_valid = min(n - 1, max(1, math.ceil(valid_fraction * n)))
    times = dataset.query_times
    order = np.arange(n) if times is None else np.argsort(times, kind="stable")
    train_queries, valid_queries = order[: n - n_valid], order[n - n_valid :]
    return dataset.select_queries(train_queries), dataset.select_queries(valid_queries)
