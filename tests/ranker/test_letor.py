"""LambdaMART on LightGBM's LambdaRank example data, pinned to LightGBM's own quality bars.

Mirrors ``tests/python_package_test/test_sklearn.py::test_lambdarank`` in microsoft/LightGBM:
50 rounds, early stopping after 10 without improvement, NDCG@1 and NDCG@3 on ``rank.test``,
and the learning-rate schedule ``max(0.01, 0.1 - 0.01 * round)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from ranker.dataset import DatasetError, RankingDataset
from ranker.letor import load_lightgbm_lambdarank, load_svmlight_ranking, read_group_file
from ranker.train import TrainConfig, TrainedModel, train_lambdamart

LIGHTGBM_TEST_CONFIG = TrainConfig(
    n_estimators=50,
    early_stopping_rounds=10,
    eval_at=(1, 3),
    learning_rate=0.1,
    learning_rate_decay=0.01,
    min_learning_rate=0.01,
    seed=0,
    num_threads=1,
)


@pytest.fixture(scope="module")
def letor() -> tuple[RankingDataset, RankingDataset]:
    return load_lightgbm_lambdarank()


@pytest.fixture(scope="module")
def letor_model(letor: tuple[RankingDataset, RankingDataset]) -> TrainedModel:
    train, test = letor
    return train_lambdamart(train, test, LIGHTGBM_TEST_CONFIG)


@contextmanager
def _numba_warnings_silenced() -> Iterator[None]:
    """ranx compiles its metrics with numba, which warns about its internals; only those."""
    from numba.core.errors import NumbaWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=NumbaWarning)
        yield


def test_loads_lightgbm_lambdarank_example(letor: tuple[RankingDataset, RankingDataset]) -> None:
    train, test = letor
    assert (train.n_rows, train.n_queries, train.n_features) == (3005, 201, 300)
    assert (test.n_rows, test.n_queries, test.n_features) == (768, 50, 300)
    assert np.bincount(train.labels).tolist() == [645, 1211, 858, 222, 69]
    assert np.bincount(test.labels).tolist() == [206, 256, 252, 44, 10]
    assert train.feature_names[0] == "f1"
    assert train.feature_names[-1] == "f300"
    assert train.features.dtype == np.float32


def test_lambdamart_meets_lightgbm_bars(letor_model: TrainedModel) -> None:
    # LightGBM's bars for this data and schedule (test_sklearn.py::test_lambdarank).
    assert letor_model.best_iteration <= 24
    assert letor_model.valid_metrics["ndcg@1"] > 0.5674
    assert letor_model.valid_metrics["ndcg@3"] > 0.578


def test_ndcg_agrees_with_ranx(
    letor: tuple[RankingDataset, RankingDataset], letor_model: TrainedModel
) -> None:
    from ranx import Qrels, Run, evaluate

    _, test = letor
    scores = letor_model.predict(test.features)
    query_ids = test.query_ids()
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for row, (query, label, score) in enumerate(zip(query_ids, test.labels, scores, strict=True)):
        run.setdefault(f"q{query}", {})[f"d{row}"] = float(score)
        if label > 0:
            qrels.setdefault(f"q{query}", {})[f"d{row}"] = int(label)
    assert len(qrels) == test.n_queries  # every test query has a relevant row

    # LightGBM's NDCG uses the exponential gain 2**label - 1: ranx's "ndcg_burges".
    with _numba_warnings_silenced():
        ranx_scores = evaluate(Qrels(qrels), Run(run), ["ndcg_burges@1", "ndcg_burges@3"])
    assert ranx_scores["ndcg_burges@1"] == pytest.approx(
        letor_model.valid_metrics["ndcg@1"], abs=1e-9
    )
    assert ranx_scores["ndcg_burges@3"] == pytest.approx(
        letor_model.valid_metrics["ndcg@3"], abs=1e-9
    )
    assert ranx_scores["ndcg_burges@1"] > 0.5674
    assert ranx_scores["ndcg_burges@3"] > 0.578


@pytest.mark.parametrize(
    ("data", "groups", "match"),
    [
        ("1 1:0.5\nnot-a-label 2:1\n", "2\n", "could not|invalid|convert"),
        ("1 1:0.5\n0 2:1\n", "3\n", "sum to the number of rows"),
        ("1 1:0.5\n0 2:1\n", "1\nx\n", r"query\.txt:2: expected a group size"),
        ("1 1:0.5\n0 2:1\n", "2\n0\n", r"query\.txt:2: group size must be positive"),
        ("1 1:0.5\n0 2:1\n", "\n", "no group sizes"),
    ],
)
def test_malformed_files_are_rejected(tmp_path: Path, data: str, groups: str, match: str) -> None:
    data_path = tmp_path / "rank.txt"
    query_path = tmp_path / "rank.query.txt"
    data_path.write_text(data, encoding="utf-8")
    query_path.write_text(groups, encoding="utf-8")
    with pytest.raises(DatasetError, match=match):
        load_svmlight_ranking(data_path, query_path, n_features=2)


def test_read_group_file_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "g.query.txt"
    path.write_text("3\n\n2\n", encoding="utf-8")
    assert read_group_file(path) == [3, 2]
