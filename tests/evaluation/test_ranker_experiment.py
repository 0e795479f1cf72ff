"""The ranker experiment end to end on a small catalog: logging with swaps, propensities,
three debiasing modes, and every ranker measured on the same fresh candidate sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evaluation.ranker_experiment import run_experiment
from evaluation.ranker_experiment_cli import write_plots
from simulator.world import CatalogWorld
from tests.evaluation.conftest import CATALOG_SIZE, SEED


@pytest.mark.integration
def test_experiment_trains_and_compares_rankers(
    catalog: Path, pristine: Path, tmp_path: Path
) -> None:
    work = tmp_path / "data"
    shutil.copytree(pristine, work)
    report = run_experiment(
        work,
        CatalogWorld.from_file(catalog),
        catalog={"size": CATALOG_SIZE, "seed": SEED},
        train_sessions=300,
        eval_sessions=60,
        seed=SEED,
        swap_rate=0.3,
        coldstart_queries=150,
    )
    names = {"rrf", "ltr-coldstart", "ltr-none", "ltr-lightgbm", "ltr-ipw"}
    assert set(report.evaluation) == names
    versions = [e.version for e in report.evaluation.values()]
    assert len(set(versions)) == 5
    assert report.models["ltr-coldstart"].debias == "coldstart"
    assert report.evaluation["rrf"].ndcg_vs_rrf == 1.0
    # every ranker ordered the same candidate sets (same plan, nothing learned in between)
    assert len({e.mean_union_size for e in report.evaluation.values()}) == 1
    for evaluation in report.evaluation.values():
        assert 0.0 < evaluation.ndcg_at_10 <= 1.0
        assert evaluation.per_intent_success
    for model in report.models.values():
        assert model.searches > 20
        assert model.trees is not None
        assert model.trees >= 1
    # The debiased fits chose their rounds by counterfactual DCG; the naive one knows no
    # propensities and keeps them all.
    assert report.models["ltr-lightgbm"].valid_ips_dcg_at_10 is not None
    assert report.models["ltr-ipw"].valid_ips_dcg_at_10 is not None
    assert report.models["ltr-none"].valid_ips_dcg_at_10 is None
    assert report.models["ltr-none"].trees == 150
    p = report.propensities
    assert p is not None
    assert p.swapped_searches > 30
    assert len(p.estimated) == len(p.true) == 10
    assert p.estimated[0] == 1.0
    assert p.true[0] == 1.0
    assert p.true == sorted(p.true, reverse=True)
    files = write_plots(report, tmp_path / "plots")
    assert [f.name for f in files] == ["propensities.png", "rankers.png"]
    assert all(f.stat().st_size > 1000 for f in files)


def test_keep_data_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    """Checked before any work: a directory with other content is never overwritten."""
    from typer.testing import CliRunner

    from service.cli import app

    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["simulate-ranker", "--catalog-size", "50", "--data-dir", str(tmp_path / "sim"),
         "--keep-data", str(keep)],
    )  # fmt: skip
    assert result.exit_code == 2
    message = " ".join(result.output.replace("│", " ").split())  # rich wraps it in a panel
    assert "is not empty: give a new or empty directory" in message
    assert (keep / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "sim").exists()
