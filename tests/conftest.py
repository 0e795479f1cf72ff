"""Session fixtures: the fixture catalog indexed once, and an app serving it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.indexing import index_catalog
from service.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
FIXTURE_CATALOG = REPO / "catalog" / "fixtures" / "fixture_catalog.jsonl"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def fixture_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the fixture catalog indexed (read-only for tests)."""
    data_dir = tmp_path_factory.mktemp("fixture-data")
    report = index_catalog(FIXTURE_CATALOG, data_dir, Settings(data_dir=data_dir), strict=True)
    assert report.error_count == 0
    return data_dir


@pytest.fixture(scope="session")
def settings(fixture_data_dir: Path) -> Settings:
    return Settings(data_dir=fixture_data_dir)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """The app over the fixture data dir, started once for the session."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
