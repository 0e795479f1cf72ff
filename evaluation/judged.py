"""Offline evaluation of retrieval strategies on a judged query set.

A judged query set is two files:

* queries, one per line as ``qid<TAB>text`` (UTF-8, no header, blank lines ignored);
* TREC qrels, one judgment per line as ``qid iteration entity_id grade`` (whitespace-separated;
  the iteration column is ignored, as ``trec_eval`` does; grades above 0 are relevant).

Every requested strategy runs at one depth on every judged query, and so does their **union**,
ordered by reciprocal-rank fusion exactly as the search pipeline orders it before a learned
ranker is active (:func:`service.fusion.reciprocal_rank_fusion`). Each run is scored with
`ranx <https://github.com/AmenRa/ranx>`_ (Bassani, "ranx: A Blazing-Fast Python Library for
Ranking Evaluation and Comparison", ECIR 2022): recall@10, recall@100, nDCG@10 with linear gain
(Järvelin & Kekäläinen 2002, the ``trec_eval`` formulation) and MRR over the whole list.

Queries without any relevant judgment cannot be scored (their recall is undefined); they are
not run and are listed in the report instead.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from retrievers.base import Candidate, RetrievalQuery, Retriever
from service.fusion import reciprocal_rank_fusion

UNION = "union"
"""The report's name for the fused union of all evaluated strategies."""

RANX_METRICS: dict[str, str] = {
    "recall_at_10": "recall@10",
    "recall_at_100": "recall@100",
    "ndcg_at_10": "ndcg@10",
    "mrr": "mrr",
}
"""Report field → ranx metric name."""


class JudgedSetError(ValueError):
    """A line of a queries or qrels file that cannot be read; names the file and line."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class EvaluationError(RuntimeError):
    """A strategy failed on a query during an evaluation run."""


# -- judged query sets -----------------------------------------------------------------


class JudgedQuery(BaseModel):
    """One query of a judged set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    qid: str = Field(min_length=1)
    text: str = Field(min_length=1)


class JudgedSet(BaseModel):
    """Queries and their graded relevance judgments (``qid → entity_id → grade``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queries: list[JudgedQuery]
    qrels: dict[str, dict[str, int]]
    queries_path: str | None = None
    qrels_path: str | None = None

    @property
    def relevant(self) -> dict[str, dict[str, int]]:
        """Judgments with a grade above 0, for queries that have at least one."""
        out: dict[str, dict[str, int]] = {}
        for qid, judgments in self.qrels.items():
            positive = {eid: grade for eid, grade in judgments.items() if grade > 0}
            if positive:
                out[qid] = positive
        return out

    @property
    def judgment_count(self) -> int:
        return sum(len(judgments) for judgments in self.qrels.values())


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered (from 1) text lines of a UTF-8 file, without line endings; a leading BOM is
    dropped and a line that is not valid UTF-8 is reported with its number."""
    data = path.read_bytes()
    data = data.removeprefix(b"\xef\xbb\xbf")
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JudgedSetError(
                path, number, f"invalid UTF-8 at byte {error.start} of the line"
            ) from error
        yield number, line.removesuffix("\r")


def load_queries(path: Path) -> list[JudgedQuery]:
    """Read a ``qid<TAB>text`` file; every bad line raises :class:`JudgedSetError`."""
    queries: list[JudgedQuery] = []
    first_line: dict[str, int] = {}
    for number, line in _lines(path):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise JudgedSetError(
                path,
                number,
                f"expected 2 tab-separated fields 'qid<TAB>text', got {len(fields)}",
            )
        qid, text = fields[0].strip(), fields[1].strip()
        if not qid or any(char.isspace() for char in qid):
            raise JudgedSetError(path, number, f"query id must be one non-empty word, got {qid!r}")
        if not text:
            raise JudgedSetError(path, number, f"query {qid!r} has an empty text")
        if qid in first_line:
            raise JudgedSetError(
                path, number, f"duplicate query id {qid!r} (first on line {first_line[qid]})"
            )
        first_line[qid] = number
        queries.append(JudgedQuery(qid=qid, text=text))
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read TREC qrels ``qid iteration entity_id grade``; bad lines raise
    :class:`JudgedSetError`. Judgments keep the file's order within each query."""
    qrels: dict[str, dict[str, int]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for number, line in _lines(path):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise JudgedSetError(
                path,
                number,
                f"expected 4 fields 'qid iteration entity_id grade', got {len(fields)}",
            )
        qid, _iteration, entity_id, grade_text = fields
        try:
            grade = int(grade_text)
        except ValueError as error:
            raise JudgedSetError(
                path, number, f"grade must be an integer, got {grade_text!r}"
            ) from error
        key = (qid, entity_id)
        if key in first_line:
            raise JudgedSetError(
                path,
                number,
                f"duplicate judgment for query {qid!r} and {entity_id!r} "
                f"(first on line {first_line[key]})",
            )
        first_line[key] = number
        qrels.setdefault(qid, {})[entity_id] = grade
    return qrels


def load_judged_set(queries_path: Path, qrels_path: Path) -> JudgedSet:
    """Read a judged set; a judgment for a query id missing from the queries is an error
    (it usually means the two files number their queries differently)."""
    queries = load_queries(queries_path)
    qrels = load_qrels(qrels_path)
    known = {query.qid for query in queries}
    unknown = [qid for qid in qrels if qid not in known]
    if unknown:
        line = _first_line_of(qrels_path, unknown[0])
        raise JudgedSetError(
            qrels_path,
            line,
            f"query id {unknown[0]!r} is not in {queries_path} "
            f"({len(unknown)} judged query id(s) missing there)",
        )
    return JudgedSet(
        queries=queries,
        qrels=qrels,
        queries_path=str(queries_path),
        qrels_path=str(qrels_path),
    )


def _first_line_of(qrels_path: Path, qid: str) -> int:
    for number, line in _lines(qrels_path):
        fields = line.split()
        if fields and fields[0] == qid:
            return number
    return 0  # pragma: no cover - the qid came from this file


# -- metrics -----------------------------------------------------------------------------


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


# -- evaluation runs ---------------------------------------------------------------------


class StrategyReport(BaseModel):
    """How one strategy (or the fused union) did on the judged set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    metrics: Metrics
    mean_candidates: float = Field(ge=0.0, description="Candidates returned per query.")
    empty_queries: int = Field(ge=0, description="Queries with no candidate at all.")
    mean_latency_ms: float | None = Field(
        default=None, description="Mean search time per query (None for the union)."
    )


class EvaluationReport(BaseModel):
    """The outcome of evaluating strategies and their union on one judged set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(ge=1, description="Candidates drawn from each strategy per query.")
    rrf_k: int = Field(ge=1, description="Reciprocal-rank-fusion constant of the union.")
    strategies: list[str]
    queries: int = Field(ge=0, description="Judged queries evaluated.")
    skipped_queries: list[str] = Field(
        default_factory=list, description="Query ids without any relevant judgment."
    )
    queries_path: str | None = None
    qrels_path: str | None = None
    catalog: str | None = None
    results: list[StrategyReport] = Field(description="Each strategy, then the union.")

    def result(self, name: str) -> StrategyReport:
        """The report of one strategy, or of ``"union"``."""
        for report in self.results:
            if report.name == name:
                return report
        raise KeyError(f"no result named {name!r}; results: {[r.name for r in self.results]}")


def _summary(
    name: str,
    relevant: Mapping[str, Mapping[str, int]],
    ranking: Mapping[str, Sequence[str]],
    latency_ms: float | None,
) -> StrategyReport:
    sizes = [len(ranking.get(qid, ())) for qid in relevant]
    return StrategyReport(
        name=name,
        metrics=score_run(relevant, ranking),
        mean_candidates=sum(sizes) / len(sizes),
        empty_queries=sum(1 for size in sizes if size == 0),
        mean_latency_ms=latency_ms,
    )


def evaluate_strategies(
    judged: JudgedSet,
    retrievers: Mapping[str, Retriever],
    depth: int,
    *,
    rrf_k: int = 60,
    on_query: Callable[[], None] | None = None,
) -> EvaluationReport:
    """Run every retriever at ``depth`` on every judged query, fuse the union by RRF, and
    score each run and the union. ``on_query`` is called once per query (progress)."""
    if depth < 1:
        raise ValueError(f"depth must be a positive integer, but {depth} is given")
    if not retrievers:
        raise ValueError("at least one strategy is needed")
    if UNION in retrievers:
        raise ValueError(f"{UNION!r} names the fused union and cannot be a strategy name")
    relevant = judged.relevant
    queries = [query for query in judged.queries if query.qid in relevant]
    skipped = [query.qid for query in judged.queries if query.qid not in relevant]
    if not queries:
        raise ValueError("no query of the judged set has a relevant judgment (grade above 0)")

    rankings: dict[str, dict[str, list[str]]] = {name: {} for name in retrievers}
    seconds: dict[str, float] = dict.fromkeys(retrievers, 0.0)
    union: dict[str, list[str]] = {}
    for query in queries:
        runs: dict[str, list[Candidate]] = {}
        for name, retriever in retrievers.items():
            start = time.perf_counter()
            try:
                candidates = retriever.search(RetrievalQuery(query.text), depth)[:depth]
            except Exception as error:
                raise EvaluationError(
                    f"strategy {name!r} failed on query {query.qid!r} ({query.text!r}): "
                    f"{type(error).__name__}: {error}"
                ) from error
            seconds[name] += time.perf_counter() - start
            runs[name] = candidates
            rankings[name][query.qid] = [c.entity_id for c in candidates]
        union[query.qid] = [eid for eid, _ in reciprocal_rank_fusion(runs, k=rrf_k)]
        if on_query is not None:
            on_query()

    results = [
        _summary(name, relevant, rankings[name], seconds[name] * 1000 / max(1, len(queries)))
        for name in retrievers
    ]
    results.append(_summary(UNION, relevant, union, None))
    return EvaluationReport(
        depth=depth,
        rrf_k=rrf_k,
        strategies=list(retrievers),
        queries=len(queries),
        skipped_queries=skipped,
        queries_path=judged.queries_path,
        qrels_path=judged.qrels_path,
        results=results,
    )
