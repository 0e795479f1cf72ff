"""Versioned policy snapshots: model bytes + feature spec + metadata, in the data dir or Redis.

The learner publishes a snapshot every few hundred rewards; every serving
replica polls the store's latest version and swaps the new policy in without
a restart. A snapshot records the reward-ledger position it includes, so a
learner that restarts from it replays exactly the rewards learned after it.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bandit.config import BanditConfig, Crossing, Design
from bandit.joint import JointPolicy
from bandit.plans import PlanSpace
from bandit.policy import Policy
from bandit.semibandit import SemiBanditPolicy
from bandit.stats import StrategyStats

FEATURE_SPEC = "plan-context-v3"
"""Bumped whenever context or action features change meaning; older snapshots are refused.
``-support`` is appended when the context holds the strategies' support (namespace ``x``),
and the joint design's crossing (``plan-context-v3-support-light``) when not ``full``."""


def feature_spec(config: BanditConfig) -> str:
    spec = f"{FEATURE_SPEC}-support" if config.support else FEATURE_SPEC
    if config.design is Design.JOINT and config.crossing is not Crossing.FULL:
        return f"{spec}-{config.crossing.value}"
    return spec


KEEP = 5


class SnapshotMismatchError(ValueError):
    """A snapshot that cannot serve under the current settings."""


class SnapshotMeta(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int
    design: str
    exploration: str
    strategies: list[str]
    ladder: list[int]
    budget: int
    default: list[int] = Field(default_factory=list, description="The default (cold) plan.")
    feature_spec: str
    rewards_learned: int
    ledger_seq: int
    hits: dict[str, float]
    created_at: float


def encode(policy: Policy, config: BanditConfig, space: PlanSpace, ledger_seq: int) -> bytes:
    meta = SnapshotMeta(
        version=policy.version,
        design=policy.design,
        exploration=config.exploration.value,
        strategies=list(space.strategies),
        ladder=list(space.ladder),
        budget=space.budget,
        default=list(space.default),
        feature_spec=feature_spec(config),
        rewards_learned=policy.rewards_learned,
        ledger_seq=ledger_seq,
        hits=dict(policy.stats.hits),
        created_at=time.time(),
    )
    models = {
        name: base64.b64encode(blob).decode("ascii") for name, blob in policy.models().items()
    }
    return json.dumps({"meta": meta.model_dump(), "models": models}).encode("utf-8")


def decode(blob: bytes) -> tuple[SnapshotMeta, dict[str, bytes]]:
    body = json.loads(blob)
    meta = SnapshotMeta.model_validate(body["meta"])
    return meta, {name: base64.b64decode(data) for name, data in body["models"].items()}


def new_policy(space: PlanSpace, config: BanditConfig) -> Policy:
    """An untrained policy of the configured design (cold start)."""
    if config.design is Design.SEMI:
        return SemiBanditPolicy(space, config)
    return JointPolicy(space, config)


def snapshot_space(meta: SnapshotMeta) -> PlanSpace:
    """The plan space a snapshot was trained over."""
    default = dict(zip(meta.strategies, meta.default, strict=True))
    return PlanSpace(meta.strategies, meta.ladder, meta.budget, default)


def load_policy(blob: bytes, space: PlanSpace, config: BanditConfig) -> tuple[Policy, int]:
    """The policy of a snapshot and its ledger position; refuses incompatible snapshots."""
    meta, models = decode(blob)
    expected = {
        "design": config.design.value,
        "exploration": config.exploration.value,
        "strategies": list(space.strategies),
        "ladder": list(space.ladder),
        "budget": space.budget,
        "default": list(space.default),
        "feature_spec": feature_spec(config),
    }
    differing = {k: (getattr(meta, k), v) for k, v in expected.items() if getattr(meta, k) != v}
    if differing:
        details = "; ".join(
            f"{k}: snapshot {a!r} vs settings {b!r}" for k, (a, b) in differing.items()
        )
        raise SnapshotMismatchError(f"policy snapshot v{meta.version} does not fit: {details}")
    stats = StrategyStats(meta.hits)
    policy: Policy
    if config.design is Design.SEMI:
        policy = SemiBanditPolicy(
            space,
            config,
            models=models,
            stats=stats,
            rewards_learned=meta.rewards_learned,
            version=meta.version,
        )
    else:
        policy = JointPolicy(
            space,
            config,
            model=models["joint"],
            stats=stats,
            rewards_learned=meta.rewards_learned,
            version=meta.version,
        )
    return policy, meta.ledger_seq


class SnapshotStore(Protocol):
    def publish(self, version: int, blob: bytes) -> None: ...

    def latest_version(self) -> int: ...

    def load(self, version: int) -> bytes | None: ...


class FileSnapshotStore:
    """``v00000012.snap`` files and a ``LATEST`` pointer, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, version: int) -> Path:
        return self.directory / f"v{version:08d}.snap"

    def publish(self, version: int, blob: bytes) -> None:
        _atomic_write(self._path(version), blob)
        _atomic_write(self.directory / "LATEST", str(version).encode())
        for old in sorted(self.directory.glob("v*.snap"))[:-KEEP]:
            old.unlink(missing_ok=True)

    def latest_version(self) -> int:
        try:
            return int((self.directory / "LATEST").read_text().strip() or 0)
        except FileNotFoundError:
            return 0

    def load(self, version: int) -> bytes | None:
        try:
            return self._path(version).read_bytes()
        except FileNotFoundError:
            return None


class RedisSnapshotStore:
    """Snapshots shared by every replica: ``{prefix}v{n}`` keys and a ``{prefix}latest`` key."""

    def __init__(self, client: Any, *, prefix: str = "ltrr:bandit:snapshot:") -> None:
        self._redis = client
        self._prefix = prefix

    def publish(self, version: int, blob: bytes) -> None:
        pipe = self._redis.pipeline()
        pipe.set(f"{self._prefix}v{version}", blob)
        pipe.set(f"{self._prefix}latest", version)
        if version > KEEP:
            pipe.delete(f"{self._prefix}v{version - KEEP}")
        pipe.execute()

    def latest_version(self) -> int:
        value = self._redis.get(f"{self._prefix}latest")
        return int(value) if value is not None else 0

    def load(self, version: int) -> bytes | None:
        value = self._redis.get(f"{self._prefix}v{version}")
        return bytes(value) if value is not None else None


def _atomic_write(path: Path, data: bytes) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
