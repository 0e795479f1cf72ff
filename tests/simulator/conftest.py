"""A small generated catalog, read as the simulator's world (no service needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.generate import write_catalog_jsonl
from simulator.world import CatalogWorld

SMALL_CATALOG_SIZE = 1_500
SMALL_CATALOG_SEED = 11


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim-catalog") / "catalog.jsonl"
    write_catalog_jsonl(path, SMALL_CATALOG_SIZE, SMALL_CATALOG_SEED)
    return path


@pytest.fixture(scope="session")
def world(small_catalog: Path) -> CatalogWorld:
    return CatalogWorld.from_file(small_catalog)
