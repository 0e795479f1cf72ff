"""A small LambdaMART model over a feature spec, for tests that need a real model to register."""

from __future__ import annotations

import numpy as np

from ranker.dataset import RankingDataset
from ranker.feature_spec import FeatureSpec
from ranker.train import TrainConfig, TrainedModel, split_by_time, train_lambdamart


def tiny_model(spec: FeatureSpec, seed: int) -> TrainedModel:
    """Five trees on random features of ``spec``, graded by its first column."""
    rng = np.random.default_rng(seed)
    n_queries, n_docs = 40, 8
    features = rng.uniform(size=(n_queries * n_docs, len(spec))).astype(np.float32)
    labels = np.clip(np.floor(4 * features[:, 0]), 0, 4).astype(np.int32)
    data = RankingDataset(features, labels, np.full(n_queries, n_docs), feature_names=spec.names)
    train, valid = split_by_time(data, valid_fraction=0.25)
    config = TrainConfig(n_estimators=5, early_stopping_rounds=3, num_leaves=4, eval_at=(3,))
    return train_lambdamart(train, valid, config)
