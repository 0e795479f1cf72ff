"""The service as a client sees it: ``/search``, ``/feedback``, ``/readyz``, ``/openapi.json``.

Listeners reach ltrr only through this public HTTP API, over any httpx-style
client — the in-process ``fastapi.testclient.TestClient`` or an
``httpx.Client(base_url=...)`` of a running server (:class:`HttpClient` is the
little of their interface that is used). Nothing here imports the service: the
simulator must measure the service exactly as a real client would, and a
request body carries only what a real client knows (query, user id, locale,
device, time, and a pinned plan).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from catalog.model import EntityType


class HttpResponse(Protocol):
    """The parts of an ``httpx.Response`` the simulator reads."""

    status_code: int

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class HttpClient(Protocol):
    """An ``httpx.Client`` (or ``TestClient``) with its base URL set."""

    def get(self, url: str) -> HttpResponse: ...

    def post(self, url: str, *, json: Any = None) -> HttpResponse: ...


class ServiceError(RuntimeError):
    """The service answered with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        super().__init__(f"{method} {path} answered {status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SearchCall:
    """One ``POST /search`` body, as a client would send it."""

    query: str
    user_id: str | None = None
    locale: str | None = None
    device: str | None = None
    timestamp: datetime | None = None
    size: int = 10
    explain: bool = True
    plan: Mapping[str, int] | None = None
    ranker: str | None = None
    """Pin what orders the results (`rrf` or a model version), as an A/B client would."""

    def body(self) -> dict[str, Any]:
        context: dict[str, str] = {}
        if self.locale is not None:
            context["locale"] = self.locale
        if self.device is not None:
            context["device"] = self.device
        if self.timestamp is not None:
            context["timestamp"] = self.timestamp.isoformat()
        body: dict[str, Any] = {"query": self.query, "size": self.size, "explain": self.explain}
        if self.user_id is not None:
            body["user_id"] = self.user_id
        if context:
            body["context"] = context
        if self.plan is not None:
            body["plan"] = dict(self.plan)
        if self.ranker is not None:
            body["ranker"] = self.ranker
        return body


@dataclass(frozen=True, slots=True)
class Hit:
    """One returned result."""

    rank: int
    entity_id: str
    entity_type: EntityType
    duration_ms: int | None
    strategies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """A parsed ``/search`` response; the explain fields are empty without ``explain``."""

    search_id: str
    results: tuple[Hit, ...]
    took_ms: float
    client_ms: float
    total_candidates: int
    retrieval_ms: float = 0.0
    plan: dict[str, int] = field(default_factory=dict)
    plan_source: str | None = None
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def union(self) -> set[str]:
        """Every candidate any strategy drew (needs ``explain``)."""
        return {eid for run in self.candidates.values() for eid in run}


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    accepted: int
    duplicates: int
    rejected: tuple[str, ...]


def _detail(response: HttpResponse) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:500]
    return str(body)[:300]


class ServiceApi:
    """Typed calls to the public API over a caller-provided HTTP client."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def strategies(self) -> tuple[str, ...]:
        """Registered retrieval strategies, from ``GET /readyz``."""
        response = self.client.get("/readyz")
        if response.status_code != 200:
            raise ServiceError("GET", "/readyz", response.status_code, _detail(response))
        detail = response.json().get("detail", {})
        names = str(detail.get("strategies", ""))
        strategies = tuple(name for name in names.split(",") if name)
        if not strategies:
            raise ServiceError("GET", "/readyz", 200, "the service lists no strategies")
        return strategies

    def supports_feedback(self) -> bool:
        """Whether the service exposes ``POST /feedback`` (from ``/openapi.json``)."""
        response = self.client.get("/openapi.json")
        if response.status_code != 200:
            return False
        paths = response.json().get("paths", {})
        return "post" in paths.get("/feedback", {})

    def search(self, call: SearchCall) -> SearchOutcome:
        start = time.perf_counter()
        response = self.client.post("/search", json=call.body())
        client_ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise ServiceError("POST", "/search", response.status_code, _detail(response))
        body = response.json()
        hits = tuple(
            Hit(
                rank=int(hit["rank"]),
                entity_id=str(hit["entity"]["id"]),
                entity_type=EntityType(hit["entity"]["type"]),
                duration_ms=hit["entity"].get("duration_ms"),
                strategies=tuple(hit.get("strategies", ())),
            )
            for hit in body["results"]
        )
        explain = body.get("explain") or {}
        return SearchOutcome(
            search_id=str(body["search_id"]),
            results=hits,
            took_ms=float(body["took_ms"]),
            client_ms=client_ms,
            total_candidates=int(body["total_candidates"]),
            retrieval_ms=float(explain.get("stage_ms", {}).get("fanout", 0.0)),
            plan={str(k): int(v) for k, v in explain.get("plan", {}).items()},
            plan_source=explain.get("plan_source"),
            candidates={
                str(name): tuple(str(c["entity_id"]) for c in run)
                for name, run in explain.get("candidates", {}).items()
            },
            failed={str(k): str(v) for k, v in explain.get("failed_strategies", {}).items()},
        )

    def feedback(self, events: Sequence[Mapping[str, Any]]) -> FeedbackOutcome:
        """Post one batch; a 422 where every event was refused is returned, not raised."""
        response = self.client.post("/feedback", json={"events": list(events)})
        if response.status_code not in (200, 202, 422):
            raise ServiceError("POST", "/feedback", response.status_code, _detail(response))
        body = response.json()
        if response.status_code == 422 and "accepted" not in body:
            raise ServiceError("POST", "/feedback", 422, _detail(response))
        return FeedbackOutcome(
            accepted=int(body.get("accepted", 0)),
            duplicates=int(body.get("duplicates", 0)),
            rejected=tuple(str(r.get("reason", r)) for r in body.get("rejected", ())),
        )
