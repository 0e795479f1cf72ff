"""Kill the feedback worker (SIGKILL) mid-batch: after a restart every accepted
event has been applied exactly once — with the embedded stream and with Redis."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from retrievers.memory import Q2EMemory
from service.app import create_app
from service.app_state import open_feedback_path
from service.learning_log import LearningLog
from service.settings import FeedbackConfig, Settings

pytestmark = pytest.mark.integration

EVENTS = 3000


def _ltrr() -> str:
    return str(Path(sys.executable).with_name("ltrr"))


def _queue_events(settings: Settings) -> tuple[set[str], Counter[tuple[str, str]]]:
    """Serve searches and queue EVENTS feedback events for them through the API.

    Returns the event ids and, per (query, entity), how many engagement events
    the Q2E memory must have applied.
    """
    expected: set[str] = set()
    engagements: Counter[tuple[str, str]] = Counter()
    with TestClient(create_app(settings)) as client:
        queries = ["queen", "love", "rock", "podcast", "taylor swift", "history"]
        n = 0
        while n < EVENTS:
            query = queries[n % len(queries)]
            search = client.post("/search", json={"query": query, "size": 5}).json()
            batch: list[dict[str, Any]] = []
            for i in range(min(500, EVENTS - n)):
                position = i % len(search["results"]) + 1
                kind = ("impression", "click", "play", "like")[i % 4]
                event: dict[str, Any] = {
                    "event_id": f"crash-{n + i}",
                    "search_id": search["search_id"],
                    "type": kind,
                    "entity_id": search["results"][position - 1]["entity"]["id"],
                    "position": position,
                    "timestamp": datetime.now(UTC).isoformat(),
                }
                if kind == "play":
                    event["play_ms"] = 40_000
                if kind != "impression":
                    engagements[(query, event["entity_id"])] += 1
                batch.append(event)
            response = client.post("/feedback", json={"events": batch})
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == len(batch)
            expected |= {e["event_id"] for e in batch}
            n += len(batch)
    return expected, engagements


def _run_crash_scenario(data_dir: Path, redis_url: str | None) -> None:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "LTRR_FEEDBACK__IN_PROCESS_WORKER": "false",
        "LTRR_FEEDBACK__BATCH_SIZE": "100",
        "LTRR_FEEDBACK__LEASE_S": "1",
    }
    env.pop("REDIS_URL", None)
    env.pop("LTRR_REDIS_URL", None)
    if redis_url:
        env["LTRR_REDIS_URL"] = redis_url
    settings = Settings(
        data_dir=data_dir,
        redis_url=redis_url,
        feedback=FeedbackConfig(in_process_worker=False, lease_s=1),
    )
    expected, engagements = _queue_events(settings)
    before = _memory_events(data_dir, settings, redis_url, engagements)
    log = LearningLog(data_dir / "learning.sqlite")

    worker = subprocess.Popen(
        [_ltrr(), "worker", "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    applied_at_kill = 0
    while time.monotonic() < deadline:
        applied_at_kill = log.count_rows()
        if applied_at_kill >= 300:
            break
        time.sleep(0.005)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    applied_at_kill = log.count_rows()
    assert 0 < applied_at_kill < EVENTS, f"kill landed outside the run ({applied_at_kill})"

    restarted = subprocess.run(
        [_ltrr(), "worker", "--data-dir", str(data_dir), "--drain"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    ids = log.event_ids()
    assert len(ids) == len(set(ids)) == EVENTS
    assert set(ids) == expected
    path = open_feedback_path(settings)
    assert path.stream.backlog() == 0
    assert path.stream.dead_letters() == []
    path.stream.close()
    log.close()
    # The memory applied each engagement once: per-pair event counts grew by exactly that.
    after = _memory_events(data_dir, settings, redis_url, engagements)
    for pair, count in engagements.items():
        assert after[pair] - before[pair] == count, (pair, before[pair], after[pair], count)


def _memory_events(
    data_dir: Path,
    settings: Settings,
    redis_url: str | None,
    pairs: Counter[tuple[str, str]],
) -> dict[tuple[str, str], int]:
    """Engagement events the memory holds per (query, entity), 0 for absent pairs."""
    memory = Q2EMemory.open(data_dir, settings.memory, redis_url=redis_url)
    try:
        counts = {}
        for query, entity_id in pairs:
            pair = memory.scores_for(query, [entity_id]).get(entity_id)
            counts[(query, entity_id)] = pair.events if pair is not None else 0
        return counts
    finally:
        memory.close()


@pytest.fixture
def data_dir(fixture_data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(fixture_data_dir, target)
    for name in ("feedback.sqlite", "learning.sqlite", "decisions.sqlite"):
        for suffix in ("", "-wal", "-shm"):
            (target / f"{name}{suffix}").unlink(missing_ok=True)
    return target


def test_sigkill_embedded_stream(data_dir: Path) -> None:
    _run_crash_scenario(data_dir, redis_url=None)


def test_sigkill_redis_stream(data_dir: Path, redis_url: str, redis_client: Any) -> None:
    _run_crash_scenario(data_dir, redis_url=redis_url)
