"""How many feedback events per second the worker applies, bandit learning included.

    python bench/worker_throughput.py --searches 2000

Over the fixture catalog's data dir (built in a temp dir), with the bandit on:
serves ``--searches`` searches (the fixture's judged queries) through the app,
queues their feedback through ``POST /feedback`` — ten impressions per search,
a click on a third of them and a 40 s play after half of those clicks — with
the in-process worker stopped, then times one worker draining the queue: every
event joined with its decision and applied to the Q2E memory, the learning log
and the bandit's reward ledger, and every closed search learned by the policy.

Prints JSON: ``{events, searches_closed, seconds, events_per_s}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fastapi.testclient import TestClient

from bandit.config import BanditConfig, RewardConfig
from service.app import create_app
from service.app_state import open_bandit
from service.indexing import index_catalog
from service.settings import FeedbackConfig, Settings

FIXTURES = Path(__file__).resolve().parent.parent / "catalog" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lines = (FIXTURES / "fixture_queries.tsv").read_text(encoding="utf-8").splitlines()
    queries = [line.split("\t", 1)[1] for line in lines if "\t" in line]
    with tempfile.TemporaryDirectory(prefix="ltrr-bench-worker-") as tmp:
        data_dir = Path(tmp) / "data"
        index_catalog(
            FIXTURES / "fixture_catalog.jsonl", data_dir, Settings(data_dir=data_dir), strict=True
        )
        settings = Settings(
            data_dir=data_dir,
            feedback=FeedbackConfig(in_process_worker=False),
            bandit=BanditConfig(enabled=True, reward=RewardConfig(window_s=0.001)),
        )
        app = create_app(settings)
        events = 0
        with TestClient(app) as client:
            for _ in range(args.searches):
                body = client.post("/search", json={"query": rng.choice(queries)}).json()
                batch = feedback(body, rng)
                if batch:
                    response = client.post("/feedback", json={"events": batch})
                    events += response.json()["accepted"]
            services = app.state.services
            # What `ltrr worker` runs: the feedback worker with the bandit's learner.
            learning = open_bandit(
                settings,
                services.env,
                services.store,
                services.metrics,
                services.listener_state,
                learns=True,
            )
            assert learning is not None
            assert learning.applier is not None
            worker = services.worker
            worker.appliers.append(learning.applier)
            start = time.perf_counter()
            applied = worker.drain(timeout_s=3600)
            seconds = time.perf_counter() - start
            closed = learning.learner.ledger.counts() if learning.learner else {}
            learning.close()
    print(
        json.dumps(
            {
                "searches": args.searches,
                "events": events,
                "applied": applied,
                "searches_closed": closed,
                "seconds": round(seconds, 2),
                "events_per_s": round(applied / seconds, 1),
            },
            indent=2,
        )
    )


def feedback(body: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()

    def event(kind: str, rank: int, **extra: Any) -> dict[str, Any]:
        return {
            "event_id": uuid.uuid4().hex,
            "search_id": body["search_id"],
            "type": kind,
            "entity_id": body["results"][rank - 1]["entity"]["id"],
            "position": rank,
            "timestamp": now,
            **extra,
        }

    results = body["results"]
    batch = [event("impression", rank) for rank in range(1, len(results) + 1)]
    if results and rng.random() < 1 / 3:
        rank = rng.randint(1, len(results))
        batch.append(event("click", rank))
        if rng.random() < 0.5:
            batch.append(event("play", rank, play_ms=40_000))
    return batch


if __name__ == "__main__":
    main()
