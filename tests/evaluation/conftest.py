"""A small synthetic catalog, generated and indexed once for the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.generate import write_catalog_jsonl
from service.indexing import index_catalog
from service.settings import Settings

CATALOG_SIZE = 2_000
SEED = 21


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("simulate") / "catalog.jsonl"
    write_catalog_jsonl(path, CATALOG_SIZE, SEED)
    return path


@pytest.fixture(scope="session")
def pristine(catalog: Path) -> Path:
    data_dir = catalog.parent / "data"
    index_catalog(catalog, data_dir, Settings(data_dir=data_dir), strict=True)
    return data_dir


@pytest.fixture(scope="session")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``--data-dir`` of the ``ltrr simulate`` tests: its 800-entity catalog is indexed once."""
    return tmp_path_factory.mktemp("cli") / "data"
