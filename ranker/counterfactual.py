"""Counterfactual evaluation of a ranker on logged clicks: inverse-propensity-weighted DCG.

Held-out clicks were collected under the logging ranker, so ordinary NDCG on them rewards a
model for keeping the logging order: what was shown high was examined and clicked more. Under
the examination hypothesis a click at logged position ``p`` reveals relevance with
probability ``θ_p`` (the examination propensity of ``p``); weighting each engaged result by
``1 / θ_p`` makes the sum of its gains, discounted at the rank a *new* model gives it, an
unbiased estimate of that model's DCG on true relevance (Joachims, Swaminathan & Schnabel
2017, "Unbiased Learning-to-Rank with Biased Feedback", WSDM, section 4; Agarwal et al. 2019,
"A General Framework for Counterfactual Learning-to-Rank", SIGIR). Weights are clipped, which
trades a little bias for much less variance from rare clicks deep in the ranking.

The estimate is unnormalized (mean DCG@k per search, not NDCG): normalizing by an ideal DCG
built from the same weighted clicks would re-introduce a dependence on what was shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ranker.dataset import DatasetError, RankingDataset
from ranker.propensity import PropensityEstimate


@dataclass(frozen=True, eq=False)
class IpsDcg:
    """Mean inverse-propensity-weighted DCG@k over the searches of one dataset.

    Call it with one score per row of the dataset it was built from. Ties are broken by a
    fixed random order, never by the logged order (which would favour the logging ranker).
    """

    query_ids: NDArray[np.int64]
    offsets: NDArray[np.int64]
    gains: NDArray[np.float64]
    """``(2**label - 1) / θ_position`` of every engaged row (LightGBM's label gain), else 0."""
    tiebreak: NDArray[np.float64]
    k: int = 10

    @property
    def name(self) -> str:
        return f"ips_dcg@{self.k}"

    @classmethod
    def of(
        cls,
        dataset: RankingDataset,
        propensities: PropensityEstimate,
        *,
        clip: float = 10.0,
        k: int = 10,
        seed: int = 0,
    ) -> IpsDcg:
        """The metric on ``dataset`` (which needs logged positions) with these propensities."""
        if dataset.positions is None:
            raise DatasetError("a counterfactual metric needs logged positions, but there are none")
        if k < 1:
            raise ValueError(f"k must be at least 1, but {k} is given")
        labels = np.asarray(dataset.labels, dtype=np.float64)
        weights = propensities.ipw_weights(dataset.positions, clip=clip).astype(np.float64)
        gains = np.where(labels > 0, (np.exp2(labels) - 1.0) * weights, 0.0)
        return cls(
            query_ids=dataset.query_ids(),
            offsets=np.asarray(dataset.query_offsets, dtype=np.int64),
            gains=gains,
            tiebreak=np.random.default_rng(seed).random(dataset.n_rows),
            k=k,
        )

    def __call__(self, scores: ArrayLike) -> float:
        values = np.asarray(scores, dtype=np.float64)
        if values.shape != self.gains.shape:
            raise ValueError(f"expected {self.gains.size} scores, one per row, got {values.shape}")
        # Primary key last: by search, then score descending, then the random tie-break.
        order = np.lexsort((self.tiebreak, -values, self.query_ids))
        ranks = np.empty(values.size, dtype=np.int64)
        ranks[order] = np.arange(values.size) - self.offsets[self.query_ids[order]]
        discount = np.where(ranks < self.k, 1.0 / np.log2(ranks + 2.0), 0.0)
        n_queries = self.offsets.size - 1
        return float((self.gains * discount).sum() / n_queries)
