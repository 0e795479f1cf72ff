"""Latency of the ranker step for one search: features of the union, then LightGBM, as JSON.

    python bench/ranker_features.py --catalog-size 20000 --searches 300 --candidates 300

Generates a synthetic catalog, builds query understanding over it, and phrases one query
per sampled entity (artist + title, title, artist, title prefix). Each search gets a union
of ``--candidates`` entities (the sampled one, its artist's other entities, then random
ones) spread over four strategies as a plan of depths 150/100/75/50 would return them, with
memory pairs for the memory's hits, a request context and listener tastes. Then it times,
per search, with ``time.perf_counter``:

* ``features_cached``: :func:`ranker.features.compute_features` with a warm
  :class:`EntityFeatureCache` (the serving setup: statics computed once per entity);
* ``features_uncached``: the same without a cache (every entity's statics recomputed);
* ``features_predict``: cached features + ``lightgbm.Booster.predict`` (one thread) of a
  LambdaMART model with ``--trees`` trees of ``--leaves`` leaves fitted to random labels;
* ``predict``: ``Booster.predict`` alone; ``to_log``: the log form of all the rows.

and prints ``{catalog_size, searches, candidates, n_features, spec_version, trees, leaves,
load_avg_1m, <timing>: {p50_ms, p99_ms, min_ms, max_ms, cpu_p50_ms, cpu_p99_ms}}``: wall-clock
percentiles, and the same for the CPU time of the timing thread, which is less distorted
when other jobs share the machine. Query understanding itself is not timed (the pipeline
runs it before retrieval).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.generate import generate_catalog
from catalog.model import Entity
from ranker.dataset import RankingDataset
from ranker.feature_log import to_log
from ranker.feature_spec import FeatureSpec
from ranker.features import (
    EntityFeatureCache,
    RequestContext,
    SearchFeaturesInput,
    compute_features,
)
from ranker.train import TrainConfig, train_lambdamart
from retrievers.base import Candidate
from retrievers.gazetteer import Gazetteer
from retrievers.memory_base import PairStats
from retrievers.understanding import QueryUnderstanding

STRATEGIES = ("bm25", "dense", "structured", "memory")
DEPTHS = {"bm25": 150, "dense": 100, "structured": 75, "memory": 50}
DEVICES = ("mobile", "desktop", "tablet", "smart_speaker", "car")
GENRES = ("rock", "pop", "jazz", "hip hop", "true crime", "history", "electronic", "folk")


def phrase(entity: Entity, rng: random.Random) -> str:
    """A query a listener might type for ``entity``."""
    roll = rng.random()
    if entity.artists and roll < 0.3:
        return f"{entity.artists[0]} {entity.title}"
    if entity.artists and roll < 0.4:
        return entity.artists[0]
    words = entity.title.split()
    if roll < 0.55 and len(words) > 1:
        return " ".join(words[:-1])
    return entity.title


def runs_for(union: list[str], rng: random.Random) -> dict[str, list[Candidate]]:
    """Spread the union over the strategies: every id found at least once, some by several."""
    n = len(union)
    cuts = {
        "bm25": union[: n // 2],
        "dense": union[int(n * 0.43) : int(n * 0.77)],
        "structured": union[int(n * 0.73) : int(n * 0.98)],
    }
    tail = union[int(n * 0.93) :]
    cuts["memory"] = tail + rng.sample(cuts["bm25"], min(len(cuts["bm25"]), DEPTHS["memory"]))
    runs: dict[str, list[Candidate]] = {}
    for name, ids in cuts.items():
        ids = ids[: DEPTHS[name]]
        scores = sorted((rng.expovariate(0.3) for _ in ids), reverse=True)
        runs[name] = [
            Candidate(entity_id, score, rank, name)
            for rank, (entity_id, score) in enumerate(zip(ids, scores, strict=True), start=1)
        ]
    return runs


def build_inputs(
    entities: list[Entity], qu: QueryUnderstanding, searches: int, candidates: int, seed: int
) -> list[tuple[SearchFeaturesInput, list[str]]]:
    rng = random.Random(seed)
    by_id = {e.id: e for e in entities}
    by_artist: dict[str, list[str]] = {}
    for e in entities:
        for artist_id in e.artist_ids:
            by_artist.setdefault(artist_id, []).append(e.id)
    out = []
    for target in rng.sample(entities, searches):
        text = phrase(target, rng)
        union = dict.fromkeys([target.id])
        for artist_id in target.artist_ids:
            union.update(dict.fromkeys(by_artist.get(artist_id, [])[: candidates // 3]))
        while len(union) < candidates:
            union[rng.choice(entities).id] = None
        ids = list(union)[:candidates]
        rng.shuffle(ids)
        runs = runs_for(ids, rng)
        memory = {
            c.entity_id: PairStats(
                text.lower(),
                c.entity_id,
                c.score / (1 + c.score),
                rng.choice([None, 0.5]),
                rng.random(),
                rng.random(),
                rng.choice([0, 0, 3]),
                None,
            )
            for c in runs["memory"]
        }
        inputs = SearchFeaturesInput(
            query=text,
            parse=qu.parse(text),
            runs=runs,
            plan=DEPTHS,
            entities={i: by_id[i] for i in ids},
            reference_year=2025,
            memory=memory,
            context=RequestContext(
                locale=rng.choice(["en-US", "es-ES", "fr-FR", None]),
                device=rng.choice(DEVICES),
                hour=rng.randrange(24),
            ),
            affinity={g: rng.random() for g in rng.sample(GENRES, rng.randrange(4))},
            query_count=rng.choice([0, 1, 5, 300]),
        )
        out.append((inputs, ids))
    return out


def timed(fn: Callable[[], Any], repeats: int) -> dict[str, float]:
    """Wall-clock and this thread's CPU time per call, in ms."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    w, c = np.asarray(wall), np.asarray(cpu)
    return {
        "p50_ms": round(float(np.percentile(w, 50)), 3),
        "p99_ms": round(float(np.percentile(w, 99)), 3),
        "min_ms": round(float(w.min()), 3),
        "max_ms": round(float(w.max()), 3),
        "cpu_p50_ms": round(float(np.percentile(c, 50)), 3),
        "cpu_p99_ms": round(float(np.percentile(c, 99)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--catalog-size", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="Timed passes over the searches.")
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--leaves", type=int, default=31)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    entities = list(generate_catalog(args.catalog_size, args.seed))
    with tempfile.TemporaryDirectory() as directory:
        gazetteer = Gazetteer(Path(directory))
        gazetteer.upsert(entities)
        qu = QueryUnderstanding(gazetteer)
        searches = build_inputs(entities, qu, args.searches, args.candidates, args.seed)
        gazetteer.close()

    spec = FeatureSpec.for_strategies(STRATEGIES)
    cache = EntityFeatureCache()
    matrices = [compute_features(i, ids, spec, cache=cache) for i, ids in searches]
    rng = np.random.default_rng(args.seed)
    train = RankingDataset(
        np.vstack(matrices),
        rng.integers(0, 4, size=sum(len(m) for m in matrices)),
        [len(m) for m in matrices],
        feature_names=spec.names,
    )
    config = TrainConfig(
        n_estimators=args.trees, num_leaves=args.leaves, early_stopping_rounds=None
    )
    booster = train_lambdamart(train, None, config).booster

    def pass_of(step: Callable[[SearchFeaturesInput, list[str], int], Any]) -> Callable[[], Any]:
        state = {"i": 0}

        def run() -> Any:
            i = state["i"] % len(searches)
            state["i"] += 1
            inputs, ids = searches[i]
            return step(inputs, ids, i)

        return run

    repeats = args.rounds * len(searches)
    result: dict[str, Any] = {
        "catalog_size": args.catalog_size,
        "searches": len(searches),
        "candidates": args.candidates,
        "n_features": len(spec),
        "spec_version": spec.version,
        "trees": booster.num_trees(),
        "leaves": args.leaves,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "features_cached": timed(
            pass_of(lambda i, ids, _: compute_features(i, ids, spec, cache=cache)), repeats
        ),
        "features_uncached": timed(
            pass_of(lambda i, ids, _: compute_features(i, ids, spec)), repeats
        ),
        "features_predict": timed(
            pass_of(
                lambda i, ids, _: booster.predict(
                    compute_features(i, ids, spec, cache=cache), num_threads=1
                )
            ),
            repeats,
        ),
        "predict": timed(
            pass_of(lambda _i, _ids, k: booster.predict(matrices[k], num_threads=1)), repeats
        ),
        "to_log": timed(pass_of(lambda _i, ids, k: to_log(matrices[k], spec, ids)), repeats),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
