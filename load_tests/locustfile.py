"""Load test of a running ltrr service: searches of every kind, plus feedback.

    make load                       # against http://127.0.0.1:8000, headless, 60 s
    locust -f load_tests/locustfile.py --host http://127.0.0.1:8000   # web UI

The query mix follows the kinds of queries ltrr is built for: spearfishing
titles, misspelled names, attribute and descriptive queries, and artist-only
queries. A share of searches reports impressions and a click or play back to
``/feedback``, as a real client would, so the feedback path is loaded too.
"""

from __future__ import annotations

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


class Listener(HttpUser):
    wait_time = between(0.05, 0.5)

    def on_start(self) -> None:
        self.user_id = f"load-{uuid.uuid4().hex[:12]}"

    @task(10)
    def search_and_react(self) -> None:
        body = {
            "query": random.choice(QUERIES),
            "user_id": self.user_id,
            "size": 10,
            "context": {"device": random.choice(DEVICES), "locale": random.choice(LOCALES)},
        }
        with self.client.post("/search", json=body, name="/search", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}: {r.text[:200]}")
                return
            result: dict[str, Any] = r.json()
        if result["results"] and random.random() < 0.5:
            self._feedback(result)

    @task(2)
    def quick_search(self) -> None:
        self.client.get("/search", params={"q": random.choice(QUERIES)}, name="/search [GET]")

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
