"""Offline evaluation on judged query sets: loading, ranx scoring, fusion and ``ltrr eval``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.judged import (
    UNION,
    EvaluationError,
    EvaluationReport,
    JudgedSet,
    JudgedSetError,
    evaluate_strategies,
    load_judged_set,
    load_qrels,
    load_queries,
    score_run,
)
from retrievers.base import Candidate, RetrievalQuery, rank_candidates
from service.cli import app
from service.settings import PipelineConfig, Settings
from service.strategies import STRATEGIES, build_retrievers

FIXTURES = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
CATALOG = FIXTURES / "fixture_catalog.jsonl"
QUERIES = FIXTURES / "fixture_queries.tsv"
QRELS = FIXTURES / "fixture_qrels.txt"

# BM25 on the fixture catalog at depth 100, measured at 0.502 / 0.721 / 0.673-0.675 / 0.851.
BM25_FIXTURE_BARS = {"recall_at_10": 0.48, "recall_at_100": 0.70, "ndcg_at_10": 0.65, "mrr": 0.82}

runner = CliRunner()


@pytest.fixture(scope="session")
def fixture_judged() -> JudgedSet:
    return load_judged_set(QUERIES, QRELS)


@pytest.fixture(scope="session")
def bm25_fixture_report(fixture_data_dir: Path, fixture_judged: JudgedSet) -> EvaluationReport:
    settings = Settings(
        data_dir=fixture_data_dir,
        pipeline=PipelineConfig(strategies=["bm25"], default_plan={"bm25": 100}),
    )
    return evaluate_strategies(fixture_judged, build_retrievers(settings), depth=100)


# -- loading -----------------------------------------------------------------------------


def test_fixture_set_loads(fixture_judged: JudgedSet) -> None:
    assert len(fixture_judged.queries) == 47
    assert fixture_judged.judgment_count == 526
    assert fixture_judged.queries[0].qid == "spear-01"
    assert fixture_judged.queries[0].text == "bohemian rhapsody"
    assert fixture_judged.qrels["spear-01"]["fx:track:bohemian-rhapsody-queen"] == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("q1\thello\nq2 no tab\n", r"queries\.tsv:2: expected 2 tab-separated fields"),
        ("q1\thello\n\nq2\ta\tb\n", r"queries\.tsv:3: expected 2 tab-separated fields .*got 3"),
        ("q1\thello\n\t world\n", r"queries\.tsv:2: query id must be one non-empty word"),
        ("q1\t  \n", r"queries\.tsv:1: query 'q1' has an empty text"),
        ("q1\ta\nq2\tb\nq1\tc\n", r"queries\.tsv:3: duplicate query id 'q1' \(first on line 1\)"),
        (b"q1\ta\nq2\t\xff\n", r"queries\.tsv:2: invalid UTF-8"),
    ],
)
def test_bad_query_lines_name_file_and_line(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "queries.tsv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(JudgedSetError, match=message) as caught:
        load_queries(path)
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("q1 0 a 1\nq1 0 b\n", r"qrels\.txt:2: expected 4 fields 'qid iteration entity_id grade'"),
        ("q1 0 a 1\n\nq1 0 b high\n", r"qrels\.txt:3: grade must be an integer, got 'high'"),
        ("q1 0 a 1\nq1 0 a 2\n", r"qrels\.txt:2: duplicate judgment for query 'q1' and 'a'"),
        ("q1\t0\ta\t1\tx\n", r"qrels\.txt:1: expected 4 fields .*got 5"),
    ],
)
def test_bad_qrels_lines_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text(content)
    with pytest.raises(JudgedSetError, match=message):
        load_qrels(path)


def test_judgment_for_unknown_query_names_its_line(tmp_path: Path) -> None:
    queries = tmp_path / "queries.tsv"
    queries.write_text("1\tfirst\n2\tsecond\n")
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("1 0 a 1\n2 0 b 1\n4 0 c 2\n")
    with pytest.raises(JudgedSetError, match=r"qrels\.txt:3: query id '4' is not in"):
        load_judged_set(queries, qrels)


def test_tabs_spaces_bom_and_crlf_are_read(tmp_path: Path) -> None:
    queries = tmp_path / "queries.tsv"
    queries.write_bytes(b"\xef\xbb\xbfq1\tfirst query\r\nq2\tsecond\r\n")
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1\t0\ta\t2\nq2 0 b 0\n")
    judged = load_judged_set(queries, qrels)
    assert [(q.qid, q.text) for q in judged.queries] == [("q1", "first query"), ("q2", "second")]
    assert judged.qrels == {"q1": {"a": 2}, "q2": {"b": 0}}
    assert judged.relevant == {"q1": {"a": 2}}  # grade 0 is judged non-relevant


# -- metrics -----------------------------------------------------------------------------


def test_ranx_scores_match_hand_computed_values() -> None:
    relevant = {
        "q1": {"a": 3, "b": 1},
        "q2": {"c": 2},
        "q3": {"d": 1, "e": 1, "f": 1, "g": 1},
    }
    ranking = {
        "q1": ["x", "a", "y", "b"],
        "q2": [],
        "q3": ["d", *[f"n{i}" for i in range(48)], "e"],  # e at rank 50
        "unjudged": ["a"],
    }
    # q1: both relevant found; first at rank 2; gains 3 at rank 2 and 1 at rank 4.
    ndcg_q1 = (3 / math.log2(3) + 1 / math.log2(5)) / (3 / math.log2(2) + 1 / math.log2(3))
    # q3: d at rank 1 (in top 10), e at rank 50 (in top 100), f and g never.
    ideal_q3 = sum(1 / math.log2(rank + 1) for rank in range(1, 5))
    ndcg_q3 = 1.0 / ideal_q3
    expected = {
        "recall_at_10": (1.0 + 0.0 + 1 / 4) / 3,
        "recall_at_100": (1.0 + 0.0 + 2 / 4) / 3,
        "ndcg_at_10": (ndcg_q1 + 0.0 + ndcg_q3) / 3,
        "mrr": (1 / 2 + 0.0 + 1.0) / 3,
    }
    metrics = score_run(relevant, ranking)
    assert metrics.queries == 3
    for name, value in expected.items():
        assert getattr(metrics, name) == pytest.approx(value, abs=1e-12), name
    assert ndcg_q1 == pytest.approx(0.639909, abs=1e-6)  # 2.323466 / 3.630930


def test_scoring_keeps_the_given_order_on_ties() -> None:
    # Retrievers often tie; the run is scored in the order returned, not re-sorted by id.
    assert score_run({"q": {"z": 1}}, {"q": ["z", "a"]}).mrr == 1.0
    assert score_run({"q": {"z": 1}}, {"q": ["a", "z"]}).mrr == 0.5


def test_scoring_needs_a_relevant_judgment() -> None:
    with pytest.raises(ValueError, match="no judged query to score"):
        score_run({"q": {}}, {"q": ["a"]})


# -- strategies and their union -----------------------------------------------------------


class ListRetriever:
    """Answers every query with a fixed list."""

    def __init__(self, name: str, ids: list[str]) -> None:
        self.name = name
        self.ids = ids

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        return rank_candidates(((eid, 1.0) for eid in self.ids[:k]), self.name)


class FailingRetriever:
    name = "broken"

    def search(self, query: RetrievalQuery, k: int) -> list[Candidate]:
        raise RuntimeError("index unavailable")


def _tiny_set() -> JudgedSet:
    return JudgedSet.model_validate(
        {
            "queries": [{"qid": "q1", "text": "first"}, {"qid": "q2", "text": "unjudged"}],
            "qrels": {"q1": {"a": 1}, "q2": {"b": 0}},
        }
    )


def test_union_is_fused_by_reciprocal_rank() -> None:
    retrievers = {
        "lexical": ListRetriever("lexical", ["x", "a"]),
        "semantic": ListRetriever("semantic", ["a", "y", "z"]),
    }
    report = evaluate_strategies(_tiny_set(), retrievers, depth=2)
    assert [r.name for r in report.results] == ["lexical", "semantic", UNION]
    assert report.queries == 1
    assert report.skipped_queries == ["q2"]
    assert report.result("lexical").metrics.mrr == 0.5
    assert report.result("semantic").metrics.mrr == 1.0
    union = report.result(UNION)
    assert union.metrics.mrr == 1.0  # a: 1/62 + 1/61 beats x: 1/61
    assert union.mean_candidates == 3.0  # x, a, y (depth 2 each)
    assert union.mean_latency_ms is None
    assert report.result("semantic").mean_candidates == 2.0


def test_failing_strategy_names_the_query() -> None:
    with pytest.raises(EvaluationError, match=r"strategy 'broken' failed on query 'q1'"):
        evaluate_strategies(_tiny_set(), {"broken": FailingRetriever()}, depth=10)


def test_union_is_not_a_strategy_name() -> None:
    with pytest.raises(ValueError, match="'union' names the fused union"):
        evaluate_strategies(_tiny_set(), {UNION: ListRetriever(UNION, ["a"])}, depth=10)


# -- BM25 on the fixture catalog ------------------------------------------------------------


def test_bm25_fixture_metrics_stay_above_bars(bm25_fixture_report: EvaluationReport) -> None:
    bm25 = bm25_fixture_report.result("bm25")
    assert bm25.metrics.queries == 47
    for name, bar in BM25_FIXTURE_BARS.items():
        assert getattr(bm25.metrics, name) >= bar, (name, bm25.metrics)
    # One strategy: the fused union ranks exactly as that strategy does.
    assert bm25_fixture_report.result(UNION).metrics == bm25.metrics


# -- the command line ------------------------------------------------------------------------


def _eval_args(qrels: Path = QRELS) -> list[str]:
    return ["eval", "--catalog", str(CATALOG), "--queries", str(QUERIES), "--qrels", str(qrels)]


def test_cli_writes_a_json_report(tmp_path: Path, bm25_fixture_report: EvaluationReport) -> None:
    out = tmp_path / "reports" / "bm25.json"
    result = runner.invoke(
        app, [*_eval_args(), "--strategies", "bm25", "--depth", "100", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "nDCG@10" in result.stdout
    report = EvaluationReport.model_validate(json.loads(out.read_text()))
    assert report.catalog == str(CATALOG)
    assert [r.name for r in report.results] == ["bm25", UNION]
    # Two index builds may keep different equal-scored entities at the depth boundary,
    # so the CLI's metrics match the library path's up to such ties.
    got = report.result("bm25").metrics.model_dump()
    want = bm25_fixture_report.result("bm25").metrics.model_dump()
    assert got == pytest.approx(want, abs=0.01)


def test_cli_uses_a_built_data_dir_as_is(fixture_data_dir: Path) -> None:
    result = runner.invoke(app, [*_eval_args(), "--data-dir", str(fixture_data_dir)])
    assert result.exit_code == 0, result.output
    assert "not re-indexing" in result.stderr


def test_cli_unknown_strategy_exits_2_without_traceback() -> None:
    result = runner.invoke(app, [*_eval_args(), "--strategies", "bm25,telepathy"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "unknown strategies ['telepathy']; valid strategies: [" in result.stderr
    assert "Traceback" not in result.output


def test_cli_bad_qrels_line_exits_2(tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("spear-01 0 fx:track:bohemian-rhapsody-queen three\n")
    result = runner.invoke(app, _eval_args(qrels=qrels))
    assert result.exit_code == 2
    assert f"{qrels}:1: grade must be an integer, got 'three'" in result.stderr


def test_cli_is_generic_over_registered_strategies(
    tmp_path: Path, fixture_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queen = "fx:track:bohemian-rhapsody-queen"
    monkeypatch.setitem(STRATEGIES, "constant", lambda _: ListRetriever("constant", [queen]))
    out = tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            *_eval_args(),
            "--strategies",
            "bm25,constant",
            "--data-dir",
            str(fixture_data_dir),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = EvaluationReport.model_validate_json(out.read_text())
    assert report.strategies == ["bm25", "constant"]
    assert [r.name for r in report.results] == ["bm25", "constant", UNION]
    assert report.result("constant").mean_candidates == 1.0
    # The union holds everything bm25 found, plus the constant answer where bm25 missed it.
    union, bm25 = report.result(UNION), report.result("bm25")
    assert union.metrics.recall_at_100 >= bm25.metrics.recall_at_100
    assert union.empty_queries == 0


def test_cli_strategy_failure_exits_1_naming_the_query(
    fixture_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(STRATEGIES, "broken", lambda _: FailingRetriever())
    result = runner.invoke(
        app, [*_eval_args(), "--strategies", "broken", "--data-dir", str(fixture_data_dir)]
    )
    assert result.exit_code == 1
    assert "strategy 'broken' failed on query 'spear-01'" in result.stderr
    assert "index unavailable" in result.stderr
