"""Load test of a running ltrr service: listener searches, plus feedback.

    make load                       # against http://127.0.0.1:8000, headless, 60 s
    locust -f load_tests/locustfile.py --host http://127.0.0.1:8000   # web UI

With ``LTRR_LOAD_TRAFFIC=FILE`` (``make load`` writes one for the demo catalog
with ``ltrr simulate-traffic``) every search is a line of that file: the
simulated listeners' queries over the catalog being served, with their head
and long tail, misspellings, devices, locales and user ids, so caches and
indexes see listener traffic. Without it, a small built-in mix of the kinds of
queries ltrr is built for (titles, misspelled names, attribute and descriptive
queries). A share of searches reports impressions and a play back to
``/feedback``, as a real client would, so the feedback path is loaded too.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any

from locust import HttpUser, between, task

QUERIES = [
    "bohemian rhapsody",
    "queen",
    "taylor swift love story",
    "tayler swfit love",
    "love",
    "90s rock",
    "true crime podcast",
    "history podcast",
    "songs for a rainy sunday",
    "workout",
    "study music",
    "breakup songs",
    "beatels",
    "love story taylors version",
]
DEVICES = ["mobile", "desktop", "tv", "car"]
LOCALES = ["en-US", "en-GB", "es-ES", "de-DE", "pt-BR", "fr-FR"]


def _load_traffic(path: str | None) -> list[dict[str, Any]]:
    """``POST /search`` bodies from an ``ltrr simulate-traffic`` file; empty without one."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as handle:
            bodies = [json.loads(line)["search"] for line in handle if line.strip()]
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(
            f"LTRR_LOAD_TRAFFIC={path}: not a readable traffic file ({error})"
        ) from error
    if not bodies:
        raise SystemExit(f"LTRR_LOAD_TRAFFIC={path}: the file holds no searches")
    return bodies


TRAFFIC = _load_traffic(os.environ.get("LTRR_LOAD_TRAFFIC"))


class Listener(HttpUser):
    wait_time = between(0.05, 0.5)

    def on_start(self) -> None:
        self.user_id = f"load-{uuid.uuid4().hex[:12]}"

    def _search_body(self) -> dict[str, Any]:
        if TRAFFIC:
            return dict(random.choice(TRAFFIC))
        return {
            "query": random.choice(QUERIES),
            "user_id": self.user_id,
            "size": 10,
            "context": {"device": random.choice(DEVICES), "locale": random.choice(LOCALES)},
        }

    @task(10)
    def search_and_react(self) -> None:
        body = self._search_body()
        with self.client.post("/search", json=body, name="/search", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}: {r.text[:200]}")
                return
            result: dict[str, Any] = r.json()
        if result["results"] and random.random() < 0.5:
            self._feedback(result)

    @task(2)
    def quick_search(self) -> None:
        query = self._search_body()["query"]
        self.client.get("/search", params={"q": query}, name="/search [GET]")

    @task(1)
    def health(self) -> None:
        self.client.get("/readyz")

    def _feedback(self, result: dict[str, Any]) -> None:
        now = datetime.now(UTC).isoformat()
        shown = result["results"][:5]
        events: list[dict[str, Any]] = [
            {
                "event_id": uuid.uuid4().hex,
                "search_id": result["search_id"],
                "type": "impression",
                "entity_id": hit["entity"]["id"],
                "position": hit["rank"],
                "timestamp": now,
            }
            for hit in shown
        ]
        chosen = random.choice(shown)
        events.append(
            {
                "event_id": uuid.uuid4().hex,
                "search_id": result["search_id"],
                "type": "play",
                "entity_id": chosen["entity"]["id"],
                "position": chosen["rank"],
                "timestamp": now,
                "play_ms": random.randint(5_000, 240_000),
            }
        )
        self.client.post("/feedback", json={"events": events}, name="/feedback")
