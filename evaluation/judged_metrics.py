"""Effectiveness of one ranked run on judged queries, computed with ranx.

`ranx <https://github.com/AmenRa/ranx>`_ (Bassani, "ranx: A Blazing-Fast Python Library for
Ranking Evaluation and Comparison", ECIR 2022) gives recall@10, recall@100, nDCG@10 with linear
gain (Järvelin & Kekäläinen 2002, the ``trec_eval`` formulation) and MRR over the whole list.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict, Field

RANX_METRICS: dict[str, str] = {
    "recall_at_10": "recall@10",
    "recall_at_100": "recall@100",
    "ndcg_at_10": "ndcg@10",
    "mrr": "mrr",
}
"""Report field → ranx metric name."""


class Metrics(BaseModel):
    """Mean effectiveness of one run over the judged queries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queries: int = Field(ge=0, description="Judged queries the means are taken over.")
    recall_at_10: float = Field(ge=0.0, le=1.0)
    recall_at_100: float = Field(ge=0.0, le=1.0)
    ndcg_at_10: float = Field(ge=0.0, le=1.0, description="nDCG@10 with linear gain.")
    mrr: float = Field(ge=0.0, le=1.0, description="Mean reciprocal rank of the first relevant.")


@contextmanager
def _numba_warnings_silenced() -> Iterator[None]:
    """Silence numba's own warnings around ranx calls, and nothing else.

    ranx compiles its metrics with numba on first use, and numba warns about its internals
    there (e.g. ``NumbaTypeSafetyWarning: unsafe cast from uint64 to int64`` inside
    ``ranx/metrics/recall.py``). These are not actionable here, and the test suite turns
    every warning into an error, so only numba's warning category is ignored, only here.
    """
    from numba.core.errors import NumbaWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=NumbaWarning)
        yield


class _FixedWidthIds:
    """Replaces ids by fixed-width codes (``"000000000000"``, ``"000000000001"``, …).

    ranx keeps ids in numpy string arrays whose width is that of the longest id, and numba
    compiles ranx's functions once per width (tens of seconds each). Codes of one width keep
    that to a single compilation, cached on disk by numba across processes.
    """

    WIDTH = 12

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}

    def __call__(self, identifier: str) -> str:
        code = self._codes.get(identifier)
        if code is None:
            code = f"{len(self._codes):0{self.WIDTH}d}"
            self._codes[identifier] = code
        return code


def score_run(
    relevant: Mapping[str, Mapping[str, int]], ranking: Mapping[str, Sequence[str]]
) -> Metrics:
    """Score one run with ranx.

    ``relevant`` maps each query to be scored to its judgments (grades above 0 count as
    relevant); ``ranking`` maps query ids to entity ids, best first. A judged query missing
    from ``ranking`` counts as an empty result list; unjudged queries in ``ranking`` are
    ignored. ranx orders a run by score, so each list is handed over with rank-derived
    scores: the order scored is exactly the order given, ties included.
    """
    judged = {qid: dict(judgments) for qid, judgments in relevant.items() if judgments}
    if not judged:
        raise ValueError("no judged query to score: every query lacks a relevant judgment")
    if any(grade <= 0 for judgments in judged.values() for grade in judgments.values()):
        raise ValueError("relevant judgments must have grades above 0")
    codes = _FixedWidthIds()
    ranx_judged = {
        codes(qid): {codes(eid): grade for eid, grade in judgments.items()}
        for qid, judgments in judged.items()
    }
    run: dict[str, dict[str, float]] = {}
    for qid, entity_ids in ranking.items():
        if qid not in judged:
            continue
        unique = list(dict.fromkeys(entity_ids))
        if unique:
            run[codes(qid)] = {codes(eid): float(len(unique) - i) for i, eid in enumerate(unique)}
    with _numba_warnings_silenced():
        from ranx import Qrels, Run, evaluate

        ranx_qrels = Qrels(ranx_judged)
        ranx_run = (Run(run) if run else Run()).make_comparable(ranx_qrels)
        scores = evaluate(
            ranx_qrels,
            ranx_run,
            list(RANX_METRICS.values()),
            save_results_in_run=False,
        )
    return Metrics(
        queries=len(judged),
        **{field: float(scores[metric]) for field, metric in RANX_METRICS.items()},
    )
