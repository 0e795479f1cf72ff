"""Embedding backends compared: latency, throughput and agreement, printed as JSON.

    HF_HUB_OFFLINE=1 python bench/embedding_backends.py --entities 2000 --queries 200

For each backend of :class:`retrievers.embedding.Encoder` (PyTorch with 1 and 2
threads, ONNX Runtime fp32, ONNX Runtime int8 with 1 and 2 threads) it measures:

* single-query encoding latency p50/p99 (the query cache bypassed),
* batch throughput on synthetic entity texts (``catalog.generate``), as wall
  entities/s and as CPU seconds per 1,000 entities (less sensitive to other
  processes on a shared machine),
* agreement with the PyTorch reference: row cosine (mean, min) on the entity
  texts and on the queries,
* retrieval quality on the fixture catalog: exact search with that backend's
  vectors, nDCG@10 and recall@100 against the fixture qrels.

Throughput runs are interleaved over ``--rounds`` rounds and the best round is
reported next to the median, so a burst of load hits every backend alike.
The ONNX models are exported from the packaged model into ``--export-dir``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from catalog.generate import generate_catalog
from catalog.ingest import CatalogReader, Upsert
from retrievers.embedding import EmbeddingConfig, Encoder, entity_text

FIXTURES = Path(__file__).resolve().parent.parent / "catalog" / "fixtures"

VARIANTS: dict[str, EmbeddingConfig] = {
    "torch-2threads": EmbeddingConfig(backend="torch", threads=2),
    "torch-1thread": EmbeddingConfig(backend="torch", threads=1),
    "onnx-fp32": EmbeddingConfig(backend="onnx"),
    "onnx-int8": EmbeddingConfig(backend="onnx-int8"),
    "onnx-int8-1thread": EmbeddingConfig(backend="onnx-int8", threads=1),
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def set_threads(config: EmbeddingConfig) -> None:
    """PyTorch's thread count is process-wide: set it before each torch measurement."""
    if config.backend == "torch":
        import torch

        torch.set_num_threads(config.threads or 2)


def throughput(encoder: Encoder, texts: list[str], batch_size: int) -> dict[str, float]:
    set_threads(encoder.config)
    wall, cpu = time.perf_counter(), cpu_seconds()
    encoder.encode_texts(texts, batch_size)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return {"entities_per_s": len(texts) / wall, "cpu_s_per_1000": 1000 * cpu / len(texts)}


def latency(encoder: Encoder, queries: list[str]) -> dict[str, float]:
    set_threads(encoder.config)
    for text in queries[:10]:
        encoder.encode_texts([text])
    samples = []
    for text in queries:
        start = time.perf_counter()
        encoder.encode_texts([text])
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(samples, 50)), 2),
        "p99_ms": round(float(np.percentile(samples, 99)), 2),
    }


def fixture_quality(encoder: Encoder) -> dict[str, float]:
    entities = [
        c.entity for c in CatalogReader(FIXTURES / "fixture_catalog.jsonl") if isinstance(c, Upsert)
    ]
    queries = dict(
        line.split("\t", 1) for line in (FIXTURES / "fixture_queries.tsv").read_text().splitlines()
    )
    qrels: dict[str, dict[str, int]] = {}
    for line in (FIXTURES / "fixture_qrels.txt").read_text().splitlines():
        qid, _, entity_id, grade = line.split()
        qrels.setdefault(qid, {})[entity_id] = int(grade)
    set_threads(encoder.config)
    stored = encoder.encode_entities(entities)
    asked = encoder.encode_texts(list(queries.values()))
    ndcg, recall = [], []
    for row, qid in enumerate(queries):
        ranked = [entities[i].id for i in np.argsort(-(stored @ asked[row]))[:100]]
        grades = qrels[qid]
        gain = sum((2 ** grades.get(e, 0) - 1) / np.log2(r + 2) for r, e in enumerate(ranked[:10]))
        ideal = sorted(grades.values(), reverse=True)[:10]
        ndcg.append(gain / sum((2**g - 1) / np.log2(r + 2) for r, g in enumerate(ideal)))
        recall.append(len(set(ranked) & set(grades)) / len(grades))
    return {
        "ndcg_at_10": round(float(np.mean(ndcg)), 4),
        "recall_at_100": round(float(np.mean(recall)), 4),
    }


def draw_queries(count: int) -> list[str]:
    base = [
        line.split("\t", 1)[1]
        for line in (FIXTURES / "fixture_queries.tsv").read_text().splitlines()
    ]
    extra = [
        f"{mood} {genre} songs"
        for mood in ("calm", "sad", "happy", "angry")
        for genre in ("jazz", "rock", "pop", "k-pop", "latin")
    ]
    pool = base + extra
    return [pool[i % len(pool)] + ("" if i < len(pool) else f" {i}") for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--export-dir", type=Path, default=Path("bench/out/models"))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()

    load_before = os.getloadavg()
    names = args.variants.split(",")
    encoders = {name: Encoder(VARIANTS[name], export_dir=args.export_dir) for name in names}
    texts = [
        entity_text(e)
        for e in islice(generate_catalog(max(args.entities, 1000) * 4, args.seed), 0, None, 4)
    ][: args.entities]
    queries = draw_queries(args.queries)

    reference = Encoder(EmbeddingConfig(backend="torch", threads=2))
    set_threads(reference.config)
    ref_texts = reference.encode_texts(texts[:500], args.batch_size)
    ref_queries = np.vstack([reference.encode_texts([q]) for q in queries[:100]])

    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            rounds[name].append(throughput(encoders[name], texts, args.batch_size))

    results: dict[str, Any] = {}
    for name in names:
        encoder = encoders[name]
        rates = [r["entities_per_s"] for r in rounds[name]]
        cpu = [r["cpu_s_per_1000"] for r in rounds[name]]
        set_threads(encoder.config)
        vectors = encoder.encode_texts(texts[:500], args.batch_size)
        qvectors = np.vstack([encoder.encode_texts([q]) for q in queries[:100]])
        entity_cos = np.sum(vectors * ref_texts, axis=1)
        query_cos = np.sum(qvectors * ref_queries, axis=1)
        results[name] = {
            "backend": encoder.backend,
            "threads": encoder.config.threads,
            "query_latency": latency(encoder, queries),
            "entities_per_s_best": round(max(rates), 1),
            "entities_per_s_median": round(statistics.median(rates), 1),
            "cpu_s_per_1000_entities_best": round(min(cpu), 2),
            "cosine_to_torch_entities": {
                "mean": round(float(entity_cos.mean()), 4),
                "min": round(float(entity_cos.min()), 4),
            },
            "cosine_to_torch_queries": {
                "mean": round(float(query_cos.mean()), 4),
                "min": round(float(query_cos.min()), 4),
            },
            "fixture": fixture_quality(encoder),
        }
    print(
        json.dumps(
            {
                "entities": len(texts),
                "queries": len(queries),
                "batch_size": args.batch_size,
                "rounds": args.rounds,
                "cpu_count": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
                "variants": results,
            }
        )
    )


if __name__ == "__main__":
    main()
