"""What each policy's in-process service starts from in ``ltrr simulate``.

Its settings (bandit policies switch the bandit on, memory variants change the memory)
and its own copy of the data dir: a memory ablation applied, a bandit snapshot or a
ranker model installed before the service starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ranker.registry_base import ModelBundle
    from service.settings import Settings

SIMULATION_WINDOW_S = 2.0
"""The no-engagement window of bandit rewards in simulations (``LTRR_BANDIT__REWARD__WINDOW_S``
is 300 s in production). A simulated listener sends all of a search's feedback within
milliseconds, so a search still without success after 2 s will never get one; a longer
window only delays learning from failures by thousands of sessions."""


def settings_for(policy_name: str, data_dir: Path, seed: int) -> Settings:
    """The service settings a policy runs under: bandit policies switch the bandit on,
    ``+memory-frozen`` switches the memory's learning off."""
    from bandit.config import BanditConfig
    from evaluation.policies import BANDIT_VARIANTS, MemoryVariant, split_variant
    from service.settings import Settings

    plan_name, variant = split_variant(policy_name)
    base = Settings(data_dir=data_dir)
    if variant is MemoryVariant.FROZEN:
        base = base.model_copy(update={"memory": base.memory.model_copy(update={"learn": False})})
    if plan_name not in BANDIT_VARIANTS:
        return base.model_copy(update={"bandit": BanditConfig(enabled=False)})
    config = base.bandit.model_dump()
    config.update(BANDIT_VARIANTS[plan_name])
    config["enabled"] = True
    config["seed"] = seed
    config["reward"]["window_s"] = SIMULATION_WINDOW_S
    return base.model_copy(update={"bandit": BanditConfig.model_validate(config)})


def check_variant(policy_name: str, settings: Settings) -> None:
    """Refuse a variant these settings cannot run in a copy of the data dir."""
    from evaluation.policies import MemoryVariant, PolicyError, split_variant

    _, variant = split_variant(policy_name)
    if variant is MemoryVariant.COLD and settings.redis_url is not None:
        # Not part of the copy: emptying it would empty it for every policy and service.
        raise PolicyError(
            f"policy {policy_name!r}: {variant.value} empties the memory of the policy's copy "
            "of the data dir, but with REDIS_URL set the memory is shared in Redis; unset "
            "REDIS_URL (and LTRR_REDIS_URL) to run it"
        )


def prepare_policy_dir(policy_name: str, settings: Settings) -> None:
    """What a policy's variant changes in its own copy of the data dir before its service
    starts: ``+memory-cold`` forgets the memory's predicted pairs."""
    from evaluation.policies import MemoryVariant, split_variant
    from retrievers.memory import Q2EMemory

    check_variant(policy_name, settings)
    if split_variant(policy_name)[1] is not MemoryVariant.COLD:
        return
    memory = Q2EMemory.open(settings.data_dir, settings.memory)
    try:
        memory.clear_predicted()
    finally:
        memory.close()


def install_snapshot(snapshot: Path, data_dir: Path) -> None:
    """Make ``snapshot`` the latest policy snapshot of ``data_dir``."""
    from bandit.snapshot import FileSnapshotStore, decode
    from service.app_state import BANDIT_DIR

    blob = snapshot.read_bytes()
    meta, _ = decode(blob)
    FileSnapshotStore(data_dir / BANDIT_DIR / "snapshots").publish(meta.version, blob)


def load_ranker(path: Path, strategies: Sequence[str]) -> ModelBundle:
    """The registered model at ``path`` (``DATA_DIR/ranker/VERSION``), checked against the
    features a service over ``strategies`` computes; :class:`ValueError` says what is wrong."""
    from ranker.feature_spec import FeatureSpec, FeatureSpecMismatch
    from ranker.registry import FileRegistryStore, ModelRegistry, RegistryError

    registry = ModelRegistry(FileRegistryStore(path.parent))
    try:
        bundle = registry.store.bundle(path.name)
        if bundle is None:
            raise ValueError(
                f"{path} is not a registered ranker model (expected DATA_DIR/ranker/VERSION, "
                "e.g. from `ltrr simulate-ranker --keep-data DIR`)"
            )
        registry.load(path.name, expected_spec=FeatureSpec.for_strategies(strategies))
    except (FeatureSpecMismatch, RegistryError) as error:
        raise ValueError(f"{path}: {error}") from error
    finally:
        registry.close()
    return bundle


def install_ranker(bundle: ModelBundle, settings: Settings) -> None:
    """Register ``bundle`` where the service of ``settings`` looks for models and activate it."""
    from ranker.registry import ModelVersionExists, open_registry

    with open_registry(settings.data_dir, settings.redis_url) as registry:
        with contextlib.suppress(ModelVersionExists):  # in Redis: an earlier policy put it
            registry.store.put(bundle)
        registry.activate(bundle.record.version)
