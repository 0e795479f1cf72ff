"""``ltrr simulate --ranker-model``: every policy ranks with one registered model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from evaluation.policy_setup import install_ranker, load_ranker
from ranker.feature_spec import FeatureSpec
from ranker.registry import DataSpan, FileRegistryStore, ModelRegistry
from service.app import create_app
from service.cli import app
from service.settings import FeedbackConfig, Settings
from tests.ranker.tiny_model import tiny_model


def _register(root: Path, strategies: tuple[str, ...]) -> Path:
    """A small model over ``strategies``' features, registered under ``root/ranker``."""
    spec = FeatureSpec.for_strategies(strategies)
    model = tiny_model(spec, seed=5)
    with ModelRegistry(FileRegistryStore(root / "ranker")) as registry:
        record = registry.register(model, spec, trained_on=DataSpan(source="synthetic"))
    return root / "ranker" / record.version


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    strategies = tuple(Settings(data_dir=Path("unused")).pipeline.strategies)
    return _register(tmp_path_factory.mktemp("models"), strategies)


def test_an_installed_model_orders_the_service_results(
    model_dir: Path, pristine: Path, tmp_path: Path, catalog: Path
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(pristine, data_dir)
    settings = Settings(data_dir=data_dir, feedback=FeedbackConfig(in_process_worker=False))
    bundle = load_ranker(model_dir, settings.pipeline.strategies)
    install_ranker(bundle, settings)
    title = json.loads(catalog.read_text(encoding="utf-8").splitlines()[0])["title"]
    with TestClient(create_app(settings)) as client:
        response = client.post("/search", json={"query": title, "explain": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["results"]
    assert body["explain"]["ranker"] == model_dir.name


def test_cli_reports_the_model_every_policy_ranked_with(
    model_dir: Path, tmp_path: Path, cli_data: Path
) -> None:
    out, report = tmp_path / "out.json", tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--catalog-size", "800",
            "--sessions", "10",
            "--seed", "4",
            "--policy", "static-all",
            "--json", str(out),
            "--report", str(report),
            "--data-dir", str(cli_data),
            "--ranker-model", str(model_dir),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["ranker"] == model_dir.name
    assert body["policies"]["static-all"]["overall"]["sessions"] == 10
    assert f"ranker model {model_dir.name}" in (report / "report.md").read_text(encoding="utf-8")


def test_a_directory_that_is_no_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ranker" / "nothing").mkdir(parents=True)
    result = CliRunner().invoke(
        app, ["simulate", "--ranker-model", str(tmp_path / "ranker" / "nothing")]
    )
    assert result.exit_code == 2
    assert "is not a registered ranker model" in " ".join(result.output.split())


def test_a_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    other = _register(tmp_path, ("bm25", "dense"))
    with pytest.raises(ValueError, match="trained on other features"):
        load_ranker(other, ("bm25", "dense", "structured", "memory"))
    result = CliRunner().invoke(app, ["simulate", "--ranker-model", str(other)])
    assert result.exit_code == 2
    assert "--ranker-model" in result.output
