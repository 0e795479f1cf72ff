"""The HTTP API over the fixture catalog: answers, explanations, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from service.signing import SearchIdSigner


def _search(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/search", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_bohemian_rhapsody_ranks_queen_first(client: TestClient) -> None:
    top = _search(client, query="bohemian rhapsody")["results"][0]["entity"]
    assert top["title"] == "Bohemian Rhapsody"
    assert top["artists"] == ["Queen"]
    assert top["type"] == "track"


def test_get_search_quick_form(client: TestClient) -> None:
    response = client.get("/search", params={"q": "bohemian rhapsody", "size": 3, "type": "track"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["results"]) <= 3
    assert body["results"][0]["entity"]["artists"] == ["Queen"]
    assert all(hit["entity"]["type"] == "track" for hit in body["results"])


def test_response_shape_and_signed_id(client: TestClient, settings: Any) -> None:
    body = _search(
        client,
        query="love story",
        size=5,
        user_id="u1",
        context={"locale": "en-US", "device": "mobile", "timestamp": "2026-11-23T10:00:00Z"},
    )
    assert SearchIdSigner(settings.signing_secret).verify(body["search_id"])
    assert 1 <= len(body["results"]) <= 5
    assert [hit["rank"] for hit in body["results"]] == list(range(1, len(body["results"]) + 1))
    plan = settings.pipeline.default_plan
    assert all(hit["strategies"] and set(hit["strategies"]) <= set(plan) for hit in body["results"])
    assert body["took_ms"] > 0
    assert "explain" not in body


def test_explain_shows_plan_and_candidates(client: TestClient, settings: Settings) -> None:
    body = _search(client, query="love", explain=True, size=5)
    explain = body["explain"]
    assert explain["plan"] == settings.pipeline.default_plan
    assert explain["plan_source"] == "default"
    assert explain["ranker"] == "rrf"
    assert len(explain["candidates"]["bm25"]) >= len(body["results"])
    assert set(explain["stage_ms"]) >= {"understand", "fanout", "fuse", "hydrate", "log"}
    parse = explain["understanding"]
    assert parse["normalized"] == "love"
    assert len(parse["interpretations"]) >= 2


def test_explain_shows_each_strategy_and_the_parse(client: TestClient, settings: Settings) -> None:
    body = _search(client, query="90s rock", explain=True, size=10)
    explain = body["explain"]
    assert set(explain["candidates"]) == set(settings.pipeline.default_plan)
    kinds = {slot["kind"] for slot in explain["understanding"]["interpretations"][0]["slots"]}
    assert {"decade", "genre"} <= kinds


def test_pinned_plan(client: TestClient) -> None:
    body = _search(client, query="queen", explain=True, plan={"structured": 25})
    assert body["explain"]["plan"] == {"structured": 25}
    assert body["explain"]["plan_source"] == "pinned"
    assert set(body["explain"]["candidates"]) == {"structured"}


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"nope": 10}, "unknown strategies"),
        ({"bm25": 0}, "calls no strategy"),
        ({"bm25": 1000, "structured": 1000}, "over the budget"),
        ({"bm25": -1}, "plan"),
        ({"bm25": "many"}, "plan"),
    ],
)
def test_bad_pinned_plans(client: TestClient, plan: dict[str, Any], message: str) -> None:
    response = client.post("/search", json={"query": "queen", "plan": plan})
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_every_search_is_logged_as_a_decision(client: TestClient, settings: Settings) -> None:
    body = _search(client, query="queen", size=3)
    services = client.app.state.services  # type: ignore[attr-defined]
    decision = services.decisions.get(body["search_id"])
    assert decision is not None
    assert decision.query == "queen"
    assert decision.shown == [hit["entity"]["id"] for hit in body["results"]]
    assert decision.plan == settings.pipeline.default_plan
    assert len(decision.candidates["bm25"]) >= 3


def test_filters_restrict_results(client: TestClient) -> None:
    body = _search(
        client,
        query="rock",
        size=50,
        filters={"year_min": 1990, "year_max": 1999, "genres": ["rock"], "types": ["track"]},
    )
    assert body["results"], "the fixture catalog has 90s rock tracks"
    for hit in body["results"]:
        entity = hit["entity"]
        assert 1990 <= entity["release_year"] <= 1999
        assert "rock" in entity["genres"]
        assert entity["type"] == "track"


def test_clean_filter_excludes_explicit(client: TestClient) -> None:
    body = _search(client, query="love", size=100, filters={"explicit": False})
    assert all(not hit["entity"]["explicit"] for hit in body["results"])


def test_get_entity_and_404(client: TestClient) -> None:
    top = _search(client, query="bohemian rhapsody")["results"][0]["entity"]
    response = client.get(f"/entities/{top['id']}")
    assert response.status_code == 200
    assert response.json() == top
    missing = client.get("/entities/no-such-entity")
    assert missing.status_code == 404
    assert "no-such-entity" in missing.json()["detail"]


def test_health_ready_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["detail"]["entities"] > 100
    _search(client, query="queen")
    text = client.get("/metrics").text
    assert 'ltrr_http_requests_total{endpoint="/search",method="POST",status="200"}' in text
    assert 'ltrr_pipeline_stage_duration_seconds_bucket{le="0.001",stage="retrieve:bm25"}' in text
    assert "ltrr_strategy_failures" in text


BAD_BODIES: list[tuple[Any, str]] = [
    ({"query": ""}, "query"),
    ({"query": "   \t "}, "at least one non-whitespace character"),
    ({"query": "x" * 600}, "at most 512 characters"),
    ({"query": "love", "size": 0}, "size"),
    ({"query": "love", "size": 1001}, "size"),
    ({"query": "love", "size": "ten"}, "size"),
    ({"query": 42}, "query"),
    ({"query": "love", "filters": {"colour": "red"}}, "colour"),
    ({"query": "love", "filters": {"types": ["song"]}}, "types"),
    (
        {"query": "love", "filters": {"year_min": 2000, "year_max": 1990}},
        "year_min must not exceed",
    ),
    ({"query": "love", "context": {"locale": "not a locale"}}, "locale"),
    ({"query": "love", "unknown_field": 1}, "unknown_field"),
    ({}, "query"),
    ([], "body"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_bad_search_bodies_get_422_with_reason(client: TestClient, body: Any, message: str) -> None:
    response = client.post("/search", json=body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_malformed_json_and_invalid_utf8(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    response = client.post("/search", content=b'{"query": "love"', headers=headers)
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]
    response = client.post("/search", content=b'{"query": "\xff\xfe love"}', headers=headers)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_huge_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/search", json={"query": "x" * 10_000_000})
    assert response.status_code == 413
    assert "exceeds the limit" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "q"),
        ({"q": "love", "size": "0"}, "size"),
        ({"q": "love", "type": "song"}, "type"),
        ({"q": "love", "colour": "red"}, "unknown query parameters ['colour']"),
        ({"q": " "}, "non-whitespace"),
        ({}, "q"),
    ],
)
def test_bad_get_search_gets_422(client: TestClient, params: dict[str, str], message: str) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])
