"""The ranker as the service uses it: features in, one score per candidate out.

:class:`Ranker` is the small interface the search pipeline scores through; any model that
reads a :class:`ranker.feature_spec.FeatureSpec` matrix can stand behind it.
:class:`LightGBMRanker` serves a LambdaMART model of :mod:`ranker.train`, and explains a
score by its per-feature contributions (TreeSHAP, LightGBM's ``pred_contrib``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ranker.feature_spec import FeatureSpec
from ranker.train import TrainedModel


class Ranker(Protocol):
    """Scores candidates from their feature rows; higher ranks first."""

    @property
    def version(self) -> str: ...

    @property
    def spec(self) -> FeatureSpec: ...

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]: ...

    def explain(self, features: NDArray[np.float32], top: int) -> list[list[tuple[str, float]]]: ...


@dataclass(frozen=True, eq=False)
class LightGBMRanker:
    """A trained LambdaMART model under the feature spec it was trained on."""

    version: str
    spec: FeatureSpec
    model: TrainedModel

    def __post_init__(self) -> None:
        if self.model.feature_names != self.spec.names:
            raise ValueError(
                f"model {self.version} was trained on other features than spec {self.spec.version}"
            )

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        return self.model.predict(features)

    def explain(self, features: NDArray[np.float32], top: int) -> list[list[tuple[str, float]]]:
        """Per row, the ``top`` features that moved its score most, with their contribution."""
        contrib = self.model.contributions(features)[:, :-1]  # the last column is the bias
        names = self.spec.names
        out = []
        for row in contrib:
            order = np.argsort(-np.abs(row), kind="stable")[:top]
            out.append([(names[i], float(row[i])) for i in order if row[i] != 0.0])
        return out
