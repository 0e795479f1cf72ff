"""Our request-path RRF must agree with ranx's reference implementation."""

from __future__ import annotations

import random
import warnings

import pytest

from retrievers.base import Candidate
from service.fusion import reciprocal_rank_fusion


def _random_runs(rng: random.Random) -> dict[str, list[Candidate]]:
    runs = {}
    for name in ("bm25", "dense", "memory"):
        ids = rng.sample([f"e{i}" for i in range(60)], rng.randint(1, 40))
        runs[name] = [
            Candidate(entity_id=eid, score=float(100 - rank), rank=rank, strategy=name)
            for rank, eid in enumerate(ids, start=1)
        ]
    return runs


def test_rrf_matches_ranx_on_random_runs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's JIT warnings inside ranx
        from ranx import Run, fuse

        rng = random.Random(13)
        for trial in range(20):
            runs = _random_runs(rng)
            ours = dict(reciprocal_rank_fusion(runs, k=60))
            ranx_runs = [
                Run({"q": {c.entity_id: c.score for c in cands}}, name=name)
                for name, cands in runs.items()
            ]
            theirs = fuse(runs=ranx_runs, method="rrf", params={"k": 60})["q"]
            assert set(ours) == set(theirs), trial
            for entity_id, score in ours.items():
                assert score == pytest.approx(theirs[entity_id], rel=1e-9)


def test_rrf_orders_by_score_then_best_rank() -> None:
    a = [Candidate("x", 1.0, 1, "a"), Candidate("y", 0.5, 2, "a")]
    b = [Candidate("y", 1.0, 1, "b")]
    fused = reciprocal_rank_fusion({"a": a, "b": b}, k=60)
    assert [eid for eid, _ in fused] == ["y", "x"]


def test_rrf_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be a positive integer, but 0 is given"):
        reciprocal_rank_fusion({}, k=0)
