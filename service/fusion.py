"""Reciprocal-rank fusion of several strategies' candidate lists.

RRF (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms
Condorcet and individual Rank Learning Methods", SIGIR 2009) scores each
entity by ``sum over lists of 1 / (k + rank)``. It orders the union until a
learned ranker is active, and stays the fallback when the ranker fails.

This runs on every request, so it is a few dictionary operations rather than
a call into an offline evaluation library (``ranx.fuse`` costs tens of
milliseconds per call); ``tests/service/test_fusion.py`` checks it against
``ranx``'s RRF on random runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from retrievers.base import Candidate


def reciprocal_rank_fusion(
    runs: Mapping[str, Sequence[Candidate]], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked lists into ``(entity_id, score)`` pairs, best first.

    Ties are broken by the best single rank, then by entity id, so the order is
    deterministic.
    """
    if k < 1:
        raise ValueError(f"k must be a positive integer, but {k} is given")
    scores: dict[str, float] = {}
    best_rank: dict[str, int] = {}
    for candidates in runs.values():
        for candidate in candidates:
            entity_id = candidate.entity_id
            scores[entity_id] = scores.get(entity_id, 0.0) + 1.0 / (k + candidate.rank)
            best_rank[entity_id] = min(best_rank.get(entity_id, candidate.rank), candidate.rank)
    return sorted(scores.items(), key=lambda item: (-item[1], best_rank[item[0]], item[0]))
