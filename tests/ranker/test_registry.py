"""The model registry: versions, save→load fidelity, activation and rollback, on both stores.

Every behavioural test runs against the file store and the Redis store (a real server), so
the two stay congruent.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from ranker.dataset import RankingDataset
from ranker.feature_spec import FeatureSpec, FeatureSpecMismatch
from ranker.registry import (
    ACTIVE_FILE,
    HISTORY_LIMIT,
    SPEC_FILE,
    VERSION_FILE,
    ActiveState,
    DataSpan,
    FileRegistryStore,
    ModelRegistry,
    ModelVersionExists,
    NothingToRollBack,
    RedisRegistryStore,
    UnknownModelVersion,
    open_registry,
)
from ranker.train import METADATA_FILE, MODEL_FILE, TrainConfig, TrainedModel, train_lambdamart

SPEC = FeatureSpec.for_strategies(["bm25", "dense"])
SPAN = DataSpan(
    source="synthetic", searches=40, rows=400, first_search_at=1.7e9, last_search_at=1.7e9 + 60
)
T0 = 1_795_000_000.0  # 2026-11-18 (UTC)


def _dataset(seed: int, n_queries: int = 40, n_docs: int = 10) -> RankingDataset:
    rng = np.random.default_rng(seed)
    features = rng.uniform(size=(n_queries * n_docs, len(SPEC))).astype(np.float32)
    labels = np.clip(np.floor(4 * features[:, seed % len(SPEC)]), 0, 4).astype(np.int32)
    return RankingDataset(features, labels, np.full(n_queries, n_docs), feature_names=SPEC.names)


def _train(seed: int) -> TrainedModel:
    config = TrainConfig(n_estimators=5, early_stopping_rounds=None, num_leaves=4, seed=seed)
    return train_lambdamart(_dataset(seed), None, config)


@pytest.fixture(scope="module")
def models() -> list[TrainedModel]:
    """Three different small models trained on SPEC's columns."""
    return [_train(seed) for seed in (1, 2, 3)]


class Clock:
    """A clock that advances ten seconds per reading, so versions sort by registration."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        self.now += 10.0
        return self.now


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.integration)])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ModelRegistry]:
    """An empty registry on each store; Redis keys live under a prefix of this test only."""
    if request.param == "files":
        with ModelRegistry(FileRegistryStore(tmp_path / "ranker"), clock=Clock()) as files:
            yield files
        return
    client: redis.Redis = request.getfixturevalue("redis_client")
    prefix = f"ltrr:test:{uuid.uuid4().hex}:"
    with ModelRegistry(RedisRegistryStore(client, prefix), clock=Clock()) as shared:
        yield shared
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


# -- registration ------------------------------------------------------------------------


def test_register_records_what_the_model_was_trained_on(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    record = registry.register(models[0], SPEC, trained_on=SPAN, notes="first model")
    assert record.version.startswith("20261118T")
    stamp, digest = record.version.split("-")
    assert len(stamp) == len("20261118T000000")
    assert len(digest) == 6
    assert int(digest, 16) >= 0
    assert record.feature_spec_version == SPEC.version
    assert record.trained_on == SPAN
    assert record.metrics == models[0].valid_metrics
    assert record.params == TrainConfig.model_validate(record.params).model_dump(mode="json")
    assert record.params["n_estimators"] == 5
    assert record.notes == "first model"
    assert registry.get(record.version) == record
    assert registry.active() is None, "registering does not activate"


def test_list_is_newest_first(registry: ModelRegistry, models: list[TrainedModel]) -> None:
    versions = [registry.register(m, SPEC, trained_on=SPAN).version for m in models]
    assert [r.version for r in registry.list()] == versions[::-1]
    assert sorted(versions) == versions, "version names sort by creation"
    assert len({v.split("-")[1] for v in versions}) == 3, "different models, different hashes"


def test_save_register_load_gives_identical_predictions(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    model = models[1]
    record = registry.register(model, SPEC, trained_on=SPAN)
    loaded = registry.load(record.version, expected_spec=SPEC)
    features = _dataset(seed=99, n_queries=5).features
    np.testing.assert_array_equal(loaded.model.predict(features), model.predict(features))
    np.testing.assert_array_equal(
        loaded.model.contributions(features), model.contributions(features)
    )
    assert loaded.version == record
    assert (loaded.spec.version, loaded.spec.names) == (SPEC.version, SPEC.names)
    assert loaded.model.feature_names == SPEC.names
    assert loaded.model.best_iteration == model.best_iteration
    assert loaded.model.config == model.config


def test_register_refuses_a_model_of_other_features(models: list[TrainedModel]) -> None:
    registry = ModelRegistry(FileRegistryStore(Path("/nonexistent/never-written")))
    other = FeatureSpec.for_strategies(["bm25", "dense", "memory"])
    with pytest.raises(ValueError, match=r"missing from the model: found_memory, rank_memory"):
        registry.register(models[0], other, trained_on=SPAN)
    reordered = FeatureSpec.for_strategies(["dense", "bm25"])
    with pytest.raises(ValueError, match="same features in another order"):
        registry.register(models[0], reordered, trained_on=SPAN)


def test_the_same_model_registered_twice_in_a_second_is_refused(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    frozen = ModelRegistry(registry.store, clock=lambda: T0)
    frozen.register(models[0], SPEC, trained_on=SPAN)
    with pytest.raises(ModelVersionExists, match="already registered"):
        frozen.register(models[0], SPEC, trained_on=SPAN)
    assert [r.notes for r in registry.list()] == [""]
    # the same booster from other training data (or with other notes) is another version
    other = frozen.register(models[0], SPEC, trained_on=SPAN, notes="again")
    assert other.version != registry.list()[-1].version


@pytest.mark.parametrize(
    ("span", "match"),
    [
        ({"source": ""}, "source"),
        ({"source": "feedback", "searches": -1}, "searches"),
        ({"source": "feedback", "rows": -5}, "rows"),
        (
            {"source": "feedback", "first_search_at": 10.0, "last_search_at": 5.0},
            "last_search_at must not precede first_search_at, but 5.0 < 10.0",
        ),
    ],
)
def test_invalid_data_spans_are_rejected(span: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DataSpan.model_validate(span)


# -- unknown versions and spec mismatch --------------------------------------------------


def test_unknown_version_lists_the_registered_ones(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    with pytest.raises(UnknownModelVersion, match="no model version is registered"):
        registry.get("20260101T000000-abcdef")
    versions = [registry.register(m, SPEC, trained_on=SPAN).version for m in models[:2]]
    expected = f"unknown model version 'nope'; registered: {versions[1]}, {versions[0]}"
    for call in (registry.get, registry.load, registry.activate):
        with pytest.raises(UnknownModelVersion) as caught:
            call("nope")
        assert str(caught.value) == expected
        assert isinstance(caught.value, KeyError)
    with pytest.raises(UnknownModelVersion, match=r"unknown model version '\.\./\.\./etc'"):
        registry.load("../../etc")


def test_spec_mismatch_names_the_version_and_the_features(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    version = registry.register(models[0], SPEC, trained_on=SPAN).version
    service_spec = FeatureSpec.for_strategies(["bm25", "dense", "memory"])
    with pytest.raises(FeatureSpecMismatch) as caught:
        registry.load(version, expected_spec=service_spec)
    message = str(caught.value)
    assert message.startswith(f"model version {version} was trained on other features: ")
    assert f"expected {service_spec.version}" in message
    assert f"got {SPEC.version}" in message
    assert "missing: found_memory, rank_memory, score_memory, score_norm_memory, depth_memory" in (
        message
    )
    with pytest.raises(FeatureSpecMismatch, match=f"model version {version} was trained"):
        registry.activate(version, expected_spec=service_spec)
    assert registry.active() is None, "a refused model is not activated"


# -- activation and rollback -------------------------------------------------------------


def test_activate_and_roll_back_walk_the_history(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a, b, c = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    assert registry.active_token() is None
    with pytest.raises(NothingToRollBack, match="no model was ever activated"):
        registry.rollback()

    first = registry.activate(a)
    assert first is not None
    assert (first.version, first.previous, first.action) == (a, None, "activate")
    assert registry.state().rollback_to == (None,), "the first activation can return to RRF"
    second = registry.activate(b, expected_spec=SPEC)
    assert second is not None
    assert second.previous == a
    registry.activate(c)
    assert registry.active() == c
    assert registry.rollback_target() == b
    assert registry.state().rollback_to == (None, a, b)

    assert registry.rollback(expected_spec=SPEC) == b
    assert registry.rollback() == a, "a second rollback goes further back"
    assert registry.active() == a
    assert registry.rollback() is None, "rolling back the first activation returns to RRF"
    assert registry.active() is None
    assert registry.state().rollback_to == ()
    with pytest.raises(NothingToRollBack) as caught:
        registry.rollback()
    assert str(caught.value) == (
        "nothing to roll back to: nothing served before RRF (no model) is kept"
    )

    history = registry.history()
    assert [(h.action, h.version, h.previous) for h in history] == [
        ("rollback", None, a),
        ("rollback", a, b),
        ("rollback", b, c),
        ("activate", c, b),
        ("activate", b, a),
        ("activate", a, None),
    ]
    assert [h.at for h in history] == sorted((h.at for h in history), reverse=True)


def test_deactivate_serves_rrf_and_rollback_reactivates_the_model(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a, b, _ = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    assert registry.deactivate() is None, "nothing active: nothing to deactivate"
    assert registry.state() == ActiveState()
    assert registry.active_token() is None

    registry.activate(a)
    registry.activate(b)
    change = registry.deactivate()
    assert change is not None
    assert (change.action, change.version, change.previous) == ("deactivate", None, b)
    assert registry.active() is None
    assert registry.active_token() == "rrf:3"
    assert registry.state().rollback_to == (None, a, b)
    assert registry.rollback_target() == b

    assert registry.deactivate() is None, "already RRF: no change"
    assert registry.active_token() == "rrf:3"
    assert len(registry.history()) == 3

    other = FeatureSpec.for_strategies(["bm25"])
    with pytest.raises(FeatureSpecMismatch, match=f"model version {b} was trained on other"):
        registry.rollback(expected_spec=other)
    assert registry.active_token() == "rrf:3", "a refused rollback leaves RRF serving"

    assert registry.rollback(expected_spec=SPEC) == b, "rollback re-activates the model"
    assert registry.active() == b
    assert registry.active_token() == f"{b}:4"
    assert registry.state().rollback_to == (None, a)
    assert [(h.action, h.version, h.previous) for h in registry.history()] == [
        ("rollback", b, None),
        ("deactivate", None, b),
        ("activate", b, a),
        ("activate", a, None),
    ]


def test_activating_after_deactivation_can_roll_back_to_rrf(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a, b, _ = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    registry.activate(a)
    registry.deactivate()
    registry.activate(b)
    assert registry.state().rollback_to == (None, a, None)
    assert registry.rollback() is None
    assert registry.active_token() == "rrf:4"
    assert registry.rollback() == a
    assert registry.rollback() is None
    assert registry.active_token() == "rrf:6"


def test_rolling_back_to_rrf_needs_no_spec_check(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a = registry.register(models[0], SPEC, trained_on=SPAN).version
    registry.activate(a)
    other = FeatureSpec.for_strategies(["bm25"])
    assert registry.rollback(expected_spec=other) is None
    assert registry.active() is None
    assert registry.active_token() == "rrf:2"
    [last, *_] = registry.history()
    assert (last.action, last.version, last.previous) == ("rollback", None, a)


def test_activating_the_active_version_changes_nothing(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a = registry.register(models[0], SPEC, trained_on=SPAN).version
    registry.activate(a)
    token = registry.active_token()
    assert registry.activate(a) is None
    assert registry.active_token() == token
    assert len(registry.history()) == 1


def test_active_token_changes_with_every_activation(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a, b, _ = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    tokens = [registry.active_token()]
    steps = (
        lambda: registry.activate(a),
        lambda: registry.activate(b),
        registry.rollback,
        registry.deactivate,
        registry.rollback,
        registry.rollback,
    )
    for step in steps:
        step()
        tokens.append(registry.active_token())
    assert tokens == [None, f"{a}:1", f"{b}:2", f"{a}:3", "rrf:4", f"{a}:5", "rrf:6"]
    registry.activate(b)
    assert registry.active_token() == f"{b}:7", "a version served before, still a new token"


def test_rollback_refuses_a_previous_model_of_other_features(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a, b, _ = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    registry.activate(a)
    registry.activate(b)
    other = FeatureSpec.for_strategies(["bm25"])
    with pytest.raises(FeatureSpecMismatch, match=f"model version {a} was trained on other"):
        registry.rollback(expected_spec=other)
    assert registry.active_token() == f"{b}:2", "the pointer is left as it was"


def test_history_and_rollback_stack_are_bounded(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    a, b, _ = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    for _ in range(HISTORY_LIMIT // 2 + 5):
        registry.activate(a)
        registry.activate(b)
    state = registry.state()
    assert len(state.history) == HISTORY_LIMIT
    assert len(state.rollback_to) == HISTORY_LIMIT
    assert state.serial == HISTORY_LIMIT + 10


def test_two_registries_on_one_store_see_the_same_pointer(
    registry: ModelRegistry, models: list[TrainedModel]
) -> None:
    """A second replica on the same store sees versions and activations of the first."""
    replica = ModelRegistry(registry.store)
    a = registry.register(models[0], SPEC, trained_on=SPAN).version
    assert [r.version for r in replica.list()] == [a]
    replica.activate(a)
    assert registry.active() == a
    assert registry.active_token() == replica.active_token()


# -- the file store ----------------------------------------------------------------------


def test_file_store_layout(tmp_path: Path, models: list[TrainedModel]) -> None:
    registry = ModelRegistry(FileRegistryStore(tmp_path), clock=Clock())
    record = registry.register(models[0], SPEC, trained_on=SPAN)
    registry.activate(record.version)
    directory = tmp_path / record.version
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [METADATA_FILE, MODEL_FILE, SPEC_FILE, VERSION_FILE]
    )
    assert json.loads((directory / SPEC_FILE).read_text()) == SPEC.to_dict()
    loaded = TrainedModel.load(directory)
    features = _dataset(seed=7, n_queries=2).features
    np.testing.assert_array_equal(loaded.predict(features), models[0].predict(features))
    state = ActiveState.model_validate_json((tmp_path / ACTIVE_FILE).read_text())
    assert state.version == record.version
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".incoming", ".active-"))]


def test_file_pointer_is_replaced_atomically(
    tmp_path: Path, models: list[TrainedModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash while writing the pointer leaves the previous pointer whole, and no debris."""
    registry = ModelRegistry(FileRegistryStore(tmp_path), clock=Clock())
    a, b, _ = (registry.register(m, SPEC, trained_on=SPAN).version for m in models)
    registry.activate(a)
    before = (tmp_path / ACTIVE_FILE).read_bytes()
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        replaced.append((str(src), str(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        registry.activate(b)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (tmp_path / ACTIVE_FILE).read_bytes() == before
    assert registry.active() == a
    [(src, dst)] = replaced
    assert Path(src).parent == tmp_path
    assert Path(src).name.startswith(".active-")
    assert dst == str(tmp_path / ACTIVE_FILE)
    assert not Path(src).exists(), "the temporary pointer is removed"
    registry.activate(b)
    assert registry.active() == b


LEGACY_HISTORY = [
    {"version": "20261118T000010-aaaaaa", "previous": None, "at": T0 + 10, "action": "activate"},
    {
        "version": "20261118T000020-bbbbbb",
        "previous": "20261118T000010-aaaaaa",
        "at": T0 + 20,
        "action": "activate",
    },
    {
        "version": "20261118T000030-cccccc",
        "previous": "20261118T000020-bbbbbb",
        "at": T0 + 30,
        "action": "activate",
    },
    {
        "version": "20261118T000020-bbbbbb",
        "previous": "20261118T000030-cccccc",
        "at": T0 + 40,
        "action": "rollback",
    },
]
"""What the registry kept before deactivation existed: a then b then c, rolled back to b."""


def _check_legacy_state(registry: ModelRegistry) -> None:
    """The legacy pointer loads as written, and the new operations work on top of it."""
    a, b = "20261118T000010-aaaaaa", "20261118T000020-bbbbbb"
    state = registry.state()
    assert (state.version, state.serial, state.rollback_to) == (b, 4, (a,))
    assert [h.model_dump() for h in state.history] == LEGACY_HISTORY
    assert registry.active_token() == f"{b}:4", "the token a running replica holds is unchanged"
    change = registry.deactivate()
    assert change is not None
    assert (change.version, change.previous) == (None, b)
    assert registry.state().rollback_to == (a, b)
    assert registry.active_token() == "rrf:5"
    assert registry.rollback() == b
    assert registry.rollback() == a
    with pytest.raises(NothingToRollBack, match=f"nothing served before {a} is kept"):
        registry.rollback()


def test_file_store_loads_a_pointer_written_before_deactivation(tmp_path: Path) -> None:
    (tmp_path / ACTIVE_FILE).write_text(
        json.dumps(
            {
                "version": "20261118T000020-bbbbbb",
                "serial": 4,
                "rollback_to": ["20261118T000010-aaaaaa"],
                "history": LEGACY_HISTORY,
            }
        )
    )
    registry = ModelRegistry(FileRegistryStore(tmp_path), clock=Clock())
    _check_legacy_state(registry)
    written = json.loads((tmp_path / ACTIVE_FILE).read_text())
    assert written["version"] == "20261118T000010-aaaaaa"
    assert written["rollback_to"] == []
    assert written["history"][-3]["action"] == "deactivate"
    assert written["history"][-3]["version"] is None


@pytest.mark.integration
def test_redis_store_loads_a_pointer_written_before_deactivation(
    redis_client: redis.Redis,
) -> None:
    prefix = f"ltrr:test:{uuid.uuid4().hex}:"
    redis_client.set(f"{prefix}active", "20261118T000020-bbbbbb")
    redis_client.set(f"{prefix}serial", 4)
    redis_client.rpush(f"{prefix}rollback", "20261118T000010-aaaaaa")
    redis_client.rpush(f"{prefix}history", *(json.dumps(h) for h in LEGACY_HISTORY))
    registry = ModelRegistry(RedisRegistryStore(redis_client, prefix), clock=Clock())
    _check_legacy_state(registry)
    assert redis_client.get(f"{prefix}active") == b"20261118T000010-aaaaaa"
    assert redis_client.exists(f"{prefix}rollback") == 0
    registry.deactivate()
    assert redis_client.get(f"{prefix}active") is None
    assert redis_client.lrange(f"{prefix}rollback", 0, -1) == [b"20261118T000010-aaaaaa"]
    redis_client.delete(*redis_client.scan_iter(match=f"{prefix}*"))


def test_a_half_written_version_is_invisible(tmp_path: Path, models: list[TrainedModel]) -> None:
    registry = ModelRegistry(FileRegistryStore(tmp_path), clock=Clock())
    (tmp_path / ".incoming-20260101T000000-abcdef-x1").mkdir(parents=True)
    (tmp_path / "20260101T000000-abcdef").mkdir()  # no version.json: never completed
    assert registry.list() == []
    record = registry.register(models[0], SPEC, trained_on=SPAN)
    assert [r.version for r in registry.list()] == [record.version]


# -- the Redis store ---------------------------------------------------------------------


@pytest.mark.integration
def test_redis_store_keys_and_loading_without_files(
    redis_client: redis.Redis,
    models: list[TrainedModel],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = f"ltrr:test:{uuid.uuid4().hex}:"
    writer = ModelRegistry(RedisRegistryStore(redis_client, prefix), clock=Clock())
    record = writer.register(models[2], SPEC, trained_on=SPAN)
    writer.activate(record.version)
    keys = {k.decode() for k in redis_client.scan_iter(match=f"{prefix}*")}
    assert keys == {
        f"{prefix}version:{record.version}",
        f"{prefix}versions",
        f"{prefix}active",
        f"{prefix}serial",
        f"{prefix}rollback",
        f"{prefix}history",
    }
    assert redis_client.get(f"{prefix}active") == record.version.encode()
    assert redis_client.lrange(f"{prefix}rollback", 0, -1) == [b""], "RRF is kept as ''"
    fields = redis_client.hkeys(f"{prefix}version:{record.version}")
    assert sorted(fields) == [b"file:metadata.json", b"file:model.txt", b"record", b"spec"]

    # Another replica, in another working directory, on a client that decodes replies.
    monkeypatch.chdir(tmp_path)
    url = redis_client.connection_pool.connection_kwargs
    decoding = redis.Redis(host=url["host"], port=url["port"], db=url["db"], decode_responses=True)
    with ModelRegistry(RedisRegistryStore(decoding, prefix)) as reader:
        loaded = reader.load(record.version, expected_spec=SPEC)
        assert reader.active_token() == f"{record.version}:1"
    decoding.close()
    features = _dataset(seed=5, n_queries=3).features
    np.testing.assert_array_equal(loaded.model.predict(features), models[2].predict(features))
    assert list(tmp_path.iterdir()) == []
    redis_client.delete(*keys)


@pytest.mark.integration
def test_open_registry_picks_the_store(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with open_registry(tmp_path, None) as files:
        assert isinstance(files.store, FileRegistryStore)
        assert files.store.root == tmp_path / "ranker"
    with open_registry(tmp_path, redis_url) as shared:
        assert isinstance(shared.store, RedisRegistryStore)
        assert shared.store.prefix == "ltrr:ranker:"
        assert shared.list() == []
    assert not (tmp_path / "ranker").exists(), "nothing is written by opening"
