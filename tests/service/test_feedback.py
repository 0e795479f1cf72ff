"""``POST /feedback``: validation, durable queueing, exactly-once application."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from retrievers.memory_base import MemoryConfig
from service.app import create_app
from service.app_state import Services
from service.settings import FeedbackConfig, Settings
from service.worker import MemoryApplier


@pytest.fixture(scope="module")
def app_client(
    fixture_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """An app with its own copy of the data dir and no background worker (tests drain)."""
    data_dir = tmp_path_factory.mktemp("feedback") / "data"
    shutil.copytree(fixture_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, feedback=FeedbackConfig(in_process_worker=False))
    with TestClient(create_app(settings)) as client:
        yield client


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _search(client: TestClient, query: str = "bohemian rhapsody") -> dict[str, Any]:
    response = client.post("/search", json={"query": query, "size": 5})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _event(
    search: dict[str, Any], event_id: str, kind: str = "click", position: int = 1, **extra: Any
) -> dict[str, Any]:
    event = {
        "event_id": event_id,
        "search_id": search["search_id"],
        "type": kind,
        "entity_id": search["results"][position - 1]["entity"]["id"],
        "position": position,
        "timestamp": _now(),
    }
    if kind == "play":
        event["play_ms"] = 45_000
    event.update(extra)
    return event


def test_accepted_events_are_applied_once(app_client: TestClient) -> None:
    search = _search(app_client)
    events = [
        _event(search, "ok-1", "impression"),
        _event(search, "ok-2", "click"),
        _event(search, "ok-3", "play"),
        _event(search, "ok-4", "impression", position=2),
    ]
    response = app_client.post("/feedback", json={"events": events})
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 4, "duplicates": 0, "rejected": []}
    again = app_client.post("/feedback", json={"events": events[:2]})
    assert again.status_code == 202
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}

    services = _services(app_client)
    assert services.worker.drain() == 4
    log = services.learning_log
    assert {"ok-1", "ok-2", "ok-3", "ok-4"} <= set(log.event_ids())
    outcomes = [o for o in log.outcomes() if o.search_id == search["search_id"]]
    # two engagements (click, play) x every strategy the default plan called
    called = [name for name, depth in services.default_plan.depths.items() if depth > 0]
    assert len(outcomes) == 2 * len(called)
    assert {o.strategy for o in outcomes} == set(called)
    bm25 = [o for o in outcomes if o.strategy == "bm25"]
    assert all(o.found and o.rank == 1 for o in bm25)
    assert services.worker.drain() == 0


def test_feedback_on_a_query_memory_cannot_hold_is_applied(app_client: TestClient) -> None:
    """An emoji-only query has no memory key; its click still reaches every other applier
    (learning log, bandit) at once instead of failing five times into the dead letters."""
    search = _search(app_client, "🔥🔥🔥")
    assert search["results"], "dense retrieval answers a query without words"
    services = _services(app_client)
    registry = services.metrics.registry

    def dead() -> float | None:
        return registry.get_sample_value("ltrr_feedback_dead_letters_total", {"reason": "failed"})

    before = dead()
    response = app_client.post("/feedback", json={"events": [_event(search, "emoji-1")]})
    assert response.status_code == 202
    assert services.worker.drain() == 1
    assert "emoji-1" in set(services.learning_log.event_ids())
    assert dead() == before


def test_mixed_batch_reports_each_rejection(app_client: TestClient) -> None:
    search = _search(app_client)
    good = _event(search, "mixed-good")
    forged = _event(search, "mixed-forged", search_id=search["search_id"][:-2] + "xx")
    unknown_entity = _event(search, "mixed-entity", entity_id="fx:not-shown")
    wrong_position = _event(search, "mixed-pos", position=1)
    wrong_position["position"] = 4
    future = _event(
        search, "mixed-future", timestamp=(datetime.now(UTC) + timedelta(days=2)).isoformat()
    )
    past = _event(
        search, "mixed-past", timestamp=(datetime.now(UTC) - timedelta(days=2)).isoformat()
    )
    response = app_client.post(
        "/feedback", json={"events": [good, forged, unknown_entity, wrong_position, future, past]}
    )
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    reasons = {r["event_id"]: r["reason"] for r in body["rejected"]}
    assert "signature" in reasons["mixed-forged"]
    assert "was not shown" in reasons["mixed-entity"]
    assert "position" in reasons["mixed-pos"]
    assert "future" in reasons["mixed-future"]
    assert "before the search" in reasons["mixed-past"]


def test_all_rejected_is_422_with_reasons(app_client: TestClient) -> None:
    search = _search(app_client)
    forged = _event(search, "all-bad", search_id="0" * 32 + ".AAAAAAAAAAAAAAAAAAAAAA")
    response = app_client.post("/feedback", json={"events": [forged]})
    assert response.status_code == 422
    body = response.json()
    assert "signature" in body["detail"]
    assert body["rejected"][0]["event_id"] == "all-bad"


BAD_EVENTS: list[tuple[dict[str, Any], str]] = [
    ({"type": "purchase"}, "type"),
    ({"type": "play", "play_ms": None}, "play_ms"),
    ({"type": "click", "play_ms": 100}, "play_ms is only allowed"),
    ({"position": 0}, "position"),
    ({"timestamp": "2026-11-23T10:00:00"}, "time zone"),
    ({"timestamp": "yesterday"}, "timestamp"),
    ({"event_id": ""}, "event_id"),
    ({"event_id": "has space"}, "event_id"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("change", "message"), BAD_EVENTS)
def test_malformed_events_are_422(
    app_client: TestClient, change: dict[str, Any], message: str
) -> None:
    search = _search(app_client)
    event = _event(search, "malformed", "click")
    event.update(change)
    event = {k: v for k, v in event.items() if v is not None}
    response = app_client.post("/feedback", json={"events": [event]})
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"events": []}, "events"),
        ({}, "events"),
        ({"events": "click"}, "events"),
    ],
)
def test_bad_batches_are_422(app_client: TestClient, body: Any, message: str) -> None:
    response = app_client.post("/feedback", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_oversized_batch_is_refused(app_client: TestClient) -> None:
    search = _search(app_client)
    events = [_event(search, f"big-{i}", "impression") for i in range(1001)]
    response = app_client.post("/feedback", json={"events": events})
    assert response.status_code in (413, 422)
    assert "events" in response.json()["detail"] or "exceeds" in response.json()["detail"]


def test_malformed_json_is_400(app_client: TestClient) -> None:
    response = app_client.post(
        "/feedback", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_feedback_metrics(app_client: TestClient) -> None:
    text = app_client.get("/metrics").text
    assert 'ltrr_feedback_events_total{outcome="accepted"}' in text
    assert "ltrr_feedback_applied_total" in text


def test_in_process_worker_applies_in_background(client: TestClient) -> None:
    """The session app runs the default in-process worker."""
    import time

    search = _search(client, "queen")
    response = client.post("/feedback", json={"events": [_event(search, "bg-1", "like")]})
    assert response.status_code == 202
    services = _services(client)
    deadline = time.monotonic() + 10
    while "bg-1" not in services.learning_log.event_ids():
        assert time.monotonic() < deadline, "the in-process worker did not apply the event"
        time.sleep(0.05)


def test_memory_learns_a_misspelled_head_query(app_client: TestClient) -> None:
    """Ten plays of one track after `tayler love` make memory rank it first for that query."""
    first = app_client.post("/search", json={"query": "tayler love", "size": 10}).json()
    ids = [hit["entity"]["id"] for hit in first["results"]]
    target = ids[-1]  # a track memory does not rank first on its own
    before = app_client.post(
        "/search", json={"query": "tayler love", "size": 10, "plan": {"memory": 25}}
    ).json()
    assert [h["entity"]["id"] for h in before["results"][:1]] != [target]

    services = _services(app_client)
    for i in range(10):
        search = app_client.post("/search", json={"query": "tayler love", "size": 10}).json()
        position = [h["entity"]["id"] for h in search["results"]].index(target) + 1
        event = _event(search, f"learn-{i}", "play", position=position)
        assert app_client.post("/feedback", json={"events": [event]}).status_code == 202
    services.worker.drain()

    after = app_client.post(
        "/search", json={"query": "tayler love", "size": 10, "plan": {"memory": 25}}
    ).json()
    assert after["results"][0]["entity"]["id"] == target
    assert after["results"][0]["strategies"] == ["memory"]


@pytest.mark.parametrize("learn", [True, False])
def test_memory_learns_from_feedback_only_when_set_to(
    fixture_data_dir: Path, tmp_path: Path, learn: bool
) -> None:
    """``LTRR_MEMORY__LEARN=false``: the worker applies feedback to everything but the memory."""
    data_dir = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data_dir)
    settings = Settings(
        data_dir=data_dir,
        feedback=FeedbackConfig(in_process_worker=False),
        memory=MemoryConfig(learn=learn),
    )
    with TestClient(create_app(settings)) as client:
        services = _services(client)
        assert any(isinstance(a, MemoryApplier) for a in services.worker.appliers) is learn
        memory = services.env.memory()
        search = _search(client, "tayler love")
        shown = [hit["entity"]["id"] for hit in search["results"]]
        before = memory.scores_for("tayler love", shown)
        events = [
            _event(search, f"frozen-{learn}-{i}", "play", position=i + 1) for i in range(len(shown))
        ]
        assert client.post("/feedback", json={"events": events}).status_code == 202
        assert services.worker.drain() == len(events)
        assert {e["event_id"] for e in events} <= set(services.learning_log.event_ids())
        after = memory.scores_for("tayler love", shown)
    assert (after != before) is learn
    if learn:
        assert all(after[eid].events == 1 for eid in shown)
