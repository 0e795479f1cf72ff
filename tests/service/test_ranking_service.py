"""The ranking stage in the service: logged features, a model trained from them, the registry's
admin endpoints, pinned rankers, fallback to RRF, hot reload under load, randomized swaps."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ranker.config import RankerConfig
from ranker.fit import Debias, fit_from_logs
from ranker.interventions import SwapConfig
from ranker.logged import read_training, swap_observations
from service.app import create_app
from service.app_state import LEARNING_LOG_FILE, Services
from service.settings import FeedbackConfig, Settings

TOKEN = "admin-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
QUERIES = [
    "bohemian rhapsody",
    "queen",
    "abba",
    "david bowie",
    "dancing queen",
    "heroes",
    "rhapsody in blue",
    "under pressure",
    "jazz",
    "rock",
    "true crime podcast",
    "classic rock",
]


@pytest.fixture(scope="module")
def app_client(
    fixture_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """An app on its own data dir copy, with an admin token and swaps on a third of searches."""
    data_dir = tmp_path_factory.mktemp("ranking") / "data"
    shutil.copytree(fixture_data_dir, data_dir)
    for learned in data_dir.glob(f"{LEARNING_LOG_FILE}*"):  # other tests' feedback: not ours
        learned.unlink()
    settings = Settings(
        data_dir=data_dir,
        admin_token=TOKEN,
        feedback=FeedbackConfig(in_process_worker=False),
        ranker=RankerConfig(refresh_s=0.2, swaps=SwapConfig(rate=0.3, max_position=5)),
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def _search(client: TestClient, query: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/search", json={"query": query, "size": 8, "explain": True, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _feedback(client: TestClient, search: dict[str, Any], tag: str, clicked: int | None) -> None:
    """Impressions of the whole page, and a long play of the result at ``clicked`` (1-based)."""
    now = datetime.now(UTC).isoformat()
    events = [
        {
            "event_id": f"{tag}-imp-{rank}",
            "search_id": search["search_id"],
            "type": "impression",
            "entity_id": hit["entity"]["id"],
            "position": rank,
            "timestamp": now,
        }
        for rank, hit in enumerate(search["results"], start=1)
    ]
    if clicked is not None and clicked <= len(search["results"]):
        events.append(
            {
                "event_id": f"{tag}-play",
                "search_id": search["search_id"],
                "type": "play",
                "entity_id": search["results"][clicked - 1]["entity"]["id"],
                "position": clicked,
                "timestamp": now,
                "play_ms": 120_000,
            }
        )
    response = client.post("/feedback", json={"events": events})
    assert response.status_code == 202, response.text


@pytest.fixture(scope="module")
def trained_version(app_client: TestClient) -> str:
    """A model trained from this app's own logged searches and feedback, registered."""
    services = _services(app_client)
    rng = np.random.default_rng(7)
    for round_ in range(6):
        for i, query in enumerate(QUERIES):
            search = _search(app_client, query)
            _feedback(app_client, search, f"r{round_}q{i}", int(rng.integers(1, 5)))
    services.worker.drain()
    spec = services.ranking.spec
    result = fit_from_logs(
        services.settings.data_dir / LEARNING_LOG_FILE, spec, debias=Debias.LIGHTGBM
    )
    record = services.registry.register(result.model, spec, trained_on=result.span)
    return record.version


def test_rrf_serves_without_a_model_and_logs_the_served_features(app_client: TestClient) -> None:
    services = _services(app_client)
    assert services.registry.active() is None
    body = _search(app_client, "bohemian rhapsody")
    assert body["explain"]["ranker"] == "rrf"
    assert "ranker_scores" not in body["explain"]
    decision = services.decisions.get(body["search_id"])
    assert decision is not None
    assert decision.features is not None
    features = decision.features
    shown = [hit["entity"]["id"] for hit in body["results"]]
    assert features["spec"] == services.ranking.spec.version
    assert features["shown"] == len(shown)
    assert features["ids"][: len(shown)] == shown  # shown rows first, in shown order
    unshown = features["ids"][len(shown) :]
    assert len(unshown) == min(10, body["total_candidates"] - len(shown))
    assert not set(unshown) & set(shown)
    assert len(features["rows"][0]) == len(services.ranking.spec)


def test_feedback_joins_the_served_features_into_training_data(
    app_client: TestClient, trained_version: str
) -> None:
    services = _services(app_client)
    path = services.settings.data_dir / LEARNING_LOG_FILE
    data = read_training(path, services.ranking.spec)
    # every search got a long play on one shown result: label 2 there, 0 elsewhere
    assert data.searches >= len(QUERIES) * 6 - 2
    assert set(np.unique(data.dataset.labels)) == {0, 2}
    assert (data.dataset.labels == 2).sum() == data.searches
    assert data.dataset.positions is not None
    assert data.dataset.positions.max() <= 7
    observations = swap_observations(path, services.ranking.spec)
    swapped = [o for o in observations if o.swap is not None]
    assert 0 < len(swapped) < len(observations)
    assert all(o.swap is not None and o.swap.b < 5 for o in swapped)
    assert trained_version in {m.version for m in services.registry.list()}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/ranker/models"),
        ("POST", "/admin/ranker/deactivate"),
        ("POST", "/admin/ranker/rollback"),
    ],
)
def test_admin_endpoints_need_the_token(
    app_client: TestClient, client: TestClient, method: str, path: str
) -> None:
    assert app_client.request(method, path).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-0123456789"}
    response = app_client.request(method, path, headers=wrong)
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # the shared test app has no token configured: the endpoints are off
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 403
    assert "LTRR_ADMIN_TOKEN" in response.json()["detail"]
    assert _services(app_client).registry.state().serial == 0, "refused requests change nothing"


def test_activated_model_orders_and_explains_the_results(
    app_client: TestClient, trained_version: str
) -> None:
    services = _services(app_client)
    unknown = app_client.post("/admin/ranker/activate", json={"version": "nope"}, headers=AUTH)
    assert unknown.status_code == 404
    assert "unknown model version" in unknown.json()["detail"]
    response = app_client.post(
        "/admin/ranker/activate", json={"version": trained_version}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] == trained_version
    assert response.json()["serving"] == trained_version
    try:
        for query in QUERIES[:4]:
            body = _search(app_client, query)
            explain = body["explain"]
            assert explain["ranker"] == trained_version
            scores = [explain["ranker_scores"][hit["entity"]["id"]] for hit in body["results"]]
            assert scores == [hit["score"] for hit in body["results"]]
            swap = explain.get("swap")
            if swap is not None:  # undo the randomized swap to see the model's order
                scores[swap["a"]], scores[swap["b"]] = scores[swap["b"]], scores[swap["a"]]
            assert scores == sorted(scores, reverse=True)
            contributions = explain["ranker_contributions"]
            names = set(services.ranking.spec.names)
            for hit in body["results"]:
                top = contributions[hit["entity"]["id"]]
                assert 1 <= len(top) <= 5
                assert {name for name, _ in top} <= names
            decision = services.decisions.get(body["search_id"])
            assert decision is not None
            assert decision.ranker == trained_version
        # a pinned ranker wins over the active one; an unknown one is refused
        assert _search(app_client, "queen", ranker="rrf")["explain"]["ranker"] == "rrf"
        bad = app_client.post("/search", json={"query": "queen", "ranker": "no-such-model"})
        assert bad.status_code == 422
        assert "unknown model version" in bad.json()["detail"]
    finally:
        rolled = app_client.post("/admin/ranker/rollback", headers=AUTH)
    # the first activation rolls back to no model: RRF serves again, on this replica at once
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["active"], rolled.json()["serving"]) == (None, "rrf")
    assert services.registry.active_token() == "rrf:2"
    assert _search(app_client, "queen")["explain"]["ranker"] == "rrf"
    nothing = app_client.post("/admin/ranker/rollback", headers=AUTH)
    assert nothing.status_code == 409
    assert nothing.json()["detail"] == (
        "nothing to roll back to: nothing served before RRF (no model) is kept"
    )


def test_deactivate_returns_to_rrf_and_rollback_undoes_it(
    app_client: TestClient, trained_version: str
) -> None:
    services = _services(app_client)
    idle = app_client.post("/admin/ranker/deactivate", headers=AUTH)
    assert idle.status_code == 200, idle.text
    assert (idle.json()["active"], idle.json()["serving"]) == (None, "rrf")
    serial = services.registry.state().serial
    response = app_client.post(
        "/admin/ranker/activate", json={"version": trained_version}, headers=AUTH
    )
    assert response.json()["serving"] == trained_version
    assert _search(app_client, "abba")["explain"]["ranker"] == trained_version

    off = app_client.post("/admin/ranker/deactivate", headers=AUTH)
    assert off.status_code == 200, off.text
    body = off.json()
    assert (body["active"], body["serving"], body["serving_error"]) == (None, "rrf", None)
    assert trained_version in {m["version"] for m in body["models"]}, "the model stays registered"
    assert services.registry.active_token() == f"rrf:{serial + 2}"
    assert _search(app_client, "abba")["explain"]["ranker"] == "rrf"
    [last, *_] = services.registry.history()
    assert (last.action, last.version, last.previous) == ("deactivate", None, trained_version)

    back = app_client.post("/admin/ranker/rollback", headers=AUTH)
    assert back.status_code == 200, back.text
    assert back.json()["active"] == back.json()["serving"] == trained_version
    assert _search(app_client, "abba")["explain"]["ranker"] == trained_version


class _Broken:
    version = "broken"

    def score(self, features: Any) -> Any:
        raise RuntimeError("model file corrupted")

    def explain(self, features: Any, top: int) -> Any:
        raise AssertionError("not reached")


def test_a_failing_model_falls_back_to_rrf(app_client: TestClient) -> None:
    services = _services(app_client)
    holder = services.ranking.holder
    saved = holder.ranker
    holder.ranker = _Broken()  # type: ignore[assignment]
    try:
        body = _search(app_client, "abba")
    finally:
        holder.ranker = saved
    assert body["explain"]["ranker"] == "rrf"
    assert "model file corrupted" in body["explain"]["ranker_fallback"]
    assert body["results"]
    metrics = app_client.get("/metrics").text
    assert 'ltrr_ranker_fallbacks_total{reason="RuntimeError"} 1.0' in metrics


def test_hot_reload_under_concurrent_searches(app_client: TestClient, trained_version: str) -> None:
    """Searches in flight while the active model flips between two versions never fail."""
    services = _services(app_client)
    spec = services.ranking.spec
    naive = fit_from_logs(services.settings.data_dir / LEARNING_LOG_FILE, spec, debias=Debias.NONE)
    other = services.registry.register(naive.model, spec, trained_on=naive.span).version
    assert other != trained_version
    start = app_client.post(
        "/admin/ranker/activate", json={"version": trained_version}, headers=AUTH
    )
    assert start.json()["serving"] == trained_version, "searches start on a model, not RRF"
    stop = threading.Event()
    statuses: list[int] = []
    rankers: set[str] = set()

    def searcher(i: int) -> None:
        while not stop.is_set():
            response = app_client.post(
                "/search", json={"query": QUERIES[i % len(QUERIES)], "explain": True}
            )
            statuses.append(response.status_code)
            if response.status_code == 200:
                rankers.add(response.json()["explain"]["ranker"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(searcher, i) for i in range(4)]
        for _ in range(5):
            for version in (other, trained_version):
                ok = app_client.post(
                    "/admin/ranker/activate", json={"version": version}, headers=AUTH
                )
                assert ok.status_code == 200
                assert ok.json()["serving"] == version
            back = app_client.post("/admin/ranker/rollback", headers=AUTH)
            assert back.status_code == 200
            assert back.json()["serving"] == other
            ok = app_client.post(
                "/admin/ranker/activate", json={"version": trained_version}, headers=AUTH
            )
            assert ok.status_code == 200
        stop.set()
        for future in futures:
            future.result()
    assert statuses
    assert set(statuses) == {200}
    assert trained_version in rankers
    assert rankers <= {trained_version, other}
    assert _search(app_client, "queen")["explain"]["ranker"] == trained_version
    models = app_client.get("/admin/ranker/models", headers=AUTH).json()
    assert models["active"] == models["serving"] == trained_version
