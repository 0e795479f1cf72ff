"""What the ranker's model registry keeps, whatever the store: records, pointer, errors.

:class:`RegistryStore` is the small interface a store implements; the file store
(:mod:`ranker.registry_files`) and the Redis store (:mod:`ranker.registry_redis`) keep the
same content. :mod:`ranker.registry` builds the registry's operations on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

HISTORY_LIMIT = 100
"""Pointer changes kept in the history, and entries kept on the rollback stack."""
KNOWN_VERSIONS_SHOWN = 10
"""Versions an unknown-version error lists (the newest)."""


class RegistryError(Exception):
    """A registry operation that cannot be done as asked."""


class UnknownModelVersion(RegistryError, KeyError):  # noqa: N818 - reads as the condition
    """A version name that is not registered; the message lists the registered ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NothingToRollBack(RegistryError):  # noqa: N818 - reads as the condition it reports
    """Rollback asked for, but the rollback stack is empty (nothing to go back to)."""


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


Action = Literal["activate", "rollback", "deactivate"]
"""How the active pointer was changed."""


class Activation(BaseModel):
    """One change of the active pointer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str | None
    """The version made active; None: no model, RRF orders results."""
    previous: str | None
    """The version active before; None: no model (RRF) was."""
    at: float
    action: Action


class ActiveState(BaseModel):
    """The active pointer as a store keeps it.

    States written before deactivation existed (a rollback stack of version names only, no
    ``"deactivate"`` in the history) load unchanged: the types here are supersets.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str | None = None
    """The active version; None: no model, RRF orders results."""
    serial: int = Field(
        0, ge=0, description="Changes of the pointer so far (activate, rollback, deactivate)."
    )
    rollback_to: tuple[str | None, ...] = Field(
        (),
        description="What was active before, oldest first (None: no model, RRF); "
        "rollback returns to the last.",
    )
    history: tuple[Activation, ...] = Field((), description="Recent changes, oldest first.")

    @property
    def token(self) -> str | None:
        """``"<version>:<serial>"`` (``"rrf:<serial>"`` without a model); None before the
        first change. Changes whenever the pointer is set, to a model or to RRF."""
        if self.serial == 0:
            return None
        return f"{self.version or 'rrf'}:{self.serial}"


@dataclass(frozen=True)
class ModelBundle:
    """Everything a store keeps of one version."""

    record: ModelVersion
    spec: Mapping[str, Any]
    """:meth:`FeatureSpec.to_dict` of the spec the model was trained on."""
    files: Mapping[str, bytes]
    """The files :meth:`TrainedModel.save` writes, by name."""


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


def safe_name(name: str, what: str) -> str:
    """``name`` if it is a plain file or directory name (no path, not hidden)."""
    if not name or name.startswith(".") or Path(name).name != name or "\\" in name:
        raise ValueError(f"{what} must be a plain name, but {name!r} is given")
    return name
