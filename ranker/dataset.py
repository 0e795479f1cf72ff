"""A learning-to-rank dataset: rows of candidate features grouped by the query they answer.

The layout is LightGBM's ranking layout: rows of one query are consecutive, and the query
structure is given as *group sizes* in row order (``[3, 5]`` means rows 0-2 answer the first
query and rows 3-7 the second). Labels are graded relevance (0 = not relevant), as in the
LETOR datasets and as LambdaMART's NDCG-based gradients expect (Burges 2010, "From RankNet to
LambdaRank to LambdaMART: An Overview", MSR-TR-2010-82).

Two optional columns serve learning from logged feedback:

* ``positions``: the display position at which each row was shown when its label (a click) was
  logged. LightGBM uses it to learn a position-bias term jointly with the ranker
  (LightGBM documentation, "Advanced Topics: Position Bias Estimation and Correction").
* ``weights``: a per-row weight, e.g. an inverse propensity of examination for
  inverse-propensity-weighted training (Joachims, Swaminathan & Schnabel 2017, "Unbiased
  Learning-to-Rank with Biased Feedback", WSDM).

``query_times`` orders the queries in time, so that validation can hold out the most recent
queries rather than a random sample, which would leak the future into training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

MAX_LABEL = 30
"""Highest graded label LightGBM's default ``label_gain`` (``2**i - 1`` for i ≤ 30) covers."""


class DatasetError(ValueError):
    """A learning-to-rank dataset whose parts do not fit together."""


class RankingDataset:
    """Features, graded labels and query groups of a learning-to-rank dataset (validated).

    Build it with the constructor (group sizes) or :meth:`from_query_ids` (a query-id column);
    arrays are converted to the dtypes LightGBM consumes and checked for consistency. Treat
    an instance as read-only; :meth:`select_queries` derives new ones.
    """

    features: NDArray[np.float32]
    """Feature matrix, one row per (query, candidate), ``float32``; NaN means missing."""
    labels: NDArray[np.int32]
    """Graded relevance per row, integers in ``[0, MAX_LABEL]``."""
    group_sizes: NDArray[np.int64]
    """Number of consecutive rows per query, in row order; sums to the number of rows."""
    feature_names: tuple[str, ...]
    """One name per feature column; defaults to ``f0, f1, …``."""
    positions: NDArray[np.int32] | None
    """Logged display position (0 = top) of each row, or ``None``."""
    weights: NDArray[np.float32] | None
    """Non-negative weight per row, or ``None`` for unit weights."""
    query_times: NDArray[np.float64] | None
    """A time or ordering key per query, or ``None`` for row order."""
    _offsets: NDArray[np.int64]

    def __init__(
        self,
        features: ArrayLike,
        labels: ArrayLike,
        group_sizes: ArrayLike,
        *,
        feature_names: Sequence[str] | None = None,
        positions: ArrayLike | None = None,
        weights: ArrayLike | None = None,
        query_times: ArrayLike | None = None,
    ) -> None:
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2:
            raise DatasetError(f"features must be a 2-D matrix, but has {x.ndim} dimension(s)")
        n_rows, n_features = x.shape
        if n_rows == 0:
            raise DatasetError("features must have at least one row, but 0 rows are given")

        y_raw = np.asarray(labels, dtype=np.float64)
        if y_raw.shape != (n_rows,):
            raise DatasetError(
                f"labels must have one value per row ({n_rows}), but have shape {y_raw.shape}"
            )
        nan_rows = np.flatnonzero(np.isnan(y_raw))
        if nan_rows.size:
            raise DatasetError(f"labels must not be NaN, but row {int(nan_rows[0])} is NaN")
        bad = np.flatnonzero((y_raw != np.round(y_raw)) | (y_raw < 0) | (y_raw > MAX_LABEL))
        if bad.size:
            row = int(bad[0])
            raise DatasetError(
                f"labels must be integers in [0, {MAX_LABEL}], but row {row} is {y_raw[row]}"
            )

        sizes = np.asarray(group_sizes)
        if sizes.ndim != 1 or sizes.size == 0:
            raise DatasetError("group_sizes must be a non-empty 1-D sequence of positive integers")
        if not np.issubdtype(sizes.dtype, np.integer):
            raise DatasetError(f"group_sizes must be integers, but have dtype {sizes.dtype}")
        sizes = sizes.astype(np.int64)
        if (sizes <= 0).any():
            query = int(np.flatnonzero(sizes <= 0)[0])
            raise DatasetError(
                f"group_sizes must be positive, but query {query} has size {int(sizes[query])}"
            )
        if int(sizes.sum()) != n_rows:
            raise DatasetError(
                f"group_sizes must sum to the number of rows ({n_rows}), "
                f"but sum to {int(sizes.sum())}"
            )

        names = (
            tuple(f"f{i}" for i in range(n_features))
            if feature_names is None
            else tuple(feature_names)
        )
        if len(names) != n_features:
            raise DatasetError(
                f"feature_names must name each of the {n_features} features, "
                f"but {len(names)} names are given"
            )
        if len(set(names)) != len(names):
            raise DatasetError("feature_names must be unique")

        pos: NDArray[np.int32] | None = None
        if positions is not None:
            pos_raw = np.asarray(positions)
            if pos_raw.shape != (n_rows,):
                raise DatasetError(
                    f"positions must have one value per row ({n_rows}), "
                    f"but have shape {pos_raw.shape}"
                )
            if not np.issubdtype(pos_raw.dtype, np.integer):
                raise DatasetError(f"positions must be integers, but have dtype {pos_raw.dtype}")
            if (pos_raw < 0).any():
                raise DatasetError("positions must be non-negative (0 = top of the list)")
            pos = pos_raw.astype(np.int32)

        w: NDArray[np.float32] | None = None
        if weights is not None:
            w = np.asarray(weights, dtype=np.float32)
            if w.shape != (n_rows,):
                raise DatasetError(
                    f"weights must have one value per row ({n_rows}), but have shape {w.shape}"
                )
            if not np.isfinite(w).all() or (w < 0).any():
                raise DatasetError("weights must be finite and non-negative")

        times: NDArray[np.float64] | None = None
        if query_times is not None:
            times = np.asarray(query_times, dtype=np.float64)
            if times.shape != (sizes.size,):
                raise DatasetError(
                    f"query_times must have one value per query ({sizes.size}), "
                    f"but have shape {times.shape}"
                )
            if not np.isfinite(times).all():
                raise DatasetError("query_times must be finite")

        self.features = x
        self.labels = y_raw.astype(np.int32)
        self.group_sizes = sizes
        self.feature_names = names
        self.positions = pos
        self.weights = w
        self.query_times = times
        self._offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)

    @classmethod
    def from_query_ids(
        cls,
        features: ArrayLike,
        labels: ArrayLike,
        query_ids: ArrayLike,
        *,
        feature_names: Sequence[str] | None = None,
        positions: ArrayLike | None = None,
        weights: ArrayLike | None = None,
        query_times: ArrayLike | None = None,
    ) -> RankingDataset:
        """Build a dataset from a query-id column; rows of one query must be consecutive."""
        qids = np.asarray(query_ids)
        if qids.ndim != 1 or qids.size == 0:
            raise DatasetError("query_ids must be a non-empty 1-D sequence")
        starts = np.flatnonzero(np.concatenate(([True], qids[1:] != qids[:-1])))
        if np.unique(qids).size != starts.size:
            raise DatasetError("query_ids must keep the rows of each query consecutive")
        sizes = np.diff(np.concatenate((starts, [qids.size])))
        return cls(
            features,
            labels,
            sizes,
            feature_names=feature_names,
            positions=positions,
            weights=weights,
            query_times=query_times,
        )

    @property
    def n_rows(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])

    @property
    def n_queries(self) -> int:
        return int(self.group_sizes.size)

    @property
    def query_offsets(self) -> NDArray[np.int64]:
        """Row offset where each query starts, plus the total row count at the end."""
        return self._offsets

    def query_ids(self) -> NDArray[np.int64]:
        """The query index (0-based, in row order) of every row."""
        return np.repeat(np.arange(self.n_queries, dtype=np.int64), self.group_sizes)

    def select_queries(self, queries: ArrayLike) -> RankingDataset:
        """A new dataset with the given queries (by index), in the given order."""
        idx = np.asarray(queries, dtype=np.int64)
        if idx.ndim != 1 or idx.size == 0:
            raise DatasetError("select_queries needs a non-empty 1-D list of query indices")
        if (idx < 0).any() or (idx >= self.n_queries).any():
            raise DatasetError(f"query indices must be in [0, {self.n_queries})")
        rows = np.concatenate(
            [np.arange(self._offsets[q], self._offsets[q + 1], dtype=np.int64) for q in idx]
        )
        return RankingDataset(
            self.features[rows],
            self.labels[rows],
            self.group_sizes[idx],
            feature_names=self.feature_names,
            positions=None if self.positions is None else self.positions[rows],
            weights=None if self.weights is None else self.weights[rows],
            query_times=None if self.query_times is None else self.query_times[idx],
        )
