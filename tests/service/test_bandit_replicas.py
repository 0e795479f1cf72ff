"""Two service replicas and one worker on a real Redis: what A's listeners teach, B serves."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_ready

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cluster(fixture_data_dir: Path, tmp_path: Path, redis_url: str) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data_dir)
    ltrr = Path(sys.executable).with_name("ltrr")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "LTRR_REDIS_URL": redis_url,
        "LTRR_FEEDBACK__IN_PROCESS_WORKER": "false",
        "LTRR_BANDIT__ENABLED": "true",
        "LTRR_BANDIT__COLD_START_REWARDS": "5",
        "LTRR_BANDIT__SNAPSHOT_EVERY": "5",
        "LTRR_BANDIT__REFRESH_INTERVAL_S": "0.2",
        "LTRR_BANDIT__REWARD__WINDOW_S": "0.5",
        # On a loaded machine a strategy (the first query embedding of a fresh process, say)
        # can overrun the serving timeout and leave an explored plan without results; this
        # test is about replicas sharing a policy, not about timeouts.
        "LTRR_PIPELINE__STRATEGY_TIMEOUT_MS": "10000",
    }
    processes = []
    bases = []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen(
                [str(ltrr), "serve", "--data-dir", str(data_dir), "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            processes.append(process)
            bases.append(f"http://127.0.0.1:{port}")
        processes.append(
            subprocess.Popen(
                [str(ltrr), "worker", "--data-dir", str(data_dir)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        )
        for base, process in zip(bases, processes, strict=False):
            wait_ready(base, process)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _search(base: str, query: str) -> dict[str, Any]:
    response = httpx.post(f"{base}/search", json={"query": query, "explain": True}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_feedback_to_replica_a_changes_the_decisions_of_replica_b(
    cluster: tuple[str, str],
) -> None:
    a, b = cluster
    before = _search(b, "bohemian rhapsody")["explain"]["bandit"]
    assert before["policy_version"] == 0
    assert before["cold_start"] is True
    taught = 0
    for i in range(200):
        if taught == 30:
            break
        body = _search(a, "bohemian rhapsody" if i % 2 else "queen")
        if not body["results"]:
            # An explored plan can call only strategies with nothing for this query (the
            # memory index before any click): an empty page, which the bandit learns from too.
            continue
        taught += 1
        now = datetime.now(UTC).isoformat()
        hit = body["results"][0]
        events = [
            {
                "event_id": uuid.uuid4().hex,
                "search_id": body["search_id"],
                "type": kind,
                "entity_id": hit["entity"]["id"],
                "position": 1,
                "timestamp": now,
            }
            for kind in ("impression", "click")
        ]
        response = httpx.post(f"{a}/feedback", json={"events": events}, timeout=30)
        assert response.status_code == 202, response.text
    assert taught == 30, "replica A served too few non-empty pages to teach from"
    deadline = time.monotonic() + 60
    while True:
        after = _search(b, "bohemian rhapsody")["explain"]["bandit"]
        if after["policy_version"] > 0 and not after["cold_start"]:
            break
        assert time.monotonic() < deadline, f"replica B still serves {after}"
        time.sleep(0.3)
    # B now decides with what A's listeners taught: a trained policy, another distribution.
    assert after["pmf"] != before["pmf"]
