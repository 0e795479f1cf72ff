"""Search latency at catalog scale, through the HTTP app, printed as JSON.

    python bench/search_latency.py --catalog-size 100000 --queries 2000

Builds (or reuses) a synthetic catalog of N entities and its indexes under
``--work-dir``, draws Q queries from the catalog (titles, artist + title,
artists, title prefixes), sends them one at a time through ``POST /search``
of the in-process app, and prints::

    {catalog_size, queries, p50_ms, p95_ms, p99_ms, qps, index_build_s, rss_mb,
     strategies: {name: {p50_ms, p99_ms}}}

Latency is wall time per request as the client sees it (ASGI in-process, no
network); ``strategies`` times each retriever's own ``search`` for the same
queries.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.generate import write_catalog_jsonl
from retrievers.base import RetrievalQuery
from service.indexing import index_catalog
from service.settings import PipelineConfig, Settings


def draw_queries(catalog: Path, count: int, seed: int) -> list[str]:
    """Reservoir-sample entities and phrase a query for each, as listeners would."""
    rng = random.Random(seed)
    sample: list[dict[str, object]] = []
    with catalog.open() as handle:
        for seen, line in enumerate(handle):
            if len(sample) < count:
                sample.append(json.loads(line))
            elif (slot := rng.randrange(seen + 1)) < count:
                sample[slot] = json.loads(line)
    queries = []
    for row in sample:
        title = str(row["title"])
        artists = [str(a) for a in row.get("artists", [])]  # type: ignore[attr-defined]
        roll = rng.random()
        if artists and roll < 0.25:
            queries.append(f"{artists[0]} {title}")
        elif artists and roll < 0.35:
            queries.append(artists[0])
        elif roll < 0.5 and len(title.split()) > 1:
            queries.append(" ".join(title.split()[:-1]))
        else:
            queries.append(title)
    return queries


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms)
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
        "p99_ms": round(float(np.percentile(arr, 99)), 3),
    }


def build_index(
    catalog: Path,
    data_dir: Path,
    settings: Settings,
    attempts_file: Path,
    args: argparse.Namespace,
) -> None:
    """Generate and index the catalog; a run that was killed resumes on the next call.

    Dense indexing skips the entities it already saved, so a long build (1M entities with
    dense: hours) can span several runs. Each run's elapsed time is written to
    ``attempts_file`` after every batch; the reported build time is their sum, which
    includes re-applying the store, BM25 and memory for the batches a resumed run repeats.
    """
    if not catalog.is_file():
        partial = catalog.with_suffix(".partial")
        write_catalog_jsonl(partial, args.catalog_size, args.seed)
        partial.replace(catalog)
    attempts: list[float] = json.loads(attempts_file.read_text()) if attempts_file.is_file() else []
    attempts.append(0.0)
    start = time.perf_counter()

    def record(_rows: int) -> None:
        attempts[-1] = time.perf_counter() - start
        attempts_file.write_text(json.dumps(attempts))

    index_catalog(catalog, data_dir, settings, on_rows=record)
    record(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog-size", type=int, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work-dir", type=Path, default=Path("bench/out"))
    parser.add_argument(
        "--strategies", default="", help="Comma-separated strategies (default: the settings')."
    )
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from service.app import create_app

    base = Settings()
    strategies = args.strategies.split(",") if args.strategies else base.pipeline.strategies
    plan = {name: depth for name, depth in base.pipeline.default_plan.items() if name in strategies}
    work = args.work_dir / f"catalog-{args.catalog_size}-seed{args.seed}-{'+'.join(strategies)}"
    work.mkdir(parents=True, exist_ok=True)
    catalog = work / "catalog.jsonl"
    data_dir = work / "data"
    build_file = work / "build.json"
    settings = Settings(
        data_dir=data_dir,
        pipeline=PipelineConfig(strategies=strategies, default_plan=plan or {strategies[0]: 100}),
    )
    if not build_file.exists():
        build_index(catalog, data_dir, settings, work / "build-attempts.json", args)
        attempts = json.loads((work / "build-attempts.json").read_text())
        build_file.write_text(
            json.dumps({"index_build_s": sum(attempts), "attempts": len(attempts)})
        )
    index_build_s = json.loads(build_file.read_text())["index_build_s"]

    queries = draw_queries(catalog, args.queries, args.seed)
    latencies: list[float] = []
    per_strategy: dict[str, list[float]] = {}
    with TestClient(create_app(settings)) as client:
        for text in queries[: min(50, len(queries))]:  # warm-up
            client.post("/search", json={"query": text})
        wall_start = time.perf_counter()
        for text in queries:
            start = time.perf_counter()
            response = client.post("/search", json={"query": text, "size": 10})
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"search failed for {text!r}: {response.text}")
        wall_s = time.perf_counter() - wall_start
        services = client.app.state.services  # type: ignore[attr-defined]
        for name, retriever in services.pipeline.retrievers.items():
            depth = services.default_plan.depths.get(name, 100) or 100
            samples = per_strategy.setdefault(name, [])
            for text in queries:
                start = time.perf_counter()
                retriever.search(RetrievalQuery(text), depth)
                samples.append((time.perf_counter() - start) * 1000)

    result = {
        "catalog_size": args.catalog_size,
        "queries": len(queries),
        **percentiles(latencies),
        "qps": round(len(queries) / wall_s, 1),
        "index_build_s": round(index_build_s, 1),
        "plan": settings.pipeline.default_plan,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "strategies": {
            name: {k: v for k, v in percentiles(s).items() if k != "p95_ms"}
            for name, s in per_strategy.items()
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
