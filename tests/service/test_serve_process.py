"""`ltrr serve` as a real process: uvicorn on a port, searched over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_ready

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(fixture_data_dir: Path) -> Iterator[str]:
    port = _free_port()
    ltrr = Path(sys.executable).with_name("ltrr")
    process = subprocess.Popen(
        [str(ltrr), "serve", "--data-dir", str(fixture_data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_search_over_http(server: str) -> None:
    response = httpx.get(f"{server}/search", params={"q": "bohemian rhapsody"}, timeout=10)
    assert response.status_code == 200
    top = response.json()["results"][0]["entity"]
    assert top["title"] == "Bohemian Rhapsody"
    assert top["artists"] == ["Queen"]


def test_bad_request_over_http(server: str) -> None:
    response = httpx.post(f"{server}/search", json={"query": "x", "size": 0}, timeout=10)
    assert response.status_code == 422
    assert "size" in response.json()["detail"]


def test_openapi_docs_served(server: str) -> None:
    assert httpx.get(f"{server}/docs", timeout=10).status_code == 200
