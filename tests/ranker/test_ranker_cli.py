"""``ltrr ranker``: list, show, activate, deactivate and rollback, on files and on Redis."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from ranker.cli import ranker_app
from ranker.feature_spec import FeatureSpec
from ranker.registry import (
    DataSpan,
    FileRegistryStore,
    ModelRegistry,
    RedisRegistryStore,
)
from ranker.train import TrainedModel
from tests.ranker.tiny_model import tiny_model

SPEC = FeatureSpec.for_strategies(["bm25", "dense"])
SPEC_STRATEGIES = "bm25,dense"
T0 = 1_795_000_000.0  # 2026-11-18 (UTC)


@pytest.fixture(scope="module")
def models() -> list[TrainedModel]:
    return [tiny_model(SPEC, seed) for seed in (11, 12)]


@dataclass
class Registered:
    """A data dir (or Redis URL) holding two registered versions, none active."""

    args: list[str]
    old: str
    new: str


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "LTRR_REDIS_URL",
        "REDIS_URL",
        "LTRR_DATA_DIR",
        "LTRR_PIPELINE__STRATEGIES",
        "LTRR_PIPELINE__DEFAULT_PLAN",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.integration)])
def registered(
    request: pytest.FixtureRequest, tmp_path: Path, models: list[TrainedModel]
) -> Registered:
    args = ["--data-dir", str(tmp_path)]
    if request.param == "files":
        store: FileRegistryStore | RedisRegistryStore = FileRegistryStore(tmp_path / "ranker")
    else:
        client: redis.Redis = request.getfixturevalue("redis_client")  # flushed before and after
        store = RedisRegistryStore(client)
        args += ["--redis-url", request.getfixturevalue("redis_url")]
    clock = iter([T0, T0 + 3600])
    with ModelRegistry(store, clock=lambda: next(clock)) as registry:
        span = DataSpan(source="feedback", searches=1204, rows=9632, first_search_at=T0 - 86400)
        old = registry.register(models[0], SPEC, trained_on=span, notes="weekly [retrain]")
        new = registry.register(models[1], SPEC, trained_on=span.model_copy(update={"rows": 1}))
    return Registered(args, old.version, new.version)


runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(ranker_app, list(args))
    if result.exit_code not in (0, 2):
        raise AssertionError(f"exit {result.exit_code}: {result.output}") from result.exception
    return result.exit_code, result.stdout, result.stderr


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_list_shows_versions_newest_first(registered: Registered) -> None:
    code, out, _ = _run("list", *registered.args)
    assert code == 0
    assert "2 model version(s), newest first" in out
    assert out.index(registered.new) < out.index(registered.old)
    assert SPEC.version in out
    assert "feedback, 1,204 searches" in out
    assert "weekly [retrain]" in out, "notes are printed as written, not as markup"
    assert re.search(r"ndcg@3 [01]\.\d{4}", out)
    assert out.rstrip().splitlines()[-1] == "no version is active; RRF serves results"


def test_activate_then_list_marks_the_active_version(registered: Registered) -> None:
    strategies = ["--strategies", SPEC_STRATEGIES]
    code, out, _ = _run("activate", registered.old, *registered.args, *strategies)
    assert (code, out.strip()) == (0, f"activated {registered.old} (was none)")
    code, out, _ = _run("activate", registered.new, *registered.args, *strategies)
    assert (code, out.strip()) == (0, f"activated {registered.new} (was {registered.old})")
    code, out, _ = _run("activate", registered.new, *registered.args, *strategies)
    assert (code, out.strip()) == (0, f"{registered.new} is already active")

    _, out, _ = _run("list", *registered.args)
    rows = [line.split()[:2] for line in out.splitlines()]
    assert ["*", registered.new] in rows
    assert [registered.old, SPEC.version] in rows, "only the active version is marked"
    assert f"active: {registered.new} (activation 2); rollback goes to {registered.old}" in out


def test_rollback_walks_back_to_rrf_then_nothing(registered: Registered) -> None:
    strategies = ["--strategies", SPEC_STRATEGIES]
    code, _, err = _run("rollback", *registered.args, *strategies)
    assert code == 2
    assert _one_line_error(err) == "error: nothing to roll back to: no model was ever activated"
    _run("activate", registered.old, *registered.args, *strategies)
    _, out, _ = _run("list", *registered.args)
    assert f"active: {registered.old} (activation 1); rollback goes to RRF (no model)" in out
    _run("activate", registered.new, *registered.args, *strategies)
    code, out, _ = _run("rollback", *registered.args, *strategies)
    assert (code, out.strip()) == (0, f"rolled back to {registered.old} (was {registered.new})")
    code, out, _ = _run("rollback", *registered.args, *strategies)
    assert (code, out.strip()) == (0, "rolled back to RRF (no model)")
    _, out, _ = _run("list", *registered.args)
    assert out.rstrip().splitlines()[-1] == (
        "no version is active; RRF serves results (change 4); rollback goes to nothing"
    )
    assert not [line for line in out.splitlines() if line.lstrip().startswith("*")]
    code, _, err = _run("rollback", *registered.args, *strategies)
    assert code == 2
    assert _one_line_error(err) == (
        "error: nothing to roll back to: nothing served before RRF (no model) is kept"
    )


def test_deactivate_then_rollback_reactivates_the_model(registered: Registered) -> None:
    strategies = ["--strategies", SPEC_STRATEGIES]
    code, out, _ = _run("deactivate", *registered.args)
    assert (code, out.strip()) == (0, "no model is active")
    _run("activate", registered.new, *registered.args, *strategies)
    code, out, _ = _run("deactivate", *registered.args)
    assert (code, out.strip()) == (0, f"RRF now orders results (was {registered.new})")
    code, out, _ = _run("deactivate", *registered.args)
    assert (code, out.strip()) == (0, "no model is active")
    _, out, _ = _run("list", *registered.args)
    assert out.rstrip().splitlines()[-1] == (
        f"no version is active; RRF serves results (change 2); rollback goes to {registered.new}"
    )
    # a rollback to a model is checked against the service's features; to RRF it is not
    code, _, err = _run("rollback", *registered.args, "--strategies", "bm25")
    assert code == 2
    line = _one_line_error(err)
    assert line.startswith(f"error: model version {registered.new} was trained on other features")
    code, out, _ = _run("rollback", *registered.args, *strategies)
    assert (code, out.strip()) == (0, f"rolled back to {registered.new} (was RRF)")
    _, out, _ = _run("list", *registered.args)
    assert f"active: {registered.new} (activation 3); rollback goes to RRF (no model)" in out
    code, out, _ = _run("rollback", *registered.args, "--strategies", "bm25")
    assert (code, out.strip()) == (0, "rolled back to RRF (no model)")


def test_show_prints_the_record(registered: Registered) -> None:
    code, out, _ = _run("show", registered.old, *registered.args)
    assert code == 0
    assert f"model version {registered.old}" in out
    assert "2026-11-18 11:06:40 UTC" in out, "created"
    assert "2026-11-17 11:06:40 UTC" in out, "first search"
    assert "feedback, 1,204 searches, 9,632 rows" in out
    assert '"n_estimators": 5' in out
    assert "weekly [retrain]" in out
    [active_row] = [line for line in out.splitlines() if line.strip().startswith("active")]
    assert active_row.split() == ["active", "no"]


@pytest.mark.parametrize(
    "command", [["show"], ["activate", "--strategies", SPEC_STRATEGIES]], ids=["show", "activate"]
)
def test_unknown_version_exits_2_listing_the_registered_ones(
    registered: Registered, command: list[str]
) -> None:
    code, out, err = _run(*command, "20990101T000000-000000", *registered.args)
    assert code == 2
    assert out == ""
    assert _one_line_error(err) == (
        "error: unknown model version '20990101T000000-000000'; "
        f"registered: {registered.new}, {registered.old}"
    )


def test_spec_mismatch_exits_2_and_names_the_features(registered: Registered) -> None:
    code, _, err = _run("activate", registered.old, *registered.args, "--strategies", "bm25")
    assert code == 2
    line = _one_line_error(err)
    assert line.startswith(f"error: model version {registered.old} was trained on other features")
    assert "unexpected: found_dense, rank_dense" in line
    assert "checked against the features of strategies bm25; see --strategies" in line
    _, out, _ = _run("list", *registered.args)
    assert "no version is active" in out


def test_activate_checks_the_configured_strategies_by_default(
    registered: Registered, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _run("activate", registered.old, *registered.args)
    assert code == 2, "the default pipeline computes more strategies than the model knows"
    assert "missing: found_structured" in _one_line_error(err)
    monkeypatch.setenv("LTRR_PIPELINE__STRATEGIES", '["bm25", "dense"]')
    code, _, err = _run("activate", registered.old, *registered.args)
    assert code == 2
    assert _one_line_error(err).startswith(
        "error: cannot read the service settings: Value error, default_plan names strategies "
        "that are not registered"
    )
    monkeypatch.setenv("LTRR_PIPELINE__DEFAULT_PLAN", '{"bm25": 100, "dense": 50}')
    code, out, _ = _run("activate", registered.old, *registered.args)
    assert (code, out.strip()) == (0, f"activated {registered.old} (was none)")


def test_empty_registry(tmp_path: Path) -> None:
    code, out, _ = _run("list", "--data-dir", str(tmp_path))
    assert (code, out.strip()) == (0, "no model versions are registered")
    code, _, err = _run("show", "x", "--data-dir", str(tmp_path))
    assert code == 2
    assert (
        _one_line_error(err) == "error: unknown model version 'x': no model version is registered"
    )
    assert not (tmp_path / "ranker").exists(), "reading creates nothing"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--redis-url", "redis://127.0.0.1:1/0"],
            "error: cannot use the model registry in Redis:",
        ),
        (["--redis-url", "ftp://example.org"], "error: cannot open the model registry:"),
        (["--strategies", "BM25"], "error: strategy names must match"),
        (["--strategies", " , "], "error: strategies must name at least one strategy"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = _run("rollback", "--data-dir", str(tmp_path), *args)
    assert code == 2
    assert _one_line_error(err).startswith(message)


@pytest.mark.integration
def test_redis_url_comes_from_the_environment(
    redis_url: str,
    redis_client: redis.Redis,
    models: list[TrainedModel],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with ModelRegistry(RedisRegistryStore(redis_client)) as registry:
        version = registry.register(models[0], SPEC, trained_on=DataSpan(source="synthetic"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    code, out, _ = _run("list", "--data-dir", str(tmp_path))
    assert code == 0
    assert version.version in out
    assert not (tmp_path / "ranker").exists()
