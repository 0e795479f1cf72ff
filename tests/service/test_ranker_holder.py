"""Replicas follow the registry's active model through a shared Redis, and refuse bad ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from ranker.dataset import RankingDataset
from ranker.feature_spec import FeatureSpec
from ranker.registry import (
    DataSpan,
    FileRegistryStore,
    ModelRegistry,
    NothingToRollBack,
    RedisRegistryStore,
    RegistryStore,
)
from ranker.train import TrainConfig, TrainedModel, train_lambdamart
from service.metrics import Metrics
from service.ranking import RankerHolder

SPEC = FeatureSpec.for_strategies(["bm25", "dense"])


def _model(spec: FeatureSpec, seed: int) -> TrainedModel:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, len(spec))).astype(np.float32)
    labels = (x[:, 0] > 0.5).astype(int) + (x[:, 1] > 1.0).astype(int)
    data = RankingDataset(x, labels, [10] * 20, feature_names=spec.names)
    config = TrainConfig(n_estimators=5, min_data_in_leaf=5, early_stopping_rounds=None)
    return train_lambdamart(data, None, config)


@pytest.mark.integration
def test_two_replicas_follow_one_activation(redis_client: redis.Redis) -> None:
    operator = ModelRegistry(RedisRegistryStore(redis_client))
    replicas = [
        RankerHolder(ModelRegistry(RedisRegistryStore(redis_client)), SPEC, Metrics())
        for _ in range(2)
    ]
    assert not any(holder.refresh() for holder in replicas)  # nothing active yet
    first = operator.register(_model(SPEC, 1), SPEC, trained_on=DataSpan(source="test"))
    operator.activate(first.version)
    assert all(holder.refresh() for holder in replicas)
    assert {h.ranker.version for h in replicas if h.ranker is not None} == {first.version}

    x = np.random.default_rng(3).normal(size=(30, len(SPEC))).astype(np.float32)
    scores = [h.ranker.score(x) for h in replicas if h.ranker is not None]
    np.testing.assert_array_equal(scores[0], scores[1])
    np.testing.assert_array_equal(scores[0], operator.load(first.version).model.predict(x))

    second = operator.register(_model(SPEC, 2), SPEC, trained_on=DataSpan(source="test"))
    operator.activate(second.version)
    assert all(holder.refresh() for holder in replicas)
    assert not any(holder.refresh() for holder in replicas)  # unchanged token: no reload
    operator.rollback()
    assert all(holder.refresh() for holder in replicas)
    assert {h.ranker.version for h in replicas if h.ranker is not None} == {first.version}


@pytest.mark.integration
def test_a_model_of_other_features_is_refused_and_the_old_one_kept(
    redis_client: redis.Redis,
) -> None:
    registry = ModelRegistry(RedisRegistryStore(redis_client))
    metrics = Metrics()
    holder = RankerHolder(registry, SPEC, metrics)
    good = registry.register(_model(SPEC, 1), SPEC, trained_on=DataSpan(source="test"))
    registry.activate(good.version)
    assert holder.refresh()
    other_spec = FeatureSpec.for_strategies(["bm25"])
    other = registry.register(_model(other_spec, 2), other_spec, trained_on=DataSpan(source="test"))
    registry.activate(other.version)  # no expected spec given: the registry lets it through
    assert not holder.refresh()
    assert holder.ranker is not None
    assert holder.ranker.version == good.version
    assert holder.error is not None
    assert "other features" in holder.error
    sample = metrics.registry.get_sample_value("ltrr_ranker_reloads_total", {"outcome": "refused"})
    assert sample == 1.0


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RegistryStore]:
    """An empty registry store of each kind (Redis keys under a prefix of this test only)."""
    if request.param == "files":
        yield FileRegistryStore(tmp_path / "ranker")
        return
    client: redis.Redis = request.getfixturevalue("redis_client")
    yield RedisRegistryStore(client, f"ltrr:test:{uuid.uuid4().hex}:")


def _gauge(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("ltrr_ranker_active")


def test_replicas_return_to_rrf_on_rollback_of_the_first_model_and_on_deactivate(
    store: RegistryStore,
) -> None:
    operator = ModelRegistry(store)
    metrics = Metrics()
    holder = RankerHolder(ModelRegistry(store), SPEC, metrics)
    model = operator.register(_model(SPEC, 1), SPEC, trained_on=DataSpan(source="test"))
    operator.activate(model.version)
    assert holder.refresh()
    assert holder.ranker is not None
    assert holder.ranker.version == model.version
    assert _gauge(metrics) == 1.0

    assert operator.rollback() is None  # the first activation: back to RRF
    assert holder.refresh(), "the return to RRF is a change the replica follows"
    assert holder.ranker is None
    assert holder.error is None
    assert _gauge(metrics) == 0.0
    assert not holder.refresh()
    with pytest.raises(NothingToRollBack):
        operator.rollback()

    operator.activate(model.version)
    assert holder.refresh()
    assert holder.ranker is not None
    change = operator.deactivate()
    assert change is not None
    assert change.previous == model.version
    assert holder.refresh()
    assert holder.ranker is None
    assert _gauge(metrics) == 0.0

    assert operator.rollback() == model.version  # undoes the deactivation
    assert holder.refresh()
    assert holder.ranker is not None
    assert holder.ranker.version == model.version
    assert _gauge(metrics) == 1.0
    loaded = metrics.registry.get_sample_value("ltrr_ranker_reloads_total", {"outcome": "loaded"})
    assert loaded == 5.0, "activate, rollback to RRF, activate, deactivate, rollback"
