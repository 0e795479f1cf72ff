"""Sessions through the real API: nothing the listener knows privately reaches the service."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from evaluation.policies import PolicyEnvironment, make_policy
from service.app import create_app
from service.events import FeedbackBatch
from service.indexing import index_catalog
from service.schemas import SearchRequest
from service.settings import Settings
from simulator.api import ServiceApi
from simulator.config import DriftConfig, FeedbackMode, SimulatorConfig
from simulator.session import PlanRequest, SessionRunner
from simulator.world import CatalogWorld

SEARCH_KEYS = {"query", "user_id", "context", "size", "explain", "plan"}
CONTEXT_KEYS = {"locale", "device", "timestamp"}
EVENT_KEYS = {"event_id", "search_id", "type", "entity_id", "position", "timestamp", "play_ms"}


class FixedPlan:
    """Pins one plan; sees no ground truth."""

    uses_ground_truth = False

    def __init__(self, plan: Mapping[str, int] | None) -> None:
        self.plan = plan

    def choose(self, request: PlanRequest) -> Mapping[str, int] | None:
        return self.plan


@pytest.fixture(scope="module")
def data_dir(small_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sim-data")
    index_catalog(small_catalog, directory, Settings(data_dir=directory), strict=True)
    return directory


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir))) as test_client:
        yield test_client


class Capture:
    """Every request body sent and every response received, via httpx event hooks."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.received: list[tuple[str, Any, Any]] = []

    def on_request(self, request: httpx2.Request) -> None:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.url.path, body))

    def on_response(self, response: httpx2.Response) -> None:
        response.read()
        request = response.request
        body = json.loads(request.content) if request.content else None
        self.received.append((request.url.path, body, response.json()))


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_no_intent_or_ground_truth_reaches_the_service(
    client: TestClient, world: CatalogWorld
) -> None:
    capture = Capture()
    client.event_hooks = {"request": [capture.on_request], "response": [capture.on_response]}
    try:
        api = ServiceApi(client)
        env = PolicyEnvironment(strategies=api.strategies())
        records = []
        for name in ("static-bm25", "oracle"):
            runner = SessionRunner(api, world, SimulatorConfig(), 4, make_policy(name, env))
            records += list(runner.run(30))
    finally:
        client.event_hooks = {"request": [], "response": []}

    intended = {r.intent_key.split(":", 1)[1] for r in records if r.intent_key.count(":syn:")}
    intended |= {eid for r in records for eid, grade in r.ideal if grade == r.max_grade}
    searches = [body for path, body in capture.sent if path == "/search"]
    assert len(searches) >= 60
    for body in searches:
        assert set(body) <= SEARCH_KEYS
        assert set(body.get("context", {})) <= CONTEXT_KEYS
        SearchRequest.model_validate(body)
        text = json.dumps(body, ensure_ascii=False)
        assert "syn:" not in text, f"an entity id was sent in a search: {text}"
        assert not any(eid in text for eid in intended)

    shown: dict[str, list[str]] = {}
    probes: set[str] = set()
    for path, request, response in capture.received:
        if path == "/search":
            shown[response["search_id"]] = [hit["entity"]["id"] for hit in response["results"]]
            if "user_id" not in request:
                probes.add(response["search_id"])
    feedback = [body for path, body in capture.sent if path == "/feedback"]
    assert feedback, "listeners engaged with something"
    for body in feedback:
        FeedbackBatch.model_validate(body)
        assert set(body) == {"events"}
        assert _keys(body) <= {"events", *EVENT_KEYS}
        for event in body["events"]:
            assert event["search_id"] not in probes, "probes get no feedback"
            assert shown[event["search_id"]][event["position"] - 1] == event["entity_id"]
    assert all(r.feedback_rejected == 0 for r in records)
    assert sum(r.feedback_accepted for r in records) > 0
    oracle_probes = [r.probes for r in records[30:]]
    assert min(oracle_probes) >= 1


def test_same_seed_same_sessions(client: TestClient, world: CatalogWorld) -> None:
    api = ServiceApi(client)

    def run(seed: int) -> list[tuple[str, str, str, str]]:
        config = SimulatorConfig(feedback=FeedbackMode.OFF)
        runner = SessionRunner(api, world, config, seed, FixedPlan({"bm25": 50}))
        return [(r.user_id, r.intent_key, r.query, r.template) for r in runner.run(20)]

    first = run(8)
    assert first == run(8)
    assert first != run(9)


def test_drift_brings_a_new_head_from_its_session_on(
    client: TestClient, world: CatalogWorld
) -> None:
    api = ServiceApi(client)

    def heads(config: SimulatorConfig) -> list[tuple[int, str]]:
        runner = SessionRunner(api, world, config, 3, FixedPlan({"bm25": 10}))
        return [(r.session, r.intent_key) for r in runner.run(60) if r.head]

    stationary = heads(SimulatorConfig(feedback=FeedbackMode.OFF))
    drifting = heads(SimulatorConfig(feedback=FeedbackMode.OFF, drift=DriftConfig(at_session=30)))
    before = [key for session, key in drifting if session < 30]
    assert before == [key for session, key in stationary if session < 30]
    old_head = {key for _, key in stationary}
    after = [key for session, key in drifting if session >= 30]
    assert after
    assert sum(key in old_head for key in after) < len(after) / 2


def test_feedback_off_sends_none_and_service_default_plan(
    client: TestClient, world: CatalogWorld
) -> None:
    paths: list[str] = []
    client.event_hooks = {"request": [lambda request: paths.append(request.url.path)]}
    try:
        config = SimulatorConfig(feedback=FeedbackMode.OFF)
        runner = SessionRunner(ServiceApi(client), world, config, 1, FixedPlan(None))
        records = list(runner.run(10))
    finally:
        client.event_hooks = {"request": []}
    assert "/feedback" not in paths
    assert all(r.plan_sent is None and r.plan_source == "default" for r in records)
    assert all(r.feedback_accepted == 0 for r in records)


def test_strategies_come_from_the_service(client: TestClient) -> None:
    api = ServiceApi(client)
    assert "bm25" in api.strategies()
    assert set(api.strategies()) == set(client.app.state.settings.pipeline.strategies)  # type: ignore[attr-defined]
    assert api.supports_feedback()
