"""The registry of the ranker's LightGBM models: immutable versions and one active pointer.

Every trained model is registered once as a *version*, ``"<UTC time>-<hash>"`` (e.g.
``"20261123T101500-3f2a9c"``: the registration time to the second, then six hex digits of
SHA-256 over the model's text), so version names sort by creation and two different models
never share one. A version keeps the model exactly as :meth:`ranker.train.TrainedModel.save`
writes it, the :class:`~ranker.feature_spec.FeatureSpec` it was trained on, and a record
(:class:`ModelVersion`) of what it was trained on, its offline metrics and its parameters.
Versions are never changed after registration.

One version at a time is *active*: the one the service scores with. Activating another pushes
the current one onto a rollback stack, so :meth:`ModelRegistry.rollback` returns to the
version served before, and repeated rollbacks walk further back. Every change bumps an
activation counter; :meth:`ModelRegistry.active_token` combines it with the active version, so
a serving process can poll that small value and reload only when it changes.

Two stores keep the same content (:class:`RegistryStore`):

* :class:`FileRegistryStore`: a directory per version under a root directory, and the pointer
  in ``active.json``, replaced atomically; for a single host.
* :class:`RedisRegistryStore`: a hash per version, a sorted set of versions and the pointer in
  plain keys and lists; every replica sharing the Redis server sees the same models and the
  same active version, without a shared filesystem.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import redis
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ranker.feature_spec import FeatureSpec, FeatureSpecMismatch
from ranker.train import MODEL_FILE, TrainedModel

VERSION_FILE = "version.json"
"""The :class:`ModelVersion` record inside a version directory."""
SPEC_FILE = "spec.json"
"""The model's :meth:`FeatureSpec.to_dict` inside a version directory."""
ACTIVE_FILE = "active.json"
"""The active pointer, its rollback stack and its history (:class:`ActiveState`)."""
HISTORY_LIMIT = 100
"""Activations kept in the history, and versions kept on the rollback stack."""
KNOWN_VERSIONS_SHOWN = 10
"""Versions an unknown-version error lists (the newest)."""


class RegistryError(Exception):
    """A registry operation that cannot be done as asked."""


class UnknownModelVersion(RegistryError, KeyError):  # noqa: N818 - reads as the condition
    """A version name that is not registered; the message lists the registered ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NothingToRollBack(RegistryError):  # noqa: N818 - reads as the condition it reports
    """Rollback asked for, but no version was active before the current one."""


class ModelVersionExists(RegistryError):  # noqa: N818 - reads as the condition it reports
    """A version with this name is already registered (versions are immutable)."""


class DataSpan(BaseModel):
    """What a model was trained on: which searches, how many rows, from which source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, description='e.g. "feedback", "synthetic", "letor".')
    searches: int = Field(0, ge=0, description="Searches (queries) in the training data.")
    rows: int = Field(0, ge=0, description="Candidate rows in the training data.")
    first_search_at: float | None = Field(None, description="Unix time of the oldest search.")
    last_search_at: float | None = Field(None, description="Unix time of the newest search.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        first, last = self.first_search_at, self.last_search_at
        if first is not None and last is not None and last < first:
            raise ValueError(
                f"last_search_at must not precede first_search_at, but {last} < {first}"
            )
        return self


class ModelVersion(BaseModel):
    """The record of one registered model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(description='"<UTC %Y%m%dT%H%M%S>-<6 hex of the model text hash>".')
    created_at: float = Field(description="Unix time of registration.")
    feature_spec_version: str
    trained_on: DataSpan
    metrics: dict[str, float] = Field(
        default_factory=dict, description='Offline metrics, e.g. {"ndcg@10": 0.71}.'
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="The training configuration (TrainConfig)."
    )
    notes: str = ""


class Activation(BaseModel):
    """One change of the active version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    """The version made active."""
    previous: str | None
    """The version active before, if any."""
    at: float
    action: Literal["activate", "rollback"]


class ActiveState(BaseModel):
    """The active pointer as a store keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str | None = None
    serial: int = Field(0, ge=0, description="Activations so far (activate and rollback).")
    rollback_to: tuple[str, ...] = Field(
        (), description="Versions active before, oldest first; rollback returns to the last."
    )
    history: tuple[Activation, ...] = Field((), description="Recent activations, oldest first.")

    @property
    def token(self) -> str | None:
        """``"<version>:<serial>"``; changes whenever the active version is set again."""
        return None if self.version is None else f"{self.version}:{self.serial}"


@dataclass(frozen=True)
class ModelBundle:
    """Everything a store keeps of one version."""

    record: ModelVersion
    spec: Mapping[str, Any]
    """:meth:`FeatureSpec.to_dict` of the spec the model was trained on."""
    files: Mapping[str, bytes]
    """The files :meth:`TrainedModel.save` writes, by name."""


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A registered model, ready to score, with its record and feature spec."""

    version: ModelVersion
    model: TrainedModel
    spec: FeatureSpec


class RegistryStore(Protocol):
    """Where versions and the active pointer are kept."""

    def put(self, bundle: ModelBundle) -> None:
        """Keep a new version; raise :class:`ModelVersionExists` if its name is taken."""
        ...

    def versions(self) -> list[ModelVersion]:
        """The records of all versions, in any order."""
        ...

    def bundle(self, version: str) -> ModelBundle | None:
        """Everything kept of ``version``, or None if it is not registered."""
        ...

    def state(self) -> ActiveState:
        """The active pointer (a default state before the first activation)."""
        ...

    def update_state(self, change: Callable[[ActiveState], ActiveState]) -> ActiveState:
        """Replace the pointer by ``change(current)`` atomically; returns the new state.

        ``change`` may run more than once under contention, and may raise to abort.
        """
        ...

    def close(self) -> None:
        """Release connections the store opened itself."""
        ...


def _safe_name(name: str, what: str) -> str:
    """``name`` if it is a plain file or directory name (no path, not hidden)."""
    if not name or name.startswith(".") or Path(name).name != name or "\\" in name:
        raise ValueError(f"{what} must be a plain name, but {name!r} is given")
    return name


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class FileRegistryStore:
    """Versions as directories under ``root``; the pointer in ``root/active.json``.

    A version directory holds the :meth:`TrainedModel.save` files plus ``version.json`` and
    ``spec.json``; it is written under a hidden temporary name and renamed into place, so a
    reader never sees half a version. The pointer file is replaced atomically (temporary
    file, fsync, ``os.replace``) under an exclusive lock on ``root/.active.lock``, so
    concurrent activations on one host do not lose each other's changes.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, bundle: ModelBundle) -> None:
        version = _safe_name(bundle.record.version, "version")
        target = self.root / version
        if target.exists():
            raise ModelVersionExists(f"model version {version} is already registered")
        self.root.mkdir(parents=True, exist_ok=True)
        incoming = Path(tempfile.mkdtemp(prefix=f".incoming-{version}-", dir=self.root))
        try:
            for name, data in bundle.files.items():
                _write_synced(incoming / _safe_name(name, "model file name"), data)
            _write_synced(incoming / SPEC_FILE, json.dumps(dict(bundle.spec), indent=2).encode())
            _write_synced(incoming / VERSION_FILE, bundle.record.model_dump_json(indent=2).encode())
            try:
                incoming.rename(target)
            except OSError as error:
                raise ModelVersionExists(
                    f"model version {version} is already registered"
                ) from error
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise

    def versions(self) -> list[ModelVersion]:
        if not self.root.is_dir():
            return []
        return [
            ModelVersion.model_validate_json((child / VERSION_FILE).read_bytes())
            for child in self.root.iterdir()
            if not child.name.startswith(".") and (child / VERSION_FILE).is_file()
        ]

    def bundle(self, version: str) -> ModelBundle | None:
        try:
            directory = self.root / _safe_name(version, "version")
        except ValueError:
            return None
        if not (directory / VERSION_FILE).is_file():
            return None
        files = {
            child.name: child.read_bytes()
            for child in directory.iterdir()
            if child.is_file() and child.name not in (VERSION_FILE, SPEC_FILE)
        }
        return ModelBundle(
            record=ModelVersion.model_validate_json((directory / VERSION_FILE).read_bytes()),
            spec=json.loads((directory / SPEC_FILE).read_bytes()),
            files=files,
        )

    def state(self) -> ActiveState:
        path = self.root / ACTIVE_FILE
        if not path.is_file():
            return ActiveState()
        return ActiveState.model_validate_json(path.read_bytes())

    def update_state(self, change: Callable[[ActiveState], ActiveState]) -> ActiveState:
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            current = self.state()
            new = change(current)
            if new != current:
                self._replace_state(new)
            return new

    def close(self) -> None:
        """Nothing to release."""

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.root / ".active.lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _replace_state(self, state: ActiveState) -> None:
        handle, name = tempfile.mkstemp(prefix=".active-", suffix=".json", dir=self.root)
        os.close(handle)
        temporary = Path(name)
        try:
            _write_synced(temporary, state.model_dump_json(indent=2).encode())
            os.replace(temporary, self.root / ACTIVE_FILE)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _raw(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


class RedisRegistryStore:
    """Versions and the pointer in Redis, under ``prefix``.

    Keys: ``<prefix>version:<version>`` a hash per version (fields ``record``, ``spec`` and
    ``file:<name>`` per model file); ``<prefix>versions`` a sorted set of version names scored
    by creation time; ``<prefix>active`` the active version; ``<prefix>serial`` the activation
    counter; ``<prefix>rollback`` the rollback stack and ``<prefix>history`` the recent
    activations (lists, oldest first). Registration and pointer changes are optimistic
    transactions (``WATCH``/``MULTI``), so concurrent writers never interleave.
    """

    def __init__(self, client: redis.Redis, prefix: str = "ltrr:ranker:") -> None:
        # redis-py's reply types are unions over every protocol version; replies are
        # decoded explicitly below, so the client is handled as untyped.
        self._redis: Any = client
        self._owns_client = False
        self.prefix = prefix
        self._versions = f"{prefix}versions"
        self._active = f"{prefix}active"
        self._serial = f"{prefix}serial"
        self._rollback = f"{prefix}rollback"
        self._history = f"{prefix}history"

    @classmethod
    def from_url(cls, url: str, prefix: str = "ltrr:ranker:") -> RedisRegistryStore:
        """A store on its own client, closed by :meth:`close`."""
        store = cls(redis.Redis.from_url(url), prefix)
        store._owns_client = True
        return store

    def _version_key(self, version: str) -> str:
        return f"{self.prefix}version:{version}"

    def put(self, bundle: ModelBundle) -> None:
        version = bundle.record.version
        key = self._version_key(version)
        fields: dict[str, bytes] = {
            "record": bundle.record.model_dump_json().encode(),
            "spec": json.dumps(dict(bundle.spec)).encode(),
        }
        for name, data in bundle.files.items():
            fields[f"file:{_safe_name(name, 'model file name')}"] = data
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        raise ModelVersionExists(f"model version {version} is already registered")
                    pipe.multi()
                    pipe.hset(key, mapping=fields)
                    pipe.zadd(self._versions, {version: bundle.record.created_at})
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue

    def versions(self) -> list[ModelVersion]:
        names = self._redis.zrange(self._versions, 0, -1)
        if not names:
            return []
        with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hget(self._version_key(_text(name)), "record")
            records = pipe.execute()
        return [ModelVersion.model_validate_json(_raw(r)) for r in records if r is not None]

    def bundle(self, version: str) -> ModelBundle | None:
        fields = {
            _text(k): _raw(v) for k, v in self._redis.hgetall(self._version_key(version)).items()
        }
        if "record" not in fields:
            return None
        return ModelBundle(
            record=ModelVersion.model_validate_json(fields["record"]),
            spec=json.loads(fields["spec"]),
            files={k.removeprefix("file:"): v for k, v in fields.items() if k.startswith("file:")},
        )

    def state(self) -> ActiveState:
        with self._redis.pipeline(transaction=True) as pipe:
            self._queue_state_reads(pipe)
            return self._parse_state(*pipe.execute())

    def update_state(self, change: Callable[[ActiveState], ActiveState]) -> ActiveState:
        keys = (self._active, self._serial, self._rollback, self._history)
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(*keys)
                    current = self._parse_state(
                        pipe.get(self._active),
                        pipe.get(self._serial),
                        pipe.lrange(self._rollback, 0, -1),
                        pipe.lrange(self._history, 0, -1),
                    )
                    new = change(current)
                    if new == current:
                        pipe.unwatch()
                        return new
                    pipe.multi()
                    if new.version is None:
                        pipe.delete(self._active)
                    else:
                        pipe.set(self._active, new.version)
                    pipe.set(self._serial, new.serial)
                    pipe.delete(self._rollback, self._history)
                    if new.rollback_to:
                        pipe.rpush(self._rollback, *new.rollback_to)
                    if new.history:
                        pipe.rpush(self._history, *(a.model_dump_json() for a in new.history))
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue

    def close(self) -> None:
        if self._owns_client:
            self._redis.close()

    def _queue_state_reads(self, pipe: Any) -> None:
        pipe.get(self._active)
        pipe.get(self._serial)
        pipe.lrange(self._rollback, 0, -1)
        pipe.lrange(self._history, 0, -1)

    @staticmethod
    def _parse_state(
        active: bytes | str | None,
        serial: bytes | str | None,
        rollback: list[bytes | str],
        history: list[bytes | str],
    ) -> ActiveState:
        return ActiveState(
            version=None if active is None else _text(active),
            serial=0 if serial is None else int(_text(serial)),
            rollback_to=tuple(_text(v) for v in rollback),
            history=tuple(Activation.model_validate_json(_raw(a)) for a in history),
        )


def _model_files(model: TrainedModel) -> dict[str, bytes]:
    """The files :meth:`TrainedModel.save` writes for ``model``, by name."""
    with tempfile.TemporaryDirectory(prefix="ltrr-model-") as directory:
        model.save(directory)
        return {p.name: p.read_bytes() for p in sorted(Path(directory).iterdir()) if p.is_file()}


def _model_from_files(files: Mapping[str, bytes]) -> TrainedModel:
    """Rebuild a model from its saved files (read from any store, no shared filesystem)."""
    with tempfile.TemporaryDirectory(prefix="ltrr-model-") as directory:
        for name, data in files.items():
            (Path(directory) / _safe_name(name, "model file name")).write_bytes(data)
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
            stack = state.rollback_to
            if state.version is not None:
                stack = (*stack, state.version)
            return self._moved(state, version, stack[-HISTORY_LIMIT:], "activate")

        new = self.store.update_state(change)
        return new.history[-1] if changed else None

    def rollback(self, *, expected_spec: FeatureSpec | None = None) -> str:
        """Re-activate the version active before the current one; returns it.

        Raises :class:`NothingToRollBack` when no version was active before. With
        ``expected_spec``, a previous model trained on other columns is refused with
        :class:`FeatureSpecMismatch` and the pointer is left as it is.
        """

        def change(state: ActiveState) -> ActiveState:
            if not state.rollback_to:
                if state.version is None:
                    raise NothingToRollBack("nothing to roll back to: no model was ever activated")
                raise NothingToRollBack(
                    f"nothing to roll back to: no version was active before {state.version}"
                )
            target = state.rollback_to[-1]
            if expected_spec is not None:
                self._check_spec(self.get(target), expected_spec)
            return self._moved(state, target, state.rollback_to[:-1], "rollback")

        new = self.store.update_state(change)
        if new.version is None:  # pragma: no cover - a rollback always sets a version
            raise RegistryError("rollback left no active version")
        return new.version

    def state(self) -> ActiveState:
        """The active pointer: version, activation counter, rollback stack and history."""
        return self.store.state()

    def active(self) -> str | None:
        """The active version, or None before the first activation."""
        return self.store.state().version

    def active_token(self) -> str | None:
        """A small value that changes whenever the active version is set (poll it to reload)."""
        return self.store.state().token

    def history(self) -> builtins.list[Activation]:
        """Recent activations and rollbacks, newest first."""
        return builtins.list(reversed(self.store.state().history))

    def rollback_target(self) -> str | None:
        """The version :meth:`rollback` would re-activate, or None."""
        stack = self.store.state().rollback_to
        return stack[-1] if stack else None

    # -- helpers -------------------------------------------------------------------------

    def _moved(
        self,
        state: ActiveState,
        version: str,
        rollback_to: tuple[str, ...],
        action: Literal["activate", "rollback"],
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
