"""The Cranfield conversion and BM25's pinned effectiveness on it."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.model import Entity, EntityType
from evaluation.cranfield import (
    QRELS_FILE,
    SOURCE_DIR,
    UNTITLED,
    ConversionReport,
    CranfieldFormatError,
    convert,
)
from evaluation.judged import EvaluationReport, JudgedSet, evaluate_strategies, load_judged_set
from service.cli import app
from service.indexing import index_catalog
from service.settings import PipelineConfig, Settings
from service.strategies import build_retrievers

# BM25 (default settings) on Cranfield at depth 100, measured at nDCG@10 0.2982 and
# recall@100 0.6234 (225 queries).
BM25_NDCG_AT_10_BAR = 0.29
BM25_RECALL_AT_100_BAR = 0.61


@pytest.fixture(scope="session")
def cranfield(tmp_path_factory: pytest.TempPathFactory) -> ConversionReport:
    return convert(tmp_path_factory.mktemp("cranfield"))


@pytest.fixture(scope="session")
def entities(cranfield: ConversionReport) -> dict[str, Entity]:
    lines = cranfield.catalog_path.read_text(encoding="utf-8").splitlines()
    parsed = [Entity.model_validate_json(line) for line in lines]
    return {entity.id: entity for entity in parsed}


@pytest.fixture(scope="session")
def cranfield_judged(cranfield: ConversionReport) -> JudgedSet:
    return load_judged_set(cranfield.queries_path, cranfield.qrels_path)


@pytest.fixture(scope="session")
def bm25_cranfield_report(
    cranfield: ConversionReport,
    cranfield_judged: JudgedSet,
    tmp_path_factory: pytest.TempPathFactory,
) -> EvaluationReport:
    data_dir = tmp_path_factory.mktemp("cranfield-data")
    settings = Settings(
        data_dir=data_dir,
        pipeline=PipelineConfig(strategies=["bm25"], default_plan={"bm25": 100}),
    )
    index_catalog(cranfield.catalog_path, data_dir, settings, strict=True)
    return evaluate_strategies(cranfield_judged, build_retrievers(settings), depth=100)


def test_every_document_becomes_an_entity(
    cranfield: ConversionReport, entities: dict[str, Entity]
) -> None:
    assert cranfield.documents == 1400
    assert len(entities) == 1400
    assert set(entities) == {f"cran:doc:{n}" for n in range(1, 1401)}
    assert all(e.type is EntityType.EPISODE and e.show == "Cranfield" for e in entities.values())


def test_document_fields(entities: dict[str, Entity]) -> None:
    first = entities["cran:doc:1"]
    assert first.title == "experimental investigation of the aerodynamics of a wing in a slipstream"
    assert first.artists == ["brenckman,m."]
    assert first.attributes == {"cranfield_id": 1, "bibliography": "j. ae. scs. 25, 1958, 324."}
    # The abstract's leading copy of the title is removed; the rest is kept.
    assert first.description is not None
    assert first.description.startswith("an experimental study of a wing in a propeller")
    assert entities["cran:doc:7"].artists == ["van driest,e.r.", "mccauley,w.d."]


def test_damaged_and_empty_source_records(entities: dict[str, Entity]) -> None:
    damaged = entities["cran:doc:240"].description
    assert damaged is not None
    assert "application to turbulent separations" in damaged
    assert "unity in low-speed flow" in damaged
    assert ".A" not in damaged
    assert entities["cran:doc:240"].artists == ["dean r. chapman"]
    for number in (471, 995):
        empty = entities[f"cran:doc:{number}"]
        assert empty.title == UNTITLED
        assert empty.description is None


def test_queries_are_numbered_by_ordinal(
    cranfield: ConversionReport, cranfield_judged: JudgedSet
) -> None:
    assert cranfield.queries == 225
    queries = cranfield_judged.queries
    assert [q.qid for q in queries] == [str(n) for n in range(1, 226)]
    # cranqrel's query 3 is the third query in cran.qry, whose .I id is 004.
    assert queries[2].text == (
        "what problems of heat conduction in composite slabs have been solved so far ."
    )


def test_qrels_counts_match_the_source(
    cranfield: ConversionReport, cranfield_judged: JudgedSet
) -> None:
    grades = Counter(
        grade for judgments in cranfield_judged.qrels.values() for grade in judgments.values()
    )
    # grade = 5 - code; codes 1:128, 2:387, 3:734, 4:363; the 225 "-1" lines are dropped.
    assert grades == {4: 128, 3: 387, 2: 734, 1: 363}
    assert cranfield.grades == {4: 128, 3: 387, 2: 734, 1: 363}
    assert cranfield.dropped == 225
    assert cranfield_judged.judgment_count == 1612
    assert cranfield_judged.qrels["1"]["cran:doc:184"] == 3  # "1 184 2" in cranqrel
    assert len(cranfield_judged.relevant) == 225


def test_bad_source_lines_name_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(SOURCE_DIR, source)
    with (source / QRELS_FILE).open("a") as handle:
        handle.write("\n1 12 7\n")
    with pytest.raises(CranfieldFormatError, match=r"cranqrel\.txt:1838: relevance code must"):
        convert(tmp_path / "out", source)


def test_dataset_command_writes_the_same_files(tmp_path: Path, cranfield: ConversionReport) -> None:
    out = tmp_path / "cran"
    result = CliRunner().invoke(app, ["dataset", "cranfield", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for path in (cranfield.catalog_path, cranfield.queries_path, cranfield.qrels_path):
        assert (out / path.name).read_bytes() == path.read_bytes()


def test_bm25_on_cranfield_stays_above_bars(bm25_cranfield_report: EvaluationReport) -> None:
    metrics = bm25_cranfield_report.result("bm25").metrics
    assert metrics.queries == 225
    assert metrics.ndcg_at_10 >= BM25_NDCG_AT_10_BAR, metrics
    assert metrics.recall_at_100 >= BM25_RECALL_AT_100_BAR, metrics
    json.loads(bm25_cranfield_report.model_dump_json())
