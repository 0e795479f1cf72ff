"""The registry of the ranker's LightGBM models: immutable versions and one active pointer.

Every trained model is registered once as a *version*, ``"<UTC time>-<hash>"`` (e.g.
``"20261123T101500-3f2a9c"``: the registration time to the second, then six hex digits of
SHA-256 over the model's text and what it was trained on), so version names sort by
creation and two different models never share one. A version keeps the model exactly as
:meth:`ranker.train.TrainedModel.save` writes it, the
:class:`~ranker.feature_spec.FeatureSpec` it was trained on, and a record
(:class:`ModelVersion`) of what it was trained on, its offline metrics and its parameters.
Versions are never changed after registration.

At most one version at a time is *active*: the one the service scores with; without one,
RRF orders results. Activating a version, or deactivating the active one
(:meth:`ModelRegistry.deactivate`, back to RRF), pushes what was served before (a version, or
None for RRF) onto a rollback stack, so :meth:`ModelRegistry.rollback` returns to it, and
repeated rollbacks walk further back; rolling back the first activation returns to RRF. Every
change bumps a counter; :meth:`ModelRegistry.active_token` combines it with the active version
(``rrf`` without one), so a serving process can poll that small value and reload only when it
changes.

Two stores keep the same content (:class:`RegistryStore`, :mod:`ranker.registry_base`):

* :class:`FileRegistryStore` (:mod:`ranker.registry_files`): a directory per version under
  a root directory, and the pointer in ``active.json``, replaced atomically; for one host.
* :class:`RedisRegistryStore` (:mod:`ranker.registry_redis`): a hash per version, a sorted
  set of versions and the pointer in plain keys and lists; every replica sharing the Redis
  server sees the same models and the same active version, without a shared filesystem.
"""

from __future__ import annotations

import builtins
import hashlib
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from ranker.feature_spec import FeatureSpec, FeatureSpecMismatch
from ranker.registry_base import (
    HISTORY_LIMIT,
    KNOWN_VERSIONS_SHOWN,
    Action,
    Activation,
    ActiveState,
    DataSpan,
    ModelBundle,
    ModelVersion,
    ModelVersionExists,
    NothingToRollBack,
    RegistryError,
    RegistryStore,
    UnknownModelVersion,
    safe_name,
)
from ranker.registry_files import ACTIVE_FILE, SPEC_FILE, VERSION_FILE, FileRegistryStore
from ranker.registry_redis import RedisRegistryStore
from ranker.train import MODEL_FILE, TrainedModel


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A registered model, ready to score, with its record and feature spec."""

    version: ModelVersion
    model: TrainedModel
    spec: FeatureSpec


def _model_files(model: TrainedModel) -> dict[str, bytes]:
    """The files :meth:`TrainedModel.save` writes for ``model``, by name."""
    with tempfile.TemporaryDirectory(prefix="ltrr-model-") as directory:
        model.save(directory)
        return {p.name: p.read_bytes() for p in sorted(Path(directory).iterdir()) if p.is_file()}


def _model_from_files(files: Mapping[str, bytes]) -> TrainedModel:
    """Rebuild a model from its saved files (read from any store, no shared filesystem)."""
    with tempfile.TemporaryDirectory(prefix="ltrr-model-") as directory:
        for name, data in files.items():
            (Path(directory) / safe_name(name, "model file name")).write_bytes(data)
        return TrainedModel.load(directory)


def _feature_names_mismatch(model_names: tuple[str, ...], spec: FeatureSpec) -> str:
    parts = [
        f"the model's {len(model_names)} feature names do not match feature spec "
        f"{spec.version} ({len(spec)} features)"
    ]
    missing = [n for n in spec.names if n not in model_names]
    extra = [n for n in model_names if n not in spec.index]
    if missing:
        parts.append(f"missing from the model: {', '.join(missing)}")
    if extra:
        parts.append(f"not in the spec: {', '.join(extra)}")
    if not (missing or extra):
        parts.append("same features in another order")
    return "; ".join(parts)


class ModelRegistry:
    """Registered ranker models and the active one, over a :class:`RegistryStore`.

    ``clock`` gives registration and activation times (Unix seconds).
    """

    def __init__(self, store: RegistryStore, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    # -- versions ------------------------------------------------------------------------

    def register(
        self,
        model: TrainedModel,
        spec: FeatureSpec,
        *,
        trained_on: DataSpan,
        notes: str = "",
    ) -> ModelVersion:
        """Keep ``model``, trained on ``spec``'s columns, as a new version (not activated)."""
        if model.feature_names != spec.names:
            raise ValueError(_feature_names_mismatch(model.feature_names, spec))
        files = _model_files(model)
        created_at = self._clock()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(created_at))
        # The model and what it was trained on: one booster trained twice (e.g. with and
        # without a position-bias term that changed nothing) is two versions.
        hashed = hashlib.sha256(files[MODEL_FILE])
        hashed.update(trained_on.model_dump_json().encode())
        hashed.update(notes.encode())
        digest = hashed.hexdigest()[:6]
        record = ModelVersion(
            version=f"{stamp}-{digest}",
            created_at=created_at,
            feature_spec_version=spec.version,
            trained_on=trained_on,
            metrics=dict(model.valid_metrics),
            params={} if model.config is None else model.config.model_dump(mode="json"),
            notes=notes,
        )
        self.store.put(ModelBundle(record, spec.to_dict(), files))
        return record

    def list(self) -> builtins.list[ModelVersion]:
        """All versions, newest first."""
        return sorted(self.store.versions(), key=lambda v: (v.created_at, v.version), reverse=True)

    def get(self, version: str) -> ModelVersion:
        """The record of ``version``; :class:`UnknownModelVersion` if it is not registered."""
        records = self.list()
        for record in records:
            if record.version == version:
                return record
        raise self._unknown(version, records)

    def load(self, version: str, expected_spec: FeatureSpec | None = None) -> LoadedModel:
        """``version``'s model, ready to score.

        With ``expected_spec`` (the columns the caller will compute), a model trained on
        other columns raises :class:`FeatureSpecMismatch` naming the version and the
        differing features.
        """
        bundle = self.store.bundle(version)
        if bundle is None:
            raise self._unknown(version, self.list())
        spec = FeatureSpec.from_dict(bundle.spec)
        if expected_spec is not None:
            _require_spec(version, expected_spec, spec)
        model = _model_from_files(bundle.files)
        if model.feature_names != spec.names:
            raise FeatureSpecMismatch(
                f"model version {version} is damaged: "
                f"{_feature_names_mismatch(model.feature_names, spec)}"
            )
        return LoadedModel(version=bundle.record, model=model, spec=spec)

    # -- the active pointer --------------------------------------------------------------

    def activate(
        self, version: str, *, expected_spec: FeatureSpec | None = None
    ) -> Activation | None:
        """Make ``version`` the active model; None if it already was.

        What was served before goes onto the rollback stack: the previous version, or None
        (RRF) when no model was active, so rolling back the first activation returns to RRF.
        With ``expected_spec`` (the columns the service computes), a model trained on other
        columns is refused with :class:`FeatureSpecMismatch`.
        """
        record = self.get(version)
        if expected_spec is not None:
            self._check_spec(record, expected_spec)

        changed = False

        def change(state: ActiveState) -> ActiveState:
            nonlocal changed
            changed = state.version != version
            if not changed:
                return state
            stack = (*state.rollback_to, state.version)
            return self._moved(state, version, stack[-HISTORY_LIMIT:], "activate")

        new = self.store.update_state(change)
        return new.history[-1] if changed else None

    def deactivate(self) -> Activation | None:
        """Serve no model: RRF orders results; None if no model was active.

        The version that was active goes onto the rollback stack, so :meth:`rollback`
        re-activates it.
        """
        changed = False

        def change(state: ActiveState) -> ActiveState:
            nonlocal changed
            changed = state.version is not None
            if not changed:
                return state
            stack = (*state.rollback_to, state.version)
            return self._moved(state, None, stack[-HISTORY_LIMIT:], "deactivate")

        new = self.store.update_state(change)
        return new.history[-1] if changed else None

    def rollback(self, *, expected_spec: FeatureSpec | None = None) -> str | None:
        """Return to what was served before the last change; returns it (None: RRF, no model).

        Raises :class:`NothingToRollBack` when the rollback stack is empty. With
        ``expected_spec``, a previous model trained on other columns is refused with
        :class:`FeatureSpecMismatch` and the pointer is left as it is; returning to RRF
        needs no check.
        """

        def change(state: ActiveState) -> ActiveState:
            if not state.rollback_to:
                if state.serial == 0:
                    raise NothingToRollBack("nothing to roll back to: no model was ever activated")
                current = "RRF (no model)" if state.version is None else state.version
                raise NothingToRollBack(
                    f"nothing to roll back to: nothing served before {current} is kept"
                )
            target = state.rollback_to[-1]
            if target is not None and expected_spec is not None:
                self._check_spec(self.get(target), expected_spec)
            return self._moved(state, target, state.rollback_to[:-1], "rollback")

        return self.store.update_state(change).version

    def state(self) -> ActiveState:
        """The active pointer: version, activation counter, rollback stack and history."""
        return self.store.state()

    def active(self) -> str | None:
        """The active version, or None when no model is active (RRF orders results)."""
        return self.store.state().version

    def active_token(self) -> str | None:
        """A small value that changes whenever the pointer is set (poll it to reload).

        None before the first activation; ``"<version>:<n>"``, or ``"rrf:<n>"`` without a model.
        """
        return self.store.state().token

    def history(self) -> builtins.list[Activation]:
        """Recent activations, rollbacks and deactivations, newest first."""
        return builtins.list(reversed(self.store.state().history))

    def rollback_target(self) -> str | None:
        """The version :meth:`rollback` would re-activate; None when it would return to RRF
        or there is nothing to roll back to (``state().rollback_to`` tells them apart)."""
        stack = self.store.state().rollback_to
        return stack[-1] if stack else None

    # -- helpers -------------------------------------------------------------------------

    def _moved(
        self,
        state: ActiveState,
        version: str | None,
        rollback_to: tuple[str | None, ...],
        action: Action,
    ) -> ActiveState:
        event = Activation(version=version, previous=state.version, at=self._clock(), action=action)
        return ActiveState(
            version=version,
            serial=state.serial + 1,
            rollback_to=rollback_to,
            history=(*state.history, event)[-HISTORY_LIMIT:],
        )

    def _check_spec(self, record: ModelVersion, expected: FeatureSpec) -> None:
        """Refuse ``record``'s model unless it was trained on ``expected``'s columns."""
        if record.feature_spec_version == expected.version:
            return
        bundle = self.store.bundle(record.version)
        if bundle is None:
            raise self._unknown(record.version, self.list())
        _require_spec(record.version, expected, FeatureSpec.from_dict(bundle.spec))

    @staticmethod
    def _unknown(version: str, records: builtins.list[ModelVersion]) -> UnknownModelVersion:
        if not records:
            return UnknownModelVersion(
                f"unknown model version {version!r}: no model version is registered"
            )
        names = [r.version for r in records[:KNOWN_VERSIONS_SHOWN]]
        more = len(records) - len(names)
        listed = ", ".join(names) + (f" and {more} older" if more else "")
        return UnknownModelVersion(f"unknown model version {version!r}; registered: {listed}")


def _require_spec(version: str, expected: FeatureSpec, actual: FeatureSpec) -> None:
    try:
        expected.require_compatible(actual)
    except FeatureSpecMismatch as error:
        raise FeatureSpecMismatch(
            f"model version {version} was trained on other features: {error}"
        ) from error


def open_registry(data_dir: Path, redis_url: str | None) -> ModelRegistry:
    """The registry in Redis when ``redis_url`` is given, else in files under ``data_dir``."""
    if redis_url:
        return ModelRegistry(RedisRegistryStore.from_url(redis_url))
    return ModelRegistry(FileRegistryStore(Path(data_dir) / "ranker"))


__all__ = [
    "ACTIVE_FILE",
    "HISTORY_LIMIT",
    "SPEC_FILE",
    "VERSION_FILE",
    "Activation",
    "ActiveState",
    "DataSpan",
    "FileRegistryStore",
    "LoadedModel",
    "ModelRegistry",
    "ModelVersion",
    "ModelVersionExists",
    "NothingToRollBack",
    "RedisRegistryStore",
    "RegistryError",
    "RegistryStore",
    "UnknownModelVersion",
    "open_registry",
]
