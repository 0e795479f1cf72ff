"""Query-understanding cost at catalog scale, printed as JSON.

    python bench/understanding_latency.py --sizes 100000 1000000 --queries 2000

For each size, streams a synthetic catalog (``catalog.generate``) into a fresh
gazetteer under ``--work-dir``, reopens it from disk, draws queries from a
sample of the catalog as listeners would type them (artist names, artist names
with one typo, artist + title, titles, decade + genre, type + genre, mood +
type, gibberish) and parses each once. Prints per size::

    {entities, names, db_mb, build_s, generate_and_build_s, load_s,
     parse_ms: {mean, p50, p95, p99, max}, parse_cpu_ms: {p50, p99},
     parse_ms_by_kind: {kind: {n, p50, p99}}, typo_artist_resolved}

``parse_ms`` is wall time; ``parse_cpu_ms`` is the parsing thread's CPU time,
which leaves out time the thread spent descheduled on a busy machine.

``build_s`` counts only the gazetteer's own ``upsert`` calls; generating the
entities is in ``generate_and_build_s``. ``typo_artist_resolved`` is the share
of one-typo artist queries whose best interpretation names the intended artist
(typos never touch the first character, which the fuzzy index blocks on).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.generate import generate_catalog
from catalog.model import Entity, EntityType
from retrievers.gazetteer import FILENAME, Gazetteer
from retrievers.normalize import normalize_query
from retrievers.understanding import QueryUnderstanding

BATCH = 50_000
DECADES = ("60s", "70s", "80s", "90s", "2000s", "2010s", "nineties", "80's")
TYPE_WORDS = ("songs", "playlist", "album", "podcast", "music")


def typo(rng: random.Random, name: str) -> str | None:
    """One edit (swap, deletion or substitution) in a 5+ letter word, never its first letter."""
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return None
    i = rng.choice(candidates)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("swap", "delete", "substitute"))
    if edit == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif edit == "delete":
        word = word[:at] + word[at + 1 :]
    else:
        word = word[:at] + rng.choice("aeiourstnl") + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def phrase(rng: random.Random, entity: Entity) -> tuple[str, str, str | None]:
    """(kind, query, intended artist key) for one sampled entity."""
    roll = rng.random()
    artist = entity.artists[0] if entity.artists else None
    genre = entity.genres[0] if entity.genres else "pop"
    if artist and roll < 0.2:
        return "artist", artist, normalize_query(artist)
    if artist and roll < 0.4 and (misspelled := typo(rng, artist)) is not None:
        return "artist_typo", misspelled, normalize_query(artist)
    if artist and roll < 0.55:
        return "artist_title", f"{artist} {entity.title}", None
    if roll < 0.7:
        return "title", entity.title, None
    if roll < 0.8:
        return "decade_genre", f"{rng.choice(DECADES)} {genre}", None
    if roll < 0.88:
        return "type_genre", f"{genre} {rng.choice(TYPE_WORDS)}", None
    if roll < 0.95 and entity.moods:
        return "mood_type", f"{entity.moods[0]} {rng.choice(TYPE_WORDS)}", None
    letters = "bcdfghjklmnpqrstvwxz"
    return (
        "gibberish",
        " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 8))) for _ in range(2)),
        None,
    )


def build(path: Path, size: int, seed: int, sample: int) -> tuple[float, float, list[Entity]]:
    """Stream the catalog into a new gazetteer; returns (upsert s, wall s, sampled entities)."""
    rng = random.Random(seed)
    reservoir: list[Entity] = []
    seen = 0
    upsert_s = 0.0
    start = time.perf_counter()
    gazetteer = Gazetteer(path)
    entities = generate_catalog(size, seed)
    while batch := list(islice(entities, BATCH)):
        for entity in batch:
            if entity.type in (EntityType.TRACK, EntityType.ALBUM, EntityType.EPISODE):
                seen += 1
                if len(reservoir) < sample:
                    reservoir.append(entity)
                elif (slot := rng.randrange(seen)) < sample:
                    reservoir[slot] = entity
        t0 = time.perf_counter()
        gazetteer.upsert(batch)
        upsert_s += time.perf_counter() - t0
    gazetteer.close()
    return upsert_s, time.perf_counter() - start, reservoir


def run(size: int, queries: int, seed: int, work_dir: Path) -> dict[str, object]:
    path = work_dir / f"gazetteer-{size}"
    shutil.rmtree(path, ignore_errors=True)
    upsert_s, wall_s, sample = build(path, size, seed, queries)

    t0 = time.perf_counter()
    gazetteer = Gazetteer(path)
    load_s = time.perf_counter() - t0
    understanding = QueryUnderstanding(gazetteer)

    rng = random.Random(seed + 1)
    drawn = [phrase(rng, entity) for entity in sample]
    for _, text, _ in drawn[:50]:  # warm-up
        understanding.parse(text)
    timings: dict[str, list[float]] = {}
    cpu_ms: list[float] = []
    resolved = attempted = 0
    for kind, text, artist in drawn:
        c0, t0 = time.thread_time(), time.perf_counter()
        parse = understanding.parse(text)
        timings.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
        cpu_ms.append((time.thread_time() - c0) * 1000)
        if kind == "artist_typo":
            attempted += 1
            best = parse.interpretations[0].slots if parse.interpretations else []
            resolved += any(s.kind == "artist" and s.value == artist for s in best)
    all_ms = np.array([ms for values in timings.values() for ms in values])
    return {
        "entities": gazetteer.entity_count,
        "names": len(gazetteer),
        "db_mb": round((path / FILENAME).stat().st_size / 1e6, 1),
        "build_s": round(upsert_s, 2),
        "generate_and_build_s": round(wall_s, 2),
        "load_s": round(load_s, 3),
        "queries": len(drawn),
        "parse_ms": {
            "mean": round(float(all_ms.mean()), 3),
            "p50": round(float(np.percentile(all_ms, 50)), 3),
            "p95": round(float(np.percentile(all_ms, 95)), 3),
            "p99": round(float(np.percentile(all_ms, 99)), 3),
            "max": round(float(all_ms.max()), 3),
        },
        "parse_cpu_ms": {
            "p50": round(float(np.percentile(cpu_ms, 50)), 3),
            "p99": round(float(np.percentile(cpu_ms, 99)), 3),
        },
        "parse_ms_by_kind": {
            kind: {
                "n": len(values),
                "p50": round(float(np.percentile(values, 50)), 3),
                "p99": round(float(np.percentile(values, 99)), 3),
            }
            for kind, values in sorted(timings.items())
        },
        "typo_artist_resolved": round(resolved / attempted, 3) if attempted else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work-dir", type=Path, default=Path("data/bench-understanding"))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = {str(size): run(size, args.queries, args.seed, args.work_dir) for size in args.sizes}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"sizes": results, "max_rss_mb": round(rss_mb, 1)}, indent=2))


if __name__ == "__main__":
    main()
