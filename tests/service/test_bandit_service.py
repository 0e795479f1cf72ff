"""The plan bandit inside the service: explain, one reward per search, restarts, metrics."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bandit.config import BanditConfig, RewardConfig
from service.app import create_app
from service.app_state import Services
from service.settings import Settings

WINDOW_S = 0.3


def bandit_settings(data_dir: Path, **overrides: Any) -> Settings:
    bandit = {
        "enabled": True,
        "cold_start_rewards": 3,
        "snapshot_every": 4,
        "reward": RewardConfig(window_s=WINDOW_S),
        **overrides,
    }
    return Settings(data_dir=data_dir, bandit=BanditConfig.model_validate(bandit))


@pytest.fixture
def data_dir(fixture_data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(fixture_data_dir, target)
    return target


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(bandit_settings(data_dir))) as test_client:
        yield test_client


def services(client: TestClient) -> Services:
    return client.app.state.services  # type: ignore[attr-defined, no-any-return]


def search(client: TestClient, query: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/search", json={"query": query, "explain": True, **extra})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def event(body: dict[str, Any], kind: str, rank: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "search_id": body["search_id"],
        "type": kind,
        "entity_id": body["results"][rank - 1]["entity"]["id"],
        "position": rank,
        "timestamp": datetime.now(UTC).isoformat(),
        **extra,
    }


def send(client: TestClient, events: list[dict[str, Any]]) -> None:
    response = client.post("/feedback", json={"events": events})
    assert response.status_code == 202, response.text


def settle(client: TestClient) -> None:
    """Apply everything queued and let the no-engagement window pass."""
    svc = services(client)
    svc.worker.drain()
    time.sleep(WINDOW_S + 0.05)
    svc.worker.drain()
    svc.worker.run_once()


def test_explain_shows_the_bandit_decision(client: TestClient) -> None:
    body = search(client, "bohemian rhapsody", context={"device": "mobile", "locale": "en-US"})
    explain = body["explain"]
    assert explain["plan_source"] == "bandit"
    bandit = explain["bandit"]
    assert 0 < bandit["propensity"] <= 1
    assert bandit["pmf"][0][1] >= bandit["pmf"][-1][1]
    assert bandit["context"]["d"] == {"device_mobile": 1.0, "locale_en": 1.0}
    assert set(bandit["strategy_stats"]) == {"bm25", "dense", "structured", "memory"}
    support = bandit["context"]["x"]
    # What bm25 and memory have for a title (all of its tokens indexed, pairs stored);
    # structured search has no anchor in title words; dense cannot tell before searching.
    assert support["bm25_cov"] == 1.0
    assert support["bm25_m"] > 0
    assert support["memory_cov"] == 1.0
    assert support["memory_m"] > 0
    assert support["structured_cov"] == 0.0
    assert support["structured_m"] == 0.0
    assert not any(name.startswith("dense") for name in support)
    assert bandit["cold_start"] is True
    assert sum(explain["plan"].values()) <= 300
    assert "plan" in explain["stage_ms"]
    logged = services(client).decisions.get(body["search_id"])
    assert logged is not None
    assert logged.plan_source == "bandit"
    assert logged.propensity == bandit["propensity"]
    assert logged.bandit is not None
    assert logged.bandit.features == bandit["context"]


def test_without_support_the_context_holds_none(data_dir: Path) -> None:
    """``SUPPORT=false``: no strategy is asked, and its snapshots carry another feature spec."""
    from bandit.snapshot import feature_spec

    settings = bandit_settings(data_dir, support=False)
    assert feature_spec(settings.bandit) != feature_spec(bandit_settings(data_dir).bandit)
    with TestClient(create_app(settings)) as test_client:
        context = search(test_client, "bohemian rhapsody")["explain"]["bandit"]["context"]
    assert "x" not in context or context["x"] == {}


def test_one_reward_per_search_however_many_events(client: TestClient) -> None:
    body = search(client, "bohemian rhapsody")
    impressions = [event(body, "impression", rank) for rank in (1, 2, 3)]
    engaged = [
        event(body, "click", 1),
        event(body, "play", 1, play_ms=200_000),
        event(body, "like", 1),
    ]
    send(client, impressions + engaged)
    send(client, engaged)  # replayed by the client: duplicates
    settle(client)
    ledger = services(client).bandit.learner.ledger  # type: ignore[union-attr]
    assert ledger.counts() == {"success": 1, "open": 0}
    assert services(client).bandit.holder.policy.rewards_learned == 1  # type: ignore[union-attr]


def test_searches_without_engagement_close_as_failures(client: TestClient) -> None:
    for _ in range(3):
        body = search(client, "songs for a rainy sunday")
        send(client, [event(body, "impression", 1), event(body, "skip", 1)])
    body = search(client, "bohemian rhapsody")
    send(client, [event(body, "impression", 1), event(body, "play", 1, play_ms=1_000)])
    settle(client)
    ledger = services(client).bandit.learner.ledger  # type: ignore[union-attr]
    # A one-second play is not a success: that search closes with the window too.
    assert ledger.counts() == {"window": 4, "open": 0}
    rows = list(ledger.closed_after(0))
    assert all(not row.outcome.success and row.outcome.reward < 0 for row in rows)


def test_pinned_plans_are_not_learned_from(client: TestClient) -> None:
    body = search(client, "bohemian rhapsody", plan={"bm25": 10})
    assert body["explain"]["plan_source"] == "pinned"
    assert "bandit" not in body["explain"]
    send(client, [event(body, "impression"), event(body, "click")])
    settle(client)
    assert services(client).bandit.learner.ledger.counts() == {"open": 0}  # type: ignore[union-attr]


def test_restart_learns_every_reward_exactly_once(data_dir: Path) -> None:
    settings = bandit_settings(data_dir, snapshot_every=1000, snapshot_interval_s=3600)

    def rewarded_searches(client: TestClient, n: int) -> None:
        for i in range(n):
            body = search(client, "bohemian rhapsody" if i % 2 else "queen")
            send(client, [event(body, "impression"), event(body, "click")])
        settle(client)

    with TestClient(create_app(settings)) as first:
        rewarded_searches(first, 6)
        runtime = services(first).bandit
        assert runtime is not None
        assert runtime.learner is not None
        runtime.learner.publish()
        published = runtime.holder.store.latest_version()
        assert published == 1
        rewarded_searches(first, 2)  # learned, not yet in a snapshot
        assert runtime.holder.policy.rewards_learned == 8
        assert runtime.learner.pending == 2
        # A crash now: the process dies before its next snapshot.
        runtime.learner._since_publish = 0
    with TestClient(create_app(settings)) as second:
        runtime = services(second).bandit
        assert runtime is not None
        assert runtime.learner is not None
        # The snapshot had 6; the ledger replayed the other 2, and nothing twice.
        assert runtime.holder.policy.rewards_learned == 8
        assert runtime.learner.ledger.counts() == {"success": 8, "open": 0}
        assert runtime.holder.policy.version == published
        metrics = second.get("/metrics").text
    assert "ltrr_bandit_decisions_total" in metrics
    assert "ltrr_bandit_policy_version" in metrics


def test_metrics_count_plans_and_rewards(client: TestClient) -> None:
    for _ in range(4):
        body = search(client, "queen")
        send(client, [event(body, "impression"), event(body, "click")])
    settle(client)
    text = client.get("/metrics").text
    lines = {
        line.split(" ")[0]: line.split(" ")[1] for line in text.splitlines() if line[:1] != "#"
    }
    assert float(lines["ltrr_bandit_decisions_total"]) == 4
    assert float(lines['ltrr_bandit_rewards_total{outcome="success"}']) == 4
    plans = [k for k in lines if k.startswith("ltrr_bandit_plans_total")]
    assert sum(float(lines[k]) for k in plans) == 16  # four strategies per decision
    assert float(lines["ltrr_bandit_policy_version"]) >= 1


def test_a_frozen_policy_serves_its_snapshot_and_learns_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    from evaluation.policy_setup import install_snapshot, settings_for

    with TestClient(create_app(bandit_settings(data_dir))) as teacher:
        for _ in range(6):
            body = search(teacher, "queen")
            send(teacher, [event(body, "impression"), event(body, "click")])
        settle(teacher)
        runtime = services(teacher).bandit
        assert runtime is not None
        assert runtime.learner is not None
        runtime.learner.publish()
        version = runtime.holder.store.latest_version()
        blob = runtime.holder.store.load(version)
    assert blob is not None
    snapshot = tmp_path / "policy.snap"
    snapshot.write_bytes(blob)

    fresh = tmp_path / "fresh"
    shutil.copytree(data_dir, fresh, ignore=shutil.ignore_patterns("bandit"))
    install_snapshot(snapshot, fresh)
    settings = settings_for("bandit-frozen", fresh, seed=0)
    assert settings.bandit.enabled
    assert not settings.bandit.learn
    with TestClient(create_app(settings)) as frozen:
        runtime = services(frozen).bandit
        assert runtime is not None
        assert runtime.learner is None
        body = search(frozen, "queen")
        assert body["explain"]["bandit"]["policy_version"] == version
        send(frozen, [event(body, "impression"), event(body, "click")])
        services(frozen).worker.drain()
        assert runtime.holder.policy.rewards_learned == 6
