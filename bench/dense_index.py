"""Dense index build and search at catalog scale, printed as JSON.

    HF_HUB_OFFLINE=1 python bench/dense_index.py --size 100000
    HF_HUB_OFFLINE=1 python bench/dense_index.py --size 1000000 --project-from 20000
    HF_HUB_OFFLINE=1 python bench/dense_index.py --size 20000 --reindex --change-fraction 0.01

Writes a synthetic catalog of N entities (``catalog.generate``) under
``--work-dir``, indexes it with :class:`retrievers.dense.FaissDense` in batches
of 50,000 as ``ltrr index`` does (progress bar on stderr), and prints::

    {size, build: {seconds, entities_per_s, peak_rss_mb, kind, nlist},
     search: {encode_excluded: {p50_ms, p99_ms}, encode_included: {...},
              filtered_encode_excluded: {...}},
     ivf_sweep: [{codec, nlist, nprobe, recall_at_10, tie_recall_at_10, p50_ms, p99_ms}],
     load_average}

A built index is reused when the work dir already holds one of that size.
``ivf_sweep`` re-indexes the stored vectors (no re-encoding) into IVF indexes
and compares their top 10 with exact search: ``recall_at_10`` is the overlap
with the exact top 10, ``tie_recall_at_10`` counts a result as found when its
exact score reaches the exact 10th score (near-duplicate entities tie often).
``--project-from M`` only encodes the first M entities and projects the time
for N from that throughput (labelled as a projection).

``--reindex`` upserts the same catalog file a second time over the built index,
in the same batches, and prints ``reindex: {unchanged, changed}``: the time and
the number of entities encoded when nothing changed (every entity is skipped
on its input digest) and, on a copy of the index, when ``--change-fraction`` of
the entities got a new title (only those are encoded), next to the first
build's ``dense_upsert_seconds``.

``--fake-vectors`` replaces the model by a hashing encoder (a fixed random
vector per word, summed and normalized: clustered like text, but ~1,000x
cheaper), to measure the index side alone at sizes whose encoding would take
hours: batches, exact→IVF conversion, re-training, saves, peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from catalog.generate import generate_catalog, write_catalog_jsonl
from catalog.ingest import CatalogReader, Upsert
from catalog.model import Entity, EntityType
from catalog.store import EntityStore
from retrievers.base import RetrievalQuery, SearchFilters
from retrievers.dense import DenseConfig, FaissDense, default_nlist
from retrievers.embedding import DIMENSION, EmbeddingConfig, Encoder, entity_text

BATCH = 50_000


class HashingEncoder:
    """Stand-in for :class:`Encoder` with the same interface: word-hash vectors."""

    dimension = DIMENSION
    fingerprint = "hashing-bench/0"

    def __init__(self) -> None:
        self.config = EmbeddingConfig(backend="torch")
        self._words: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vector = self._words.get(word)
        if vector is None:
            rng = np.random.default_rng(abs(hash(word)) % (2**32))
            vector = rng.standard_normal(DIMENSION).astype(np.float32)
            if len(self._words) < 200_000:
                self._words[word] = vector
        return vector

    def encode_texts(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split()[:48]:
                out[row] += self._word(word)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_texts(texts)

    def encode_entities(
        self, entities: Any, batch_size: int | None = None, on_progress: Any = None
    ) -> Any:
        items = list(entities)
        vectors = self.encode_texts([entity_text(e) for e in items])
        if on_progress is not None:
            on_progress(len(items))
        return vectors


class CountingEncoder:
    """Any encoder, counting the entities it encodes."""

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder
        self.encoded = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)

    def encode_entities(
        self, entities: Any, batch_size: int | None = None, on_progress: Any = None
    ) -> Any:
        items = list(entities)
        self.encoded += len(items)
        return self._encoder.encode_entities(items, batch_size, on_progress)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentiles(samples_s: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_s) * 1000
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p99_ms": round(float(np.percentile(arr, 99)), 3),
    }


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


def entity_batches(catalog: Path) -> Any:
    stream = (change.entity for change in CatalogReader(catalog) if isinstance(change, Upsert))
    while batch := list(islice(stream, BATCH)):
        yield batch


def build(
    catalog: Path, work: Path, size: int, config: DenseConfig, encoder: Any
) -> dict[str, Any]:
    store = EntityStore(work / "catalog.sqlite")
    dense = FaissDense(work / "dense", store.get_many, config, encoder=encoder)
    encode_s = 0.0
    batches: list[dict[str, Any]] = []
    start = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("indexing", total=size)
        for batch in entity_batches(catalog):
            store.upsert(batch)
            done = 0

            def advance(count: int) -> None:
                nonlocal done
                bar.update(task, advance=count - done)
                done = count

            batch_start = time.perf_counter()
            dense.upsert(batch, on_progress=advance)
            batch_s = time.perf_counter() - batch_start
            encode_s += batch_s
            batches.append(
                {
                    "count": len(dense),
                    "seconds": round(batch_s, 1),
                    "kind": dense.kind,
                    "nlist": dense.nlist,
                    "rss_mb": peak_rss_mb(),
                }
            )
    seconds = time.perf_counter() - start
    store.close()
    return {
        "seconds": round(seconds, 1),
        "dense_upsert_seconds": round(encode_s, 1),
        "entities_per_s": round(size / encode_s, 1),
        "peak_rss_mb": peak_rss_mb(),
        "kind": dense.kind,
        "nlist": dense.nlist,
        "index_bytes": (work / "dense" / "index.faiss").stat().st_size,
        "batches": batches,
    }


def reindex(
    catalog: Path, dense_dir: Path, config: DenseConfig, encoder: Any, change: float, seed: int
) -> dict[str, Any]:
    """Upsert the catalog again over the index in ``dense_dir``, ``change`` of it retitled."""
    counting: Any = CountingEncoder(encoder)
    dense = FaissDense(dense_dir, lambda ids: {}, config, encoder=counting)
    rng = random.Random(seed)
    changed = 0
    upsert_s = 0.0
    start = time.perf_counter()
    with progress() as bar:
        task = bar.add_task(f"re-indexing, {change:.0%} changed", total=len(dense))
        for batch in entity_batches(catalog):
            if change:
                retitled = [rng.random() < change for _ in batch]
                changed += sum(retitled)
                batch = [
                    e.model_copy(update={"title": f"{e.title} (remastered)"}) if new else e
                    for e, new in zip(batch, retitled, strict=True)
                ]
            done = 0

            def advance(count: int) -> None:
                nonlocal done
                bar.update(task, advance=count - done)
                done = count

            batch_start = time.perf_counter()
            dense.upsert(batch, on_progress=advance)
            upsert_s += time.perf_counter() - batch_start
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "dense_upsert_seconds": round(upsert_s, 1),
        "retitled": changed,
        "encoded": counting.encoded,
        "count": len(dense),
    }


def draw_queries(entities: list[Entity], count: int, seed: int) -> list[str]:
    """Name queries (title, artist + title) and descriptive ones (genre + mood, podcast topic)."""
    rng = random.Random(seed)
    queries: list[str] = []
    for entity in rng.sample(entities, min(count, len(entities))):
        roll = rng.random()
        if roll < 0.4:
            queries.append(entity.title)
        elif roll < 0.6 and entity.artists:
            queries.append(f"{entity.artists[0]} {entity.title}")
        elif entity.type in (EntityType.SHOW, EntityType.EPISODE) and entity.tags:
            queries.append(f"podcast about {rng.choice(entity.tags)}")
        else:
            mood = rng.choice(entity.moods) if entity.moods else "good"
            genre = rng.choice(entity.genres) if entity.genres else "music"
            queries.append(f"{mood} {genre} songs")
    return queries


def search_latency(dense: FaissDense, queries: list[str]) -> dict[str, Any]:
    encoder = dense.encoder
    for text in queries[:20]:  # warm-up, also of the query cache for these few
        dense.search(RetrievalQuery(text), 10)
    included = []
    for text in queries[20:]:
        start = time.perf_counter()
        dense.search(RetrievalQuery(text), 10)
        included.append(time.perf_counter() - start)
    vectors = encoder.encode_texts(queries)
    excluded = []
    for vector in vectors:
        start = time.perf_counter()
        dense.search_vector(vector, 10)
        excluded.append(time.perf_counter() - start)
    filtered = []
    query = RetrievalQuery("", SearchFilters(types=[EntityType.TRACK], explicit=False))
    for vector in vectors:
        start = time.perf_counter()
        dense.search_vector(vector, 10, query)
        filtered.append(time.perf_counter() - start)
    return {
        "encode_excluded": percentiles(excluded),
        "encode_included": percentiles(included),
        "filtered_tracks_clean_encode_excluded": percentiles(filtered),
        "queries": len(queries),
    }


def ivf_sweep(
    dense: FaissDense, queries: list[str], nprobes: list[int], seed: int
) -> list[dict[str, Any]]:
    vectors = dense.vectors(dense.entity_ids())
    count, dim = vectors.shape
    exact = faiss.IndexFlatIP(dim)
    exact.add(vectors)
    q = dense.encoder.encode_texts(queries)
    exact_scores, exact_rows = exact.search(q, 10)
    nlist = default_nlist(count)
    rng = np.random.default_rng(seed)
    sample = vectors[np.sort(rng.choice(count, size=min(count, nlist * 64), replace=False))]
    results: list[dict[str, Any]] = []
    for codec in ("flat", "sq8"):
        quantizer = faiss.IndexFlatIP(dim)
        if codec == "sq8":
            index: Any = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
        else:
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        start = time.perf_counter()
        index.train(sample)
        index.add(vectors)
        build_s = time.perf_counter() - start
        for nprobe in nprobes:
            params = faiss.SearchParametersIVF()
            params.nprobe = nprobe
            lat = []
            overlap = []
            tie = []
            for row in range(len(q)):
                start = time.perf_counter()
                _, found = index.search(q[row : row + 1], 10, params=params)
                lat.append(time.perf_counter() - start)
                want = set(exact_rows[row].tolist())
                got = [r for r in found[0].tolist() if r >= 0]
                overlap.append(len(want & set(got)) / 10)
                # exact score of each found vector vs the exact 10th score
                scores = vectors[got] @ q[row] if got else np.empty(0)
                tie.append(float(np.sum(scores >= exact_scores[row, 9] - 1e-6)) / 10)
            results.append(
                {
                    "codec": codec,
                    "nlist": nlist,
                    "nprobe": nprobe,
                    "train_add_s": round(build_s, 1),
                    "recall_at_10": round(float(np.mean(overlap)), 4),
                    "tie_recall_at_10": round(float(np.mean(tie)), 4),
                    **percentiles(lat),
                }
            )
    flat_lat = []
    for row in range(len(q)):
        start = time.perf_counter()
        exact.search(q[row : row + 1], 10)
        flat_lat.append(time.perf_counter() - start)
    results.append({"codec": "exact", "nlist": None, "nprobe": None, **percentiles(flat_lat)})
    return results


def project(size: int, sample: int, seed: int, encoder: Encoder) -> dict[str, Any]:
    entities = list(islice(generate_catalog(size, seed), sample))
    start = time.perf_counter()
    with progress() as bar:
        task = bar.add_task(f"encoding {sample:,} of {size:,}", total=sample)
        encoder.encode_entities(entities, on_progress=lambda n: bar.update(task, completed=n))
    seconds = time.perf_counter() - start
    rate = sample / seconds
    return {
        "encoded": sample,
        "seconds": round(seconds, 1),
        "entities_per_s": round(rate, 1),
        "projected_encode_seconds_for_size": round(size / rate),
        "note": "projection from the first entities of the catalog, not a full run",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--work-dir", type=Path, default=Path("bench/out"))
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--nprobe", default="8,16,32,64", help="IVF sweep; empty to skip")
    parser.add_argument("--project-from", type=int, default=0)
    parser.add_argument("--fake-vectors", action="store_true")
    parser.add_argument(
        "--rebuild", action="store_true", help="re-index a reused build for the current config"
    )
    parser.add_argument("--exact-max", type=int, default=DenseConfig().exact_max_vectors)
    parser.add_argument(
        "--reindex", action="store_true", help="time upserting the same catalog a second time"
    )
    parser.add_argument(
        "--change-fraction", type=float, default=0.01, help="retitled share in --reindex"
    )
    args = parser.parse_args()

    suffix = "-fake" if args.fake_vectors else ""
    work = args.work_dir / f"dense-{args.size}-seed{args.seed}{suffix}"
    work.mkdir(parents=True, exist_ok=True)
    encoder: Any
    if args.fake_vectors:
        encoder = HashingEncoder()
    else:
        encoder = Encoder(
            EmbeddingConfig(backend=args.backend), export_dir=args.work_dir / "models"
        )
    backend = "hashing (no model)" if args.fake_vectors else encoder.backend
    result: dict[str, Any] = {"size": args.size, "backend": backend}
    if args.project_from:
        result["projection"] = project(args.size, args.project_from, args.seed, encoder)
        result["load_average"] = os.getloadavg()
        print(json.dumps(result))
        return

    config = DenseConfig(exact_max_vectors=args.exact_max)
    catalog = work / "catalog.jsonl"
    build_file = work / "build.json"
    if not build_file.exists():
        start = time.perf_counter()
        write_catalog_jsonl(catalog, args.size, args.seed)
        result["catalog_write_seconds"] = round(time.perf_counter() - start, 1)
        stats = build(catalog, work, args.size, config, encoder)
        build_file.write_text(json.dumps(stats))
    result["build"] = json.loads(build_file.read_text())
    if args.reindex:
        changed_dir = work / "dense-reindexed"
        shutil.rmtree(changed_dir, ignore_errors=True)
        shutil.copytree(work / "dense", changed_dir, ignore=shutil.ignore_patterns("models"))
        result["reindex"] = {
            "unchanged": reindex(catalog, work / "dense", config, encoder, 0.0, args.seed),
            "changed": reindex(
                catalog, changed_dir, config, encoder, args.change_fraction, args.seed
            ),
        }
        shutil.rmtree(changed_dir)
        result["load_average"] = os.getloadavg()
        print(json.dumps(result))
        return

    store = EntityStore(work / "catalog.sqlite")
    start = time.perf_counter()
    dense = FaissDense(work / "dense", store.get_many, config, encoder=encoder)
    result["load_seconds"] = round(time.perf_counter() - start, 2)
    if args.rebuild:
        start = time.perf_counter()
        dense.rebuild()
        result["rebuild"] = {
            "seconds": round(time.perf_counter() - start, 1),
            "kind": dense.kind,
            "nlist": dense.nlist,
        }
    entities = list(
        islice(generate_catalog(args.size, args.seed), 0, None, max(1, args.size // 20_000))
    )
    queries = draw_queries(entities, args.queries, args.seed)
    result["search"] = search_latency(dense, queries)
    if args.nprobe:
        nprobes = [int(n) for n in args.nprobe.split(",")]
        result["ivf_sweep"] = ivf_sweep(dense, queries, nprobes, args.seed)
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_average"] = os.getloadavg()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
