"""Loading LETOR-style data in LightGBM's ranking layout into a :class:`RankingDataset`.

The data file has SVMlight lines, ``label idx:value idx:value ...`` (1-based feature indices,
absent features are zero), without ``qid:``; a companion ``.query`` file gives the number of
consecutive rows of each query, one integer per line (LightGBM's "group" file). This is the
layout of LightGBM's LambdaRank example (``examples/lambdarank/rank.train`` and
``rank.train.query``), kept in ``evaluation/datasets/letor_lightgbm_lambdarank/``.

Parsing is delegated to scikit-learn's ``load_svmlight_file``. Query times are the query's
index in the file, so :func:`ranker.train.split_by_time` holds out the last queries in file
order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_svmlight_file  # type: ignore[import-untyped]

from ranker.dataset import DatasetError, RankingDataset

LIGHTGBM_LAMBDARANK_DIR = (
    Path(__file__).resolve().parent.parent / "evaluation" / "datasets" / "letor_lightgbm_lambdarank"
)
"""LightGBM's LambdaRank example data as kept in this repository (see its SOURCE.md)."""
LIGHTGBM_LAMBDARANK_FEATURES = 300
"""Feature indices of that data run from 1 to 300."""


def read_group_file(path: str | Path) -> list[int]:
    """Group sizes from a ``.query`` file: one positive integer per line, blank lines ignored."""
    path = Path(path)
    sizes: list[int] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        try:
            size = int(text)
        except ValueError:
            raise DatasetError(f"{path}:{number}: expected a group size, got {text!r}") from None
        if size <= 0:
            raise DatasetError(f"{path}:{number}: group size must be positive, got {size}")
        sizes.append(size)
    if not sizes:
        raise DatasetError(f"{path}: no group sizes")
    return sizes


def load_svmlight_ranking(
    data_path: str | Path,
    query_path: str | Path,
    *,
    n_features: int | None = None,
) -> RankingDataset:
    """Read an SVMlight data file and its group file into a dense dataset.

    ``n_features`` fixes the width (needed so a train and a test file agree); by default it is
    the highest feature index seen. Feature ``k`` of the file is column ``k - 1``, named
    ``f{k}``.
    """
    data_path = Path(data_path)
    try:
        sparse, labels = load_svmlight_file(
            str(data_path), n_features=n_features, zero_based=False, dtype=np.float32
        )
    except ValueError as exc:
        raise DatasetError(f"{data_path}: {exc}") from exc
    features = np.asarray(sparse.toarray(), dtype=np.float32)
    sizes = read_group_file(query_path)
    try:
        return RankingDataset(
            features,
            labels,
            np.asarray(sizes, dtype=np.int64),
            feature_names=[f"f{k}" for k in range(1, features.shape[1] + 1)],
            query_times=np.arange(len(sizes), dtype=np.float64),
        )
    except DatasetError as exc:
        raise DatasetError(f"{data_path} with {query_path}: {exc}") from exc


def load_lightgbm_lambdarank(
    directory: str | Path = LIGHTGBM_LAMBDARANK_DIR,
) -> tuple[RankingDataset, RankingDataset]:
    """LightGBM's LambdaRank example as (train, test): 201 and 50 queries, 300 features."""
    directory = Path(directory)
    train, test = (
        load_svmlight_ranking(
            directory / f"rank.{split}.txt",
            directory / f"rank.{split}.query.txt",
            n_features=LIGHTGBM_LAMBDARANK_FEATURES,
        )
        for split in ("train", "test")
    )
    return train, test
