"""The registry's Redis store: every replica sharing the server sees the same models."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

from ranker.registry_base import (
    Activation,
    ActiveState,
    ModelBundle,
    ModelVersion,
    ModelVersionExists,
    safe_name,
)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _raw(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


RRF_ENTRY = ""
"""How the rollback list holds "no model, RRF" (a version name is never empty)."""


class RedisRegistryStore:
    """Versions and the pointer in Redis, under ``prefix``.

    Keys: ``<prefix>version:<version>`` a hash per version (fields ``record``, ``spec`` and
    ``file:<name>`` per model file); ``<prefix>versions`` a sorted set of version names scored
    by creation time; ``<prefix>active`` the active version (absent: no model, RRF);
    ``<prefix>serial`` the change counter; ``<prefix>rollback`` the rollback stack (version
    names, the empty string for RRF) and ``<prefix>history`` the recent changes (lists, oldest
    first). Registration and pointer changes are optimistic transactions (``WATCH``/``MULTI``),
    so concurrent writers never interleave.
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
            fields[f"file:{safe_name(name, 'model file name')}"] = data
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
                        pipe.rpush(self._rollback, *(v or RRF_ENTRY for v in new.rollback_to))
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
            rollback_to=tuple(_text(v) or None for v in rollback),
            history=tuple(Activation.model_validate_json(_raw(a)) for a in history),
        )
