"""Session fixtures for the embedding and dense tests: the real model, loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.ingest import CatalogReader, Upsert
from catalog.model import Entity
from retrievers.embedding import EmbeddingConfig, Encoder

FIXTURE_CATALOG = (
    Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "fixture_catalog.jsonl"
)


@pytest.fixture(scope="session")
def model_export_dir() -> Path:
    """The suite's shared ONNX export directory (see tests/conftest.py)."""
    return Path(os.environ["LTRR_MODELS_DIR"])


@pytest.fixture(scope="session")
def encoder(model_export_dir: Path) -> Encoder:
    """The default encoder (onnx-int8 when ONNX Runtime is installed), shared by all tests."""
    return Encoder(EmbeddingConfig(), export_dir=model_export_dir)


@pytest.fixture(scope="session")
def fixture_entities() -> list[Entity]:
    changes = CatalogReader(FIXTURE_CATALOG, strict=True)
    return [change.entity for change in changes if isinstance(change, Upsert)]
