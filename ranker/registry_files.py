"""The registry's file store: a directory per version, the active pointer in one file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ranker.registry_base import (
    ActiveState,
    ModelBundle,
    ModelVersion,
    ModelVersionExists,
    safe_name,
)

VERSION_FILE = "version.json"
"""The :class:`ModelVersion` record inside a version directory."""
SPEC_FILE = "spec.json"
"""The model's :meth:`FeatureSpec.to_dict` inside a version directory."""
ACTIVE_FILE = "active.json"
"""The active pointer, its rollback stack and its history (:class:`ActiveState`)."""


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
        version = safe_name(bundle.record.version, "version")
        target = self.root / version
        if target.exists():
            raise ModelVersionExists(f"model version {version} is already registered")
        self.root.mkdir(parents=True, exist_ok=True)
        incoming = Path(tempfile.mkdtemp(prefix=f".incoming-{version}-", dir=self.root))
        try:
            for name, data in bundle.files.items():
                _write_synced(incoming / safe_name(name, "model file name"), data)
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
            directory = self.root / safe_name(version, "version")
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
