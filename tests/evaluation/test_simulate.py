"""Simulated evaluation end to end: policies, metrics, report and the ``ltrr simulate`` command."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from evaluation.policies import (
    LADDER,
    MemoryVariant,
    Oracle,
    PolicyEnvironment,
    PolicyError,
    feasible_plans,
    make_policy,
    split_variant,
    static_all_plan,
)
from evaluation.policy_setup import check_variant, prepare_policy_dir, settings_for
from evaluation.report import LineStyle, line_styles, write_report
from evaluation.simulate import (
    PolicyRun,
    SimulationReport,
    examination_curve,
    is_head_misspelled,
    ndcg_at_k,
    run_policy,
    strategy_metrics,
)
from evaluation.simulate_cli import parse_type_mix
from service.app import create_app
from service.cli import app
from service.settings import FeedbackConfig, Settings
from simulator.api import SearchCall, SearchOutcome
from simulator.config import SimulatorConfig
from simulator.intents import IntentType
from simulator.population import Population
from simulator.sampling import IntentSampler
from simulator.session import PlanRequest
from simulator.world import CatalogWorld
from tests.evaluation.conftest import CATALOG_SIZE, SEED

SESSIONS = 200


@pytest.fixture(scope="module")
def runs(
    catalog: Path, pristine: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PolicyRun]:
    """static-bm25 and oracle on the same listeners, each on a fresh copy of the service."""

    world = CatalogWorld.from_file(catalog)
    config = SimulatorConfig()
    population = Population.generate(world, config.population, SEED)
    sampler = IntentSampler(world, config.intents, SEED)
    out = {}
    for name in ("static-bm25", "oracle"):
        work = tmp_path_factory.mktemp(f"work-{name}") / "data"
        shutil.copytree(pristine, work)
        # Feedback is posted, verified and durably queued; applying it (learning) is left
        # to a separate worker that does not run here: static plans and the oracle learn
        # nothing, and the in-process worker would double the time per session.
        settings = Settings(data_dir=work, feedback=FeedbackConfig(in_process_worker=False))
        with TestClient(create_app(settings)) as client:
            out[name] = run_policy(
                client,
                world,
                name,
                sessions=SESSIONS,
                seed=SEED,
                config=config,
                budget=settings.pipeline.candidate_budget,
                window=100,
                population=population,
                sampler=sampler,
            )
    return out


def test_end_to_end_metrics(runs: dict[str, PolicyRun]) -> None:
    static, oracle = runs["static-bm25"].report, runs["oracle"].report
    for report in (static, oracle):
        overall = report.overall
        assert overall.sessions == SESSIONS
        for value in (
            overall.success_at_10,
            overall.ndcg_at_10,
            overall.ctr,
            overall.reward_rate,
            overall.union_recall,
        ):
            assert value is not None
            assert 0.0 <= value <= 1.0
        assert 0.2 < overall.success_at_10 < 1.0
        assert 0.0 < overall.ndcg_at_10 < overall.success_at_10 + 0.05
        assert overall.union_recall is not None
        assert overall.union_recall >= overall.success_at_10
        assert overall.mean_latency_ms > 0
        assert overall.p99_latency_ms >= overall.mean_latency_ms
        assert overall.feedback_accepted > 0
        assert overall.feedback_rejected == 0
        assert set(report.per_intent) == {t.value for t in IntentType}
        assert sum(m.sessions for m in report.per_intent.values()) == SESSIONS
        assert [(p.start, p.end) for p in report.curve] == [(0, 100), (100, 200)]
        head_misspelled = report.segment_curves["head-misspelled"]
        assert sum(p.sessions for p in head_misspelled) == sum(
            1 for r in runs[report.policy].records if is_head_misspelled(r)
        )
        assert all(0.0 <= s.share <= 1.0 for s in report.per_strategy.values())
        assert report.ms_per_session > 0
    assert static.per_strategy["bm25"].share == 1.0
    assert oracle.overall.success_at_10 >= static.overall.success_at_10
    assert oracle.overall.ndcg_at_10 >= static.overall.ndcg_at_10 - 1e-9
    assert oracle.overall.mean_probes >= 1
    assert static.overall.mean_probes == 0
    if set(static.per_strategy) == {"bm25"}:
        # One strategy: the oracle shows the same page from the shallowest sufficient depth.
        assert oracle.overall.success_at_10 == static.overall.success_at_10
        assert oracle.overall.mean_candidates_drawn < static.overall.mean_candidates_drawn


def test_policies_met_the_same_listeners(runs: dict[str, PolicyRun]) -> None:
    static, oracle = runs["static-bm25"].records, runs["oracle"].records
    assert [(r.user_id, r.intent_key, r.query) for r in static] == [
        (r.user_id, r.intent_key, r.query) for r in oracle
    ]
    assert all(r.plan_sent == {"bm25": 100} for r in static)


def test_ndcg_matches_the_textbook_formula(runs: dict[str, PolicyRun]) -> None:
    template = runs["static-bm25"].records[0]
    record = dataclasses.replace(
        template,
        shown=("a", "b", "c", "d"),
        grades=(0, 3, 1, 0),
        ideal=(("b", 3), ("x", 3), ("y", 2), ("c", 1)),
    )
    dcg = 3 / math.log2(3) + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 3 / math.log2(3) + 2 / math.log2(4) + 1 / math.log2(5)
    empty = dataclasses.replace(template, shown=(), grades=())
    assert ndcg_at_k([record, empty]) == pytest.approx([dcg / idcg, 0.0])


def test_report_writes_markdown_and_plots(runs: dict[str, PolicyRun], tmp_path: Path) -> None:
    config = SimulatorConfig()
    report = SimulationReport(
        catalog={"size": CATALOG_SIZE, "seed": SEED},
        sessions=SESSIONS,
        seed=SEED,
        window=100,
        strategies=["bm25"],
        budget=300,
        examination_curve=examination_curve(config),
        simulator=config,
        policies={name: run.report for name, run in runs.items()},
    )
    files = write_report(report, tmp_path / "report")
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "| oracle |" in text
    assert "learning_curves.png" in text
    assert "memory_learning.png" in text
    assert "memory-frozen" not in text, "variants are explained only when present"
    assert [f.name for f in files[1:]] == [
        "learning_curves.png",
        "strategy_shares.png",
        "per_intent.png",
        "memory_learning.png",
        "strategy_shares_over_time.png",
    ]
    for png in files[1:]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SimulationReport.model_validate_json(report.model_dump_json()) == report


def test_report_shows_memory_variants_beside_their_policy(
    runs: dict[str, PolicyRun], tmp_path: Path
) -> None:
    config = SimulatorConfig()
    static = runs["static-bm25"].report
    names = ["static-bm25", "static-bm25+memory-frozen", "static-bm25+memory-cold", "oracle"]
    policies = {name: runs["oracle"].report if name == "oracle" else static for name in names}
    report = SimulationReport(
        catalog={"size": CATALOG_SIZE, "seed": SEED},
        sessions=SESSIONS,
        seed=SEED,
        window=100,
        strategies=["bm25"],
        budget=300,
        examination_curve=examination_curve(config),
        simulator=config,
        policies=policies,
    )
    styles = line_styles(report)
    assert styles["static-bm25"] == LineStyle("C0", "-")
    assert styles["static-bm25+memory-frozen"] == LineStyle("C0", "--")
    assert styles["static-bm25+memory-cold"] == LineStyle("C0", ":")
    assert styles["oracle"] == LineStyle("C1", "-")
    write_report(report, tmp_path)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    intro = text.split("## Overall")[0]
    assert "`POLICY+memory-frozen` runs the plans of POLICY" in intro
    assert "`POLICY+memory-cold` starts the memory without predicted pairs" in intro
    misspelled = text.split("## Misspelled head queries over time")[1].split("## Plots")[0]
    assert [line.split(" | ")[0] for line in misspelled.splitlines() if line.startswith("| ")] == [
        "| policy",
        *(f"| {name}" for name in names),
    ]


def _request(rng: random.Random) -> PlanRequest:

    def no_probe(plan: Mapping[str, int], *, explain: bool = True) -> SearchOutcome:
        raise AssertionError("static policies never probe")

    return PlanRequest(0, SearchCall(query="q"), rng, no_probe, None)


def test_static_policies_and_their_errors() -> None:
    bm25_only = PolicyEnvironment(strategies=("bm25",))
    rng = random.Random(0)
    assert make_policy("static-bm25", bm25_only).choose(_request(rng)) == {"bm25": 100}
    assert make_policy("static-all", bm25_only).choose(_request(rng)) == {"bm25": 100}
    assert make_policy("service", bm25_only).choose(_request(rng)) is None
    with pytest.raises(PolicyError, match=r"static-hybrid needs strategies \['dense'\]"):
        make_policy("static-hybrid", bm25_only)
    with pytest.raises(PolicyError, match=r"unknown policy 'bandit-x'; valid policies: \["):
        make_policy("bandit-x", bm25_only)
    four = PolicyEnvironment(strategies=("bm25", "dense", "structured", "memory"))
    assert static_all_plan(four) == dict.fromkeys(four.strategies, 50)
    assert make_policy("static-hybrid", four).choose(_request(rng)) == {"bm25": 50, "dense": 50}
    with pytest.raises(PolicyError, match="registers no strategy"):
        PolicyEnvironment(strategies=())
    cheap = make_policy("static:bm25=25,memory=10", four)
    assert cheap.choose(_request(rng)) == {"bm25": 25, "memory": 10}
    with pytest.raises(PolicyError, match="written static:bm25=25,memory=25"):
        make_policy("static:bm25", four)
    with pytest.raises(PolicyError, match=r"needs strategies \['rerank'\]"):
        make_policy("static:rerank=10", four)


def test_uniform_random_stays_within_budget() -> None:
    env = PolicyEnvironment(strategies=("bm25", "dense", "structured", "memory"), budget=300)
    policy = make_policy("uniform-random", env)
    rng = random.Random(1)
    plans = [policy.choose(_request(rng)) for _ in range(2_000)]
    for plan in plans:
        assert plan is not None
        assert set(plan.values()) <= set(LADDER)
        assert 0 < sum(plan.values()) <= 300
    distinct = {tuple(sorted(p.items())) for p in plans if p is not None}
    assert len(distinct) > 0.8 * len(feasible_plans(env))


def test_oracle_discovery_respects_the_budget() -> None:
    env = PolicyEnvironment(strategies=("bm25", "dense", "structured", "memory"), budget=300)
    oracle = Oracle(env)
    assert oracle.discovery == [{"bm25": 100, "dense": 100, "structured": 100}, {"memory": 100}]
    assert all(env.fits(plan) for plan in oracle.discovery)


def test_cli_writes_json_and_report(tmp_path: Path, cli_data: Path) -> None:
    cli_root = tmp_path
    runner = CliRunner()
    out, report = cli_root / "out.json", cli_root / "report"
    args = [
        "simulate",
        "--catalog-size", "800",
        "--sessions", "20",
        "--seed", "4",
        "--policy", "static-bm25",
        "--policy", "oracle",
        "--json", str(out),
        "--report", str(report),
        "--data-dir", str(cli_data),
        "--window", "10",
        "--drift-at", "10",
        "--drift-mix", "attribute=3,descriptive=1",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text(encoding="utf-8"))
    assert set(body["policies"]) == {"static-bm25", "oracle"}
    assert len(body["policies"]["oracle"]["curve"]) == 2
    assert body["examination_curve"][0] == pytest.approx(0.95)
    assert body["simulator"]["drift"] == {
        "at_session": 10,
        "type_mix": {"attribute": 3.0, "descriptive": 1.0},
    }
    for name in ("report.md", "learning_curves.png", "strategy_shares.png", "per_intent.png"):
        assert (report / name).is_file()
    marker = cli_data / "catalog-800-seed4" / "simulation-catalog.json"
    assert json.loads(marker.read_text(encoding="utf-8"))["size"] == 800

    unknown = runner.invoke(app, [*args[:7], "--policy", "nope", "--data-dir", str(cli_data)])
    assert unknown.exit_code == 2
    assert "unknown policy 'nope'" in unknown.output


@pytest.mark.parametrize(
    ("mix", "message"),
    [
        ("attribute", "'attribute' is not TYPE=WEIGHT"),
        ("mood=1", "unknown intent type 'mood'; known: spearfish, attribute"),
        ("attribute=lots", "weight of attribute is not a number"),
        ("attribute=-1", "must be a finite number >= 0"),
        ("attribute=0", "at least one intent type needs a positive weight"),
    ],
)
def test_a_bad_drift_mix_is_refused_with_its_reason(mix: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_type_mix(mix)
    result = CliRunner().invoke(app, ["simulate", "--drift-at", "5", "--drift-mix", mix])
    assert result.exit_code == 2
    assert message.split(";")[0] in " ".join(result.output.split())


def test_a_drift_mix_needs_a_drift_point() -> None:
    assert parse_type_mix("spearfish=0.2, related=0.8") == {
        IntentType.SPEARFISH: 0.2,
        IntentType.RELATED: 0.8,
    }
    result = CliRunner().invoke(app, ["simulate", "--drift-mix", "attribute=1"])
    assert result.exit_code == 2
    assert "--drift-mix needs --drift-at" in result.output


# --- memory variants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "plan", "variant"),
    [
        ("static-all", "static-all", None),
        ("static-all+memory-frozen", "static-all", MemoryVariant.FROZEN),
        ("static:bm25=25,memory=25+memory-cold", "static:bm25=25,memory=25", MemoryVariant.COLD),
        ("bandit-frozen+memory-cold", "bandit-frozen", MemoryVariant.COLD),
    ],
)
def test_a_policy_name_may_carry_a_memory_variant(
    name: str, plan: str, variant: MemoryVariant | None
) -> None:
    assert split_variant(name) == (plan, variant)
    env = PolicyEnvironment(strategies=("bm25", "dense", "structured", "memory"))
    assert type(make_policy(name, env)) is type(make_policy(plan, env))


@pytest.mark.parametrize(
    ("name", "strategies", "message"),
    [
        ("static-all+memory-warm", ("memory",), r"unknown variant 'memory-warm'; valid variants: "
         r"\['memory-cold', 'memory-frozen'\]"),
        ("static-all+memory-cold+memory-frozen", ("memory",),
         r"unknown variant 'memory-cold\+memory-frozen'"),
        ("static-all+", ("memory",), "unknown variant ''"),
        ("+memory-cold", ("memory",), "unknown policy ''"),
        ("nope+memory-frozen", ("memory",), "unknown policy 'nope'"),
        ("static-bm25+memory-cold", ("bm25",), r"memory-cold variant needs the memory strategy"),
    ],
)  # fmt: skip
def test_a_bad_memory_variant_is_refused(
    name: str, strategies: tuple[str, ...], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        make_policy(name, PolicyEnvironment(strategies=strategies))


def test_memory_variants_change_the_service_settings(tmp_path: Path) -> None:
    plain = settings_for("static-all", tmp_path, seed=0)
    frozen = settings_for("static-all+memory-frozen", tmp_path, seed=0)
    cold = settings_for("static-all+memory-cold", tmp_path, seed=0)
    assert (plain.memory.learn, frozen.memory.learn, cold.memory.learn) == (True, False, True)
    assert frozen.model_copy(update={"memory": plain.memory}) == plain, "nothing else changes"
    assert not frozen.bandit.enabled
    both = settings_for("bandit-frozen+memory-frozen", tmp_path, seed=3)
    assert both.bandit.enabled
    assert not both.bandit.learn
    assert both.bandit.seed == 3
    assert not both.memory.learn
    shared = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    check_variant("static-all+memory-frozen", shared)
    with pytest.raises(PolicyError, match="memory is shared in Redis"):
        check_variant("static-all+memory-cold", shared)


def _memory_hits(data_dir: Path, query: str) -> list[str]:
    settings = Settings(data_dir=data_dir, feedback=FeedbackConfig(in_process_worker=False))
    with TestClient(create_app(settings)) as client:
        response = client.post("/search", json={"query": query, "size": 10, "plan": {"memory": 25}})
    assert response.status_code == 200, response.text
    return [hit["entity"]["id"] for hit in response.json()["results"]]


def test_a_memory_cold_service_starts_with_an_empty_memory(
    catalog: Path, pristine: Path, tmp_path: Path
) -> None:
    first = json.loads(catalog.read_text(encoding="utf-8").splitlines()[0])
    query = first["title"]
    for name in ("static-all", "static-all+memory-frozen", "static-all+memory-cold"):
        work = tmp_path / name / "data"
        shutil.copytree(pristine, work)
        prepare_policy_dir(name, settings_for(name, work, seed=SEED))
        hits = _memory_hits(work, query)
        if split_variant(name)[1] is MemoryVariant.COLD:
            assert hits == []
        else:
            assert first["id"] in hits


def test_cli_compares_memory_variants_on_the_same_sessions(tmp_path: Path, cli_data: Path) -> None:
    names = ["static-all", "static-all+memory-frozen", "static-all+memory-cold"]
    out, report = tmp_path / "out.json", tmp_path / "report"
    args = [
        "simulate",
        "--catalog-size", "800",
        "--sessions", "20",
        "--seed", "4",
        "--data-dir", str(cli_data),
        "--window", "10",
    ]  # fmt: skip
    policies = [arg for name in names for arg in ("--policy", name)]
    result = CliRunner().invoke(
        app, [*args, *policies, "--json", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text(encoding="utf-8"))
    assert list(body["policies"]) == names
    memory = {name: body["policies"][name]["per_strategy"]["memory"] for name in names}
    assert memory["static-all+memory-cold"]["recall"] < memory["static-all"]["recall"]
    assert memory["static-all+memory-frozen"]["share"] == 1.0
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "`POLICY+memory-frozen` runs the plans of POLICY" in text
    assert "`POLICY+memory-cold` starts the memory without predicted pairs" in text
    for name in names:
        assert f"| {name} | 20 |" in text
    assert (report / "memory_learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    unknown = CliRunner().invoke(app, [*args, "--policy", "static-all+memory-warm"])
    assert unknown.exit_code == 2
    assert "unknown variant 'memory-warm'" in " ".join(unknown.output.split())


def test_memory_recall_is_reported_per_window(runs: dict[str, PolicyRun], tmp_path: Path) -> None:
    oracle = runs["oracle"].report
    for point in oracle.curve:
        assert set(point.strategy_recall) == {"bm25", "dense", "structured", "memory"}
    head = oracle.segment_curves["head"]
    assert [p.end for p in head] == [p.end for p in oracle.curve]
    # The windows' recall, weighted by how many searches called memory, is the run's recall.
    records = runs["oracle"].records

    def calls(start: int, end: int, head_only: bool) -> int:
        return sum(
            1
            for r in records[start:end]
            if (r.plan or r.plan_sent or {}).get("memory", 0) > 0
            and "memory" in r.strategy_hits
            and (r.head or not head_only)
        )

    for points, head_only, expected in (
        (oracle.curve, False, oracle.per_strategy["memory"].recall),
        (
            head,
            True,
            strategy_metrics([r for r in records if r.head], ["memory"])["memory"].recall,
        ),
    ):
        counts = [calls(p.start, p.end, head_only) for p in points]
        assert sum(counts) > 0
        weighted = sum(
            n * (p.strategy_recall["memory"] or 0.0) for n, p in zip(counts, points, strict=True)
        )
        assert weighted / sum(counts) == pytest.approx(expected)

    config = SimulatorConfig()
    report = SimulationReport(
        catalog={"size": CATALOG_SIZE, "seed": SEED},
        sessions=SESSIONS,
        seed=SEED,
        window=100,
        strategies=["bm25", "dense", "structured", "memory"],
        budget=300,
        examination_curve=examination_curve(config),
        simulator=config,
        policies={name: run.report for name, run in runs.items()},
    )
    write_report(report, tmp_path)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    table = text.split("## Memory's recall on head intents over time")[1].split("## Plots")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0] == "| policy | 100 | 200 |"
    cells = " | ".join(
        "n/a" if p.strategy_recall["memory"] is None else f"{p.strategy_recall['memory']:.3f}"
        for p in head
    )
    assert f"| oracle | {cells} |" in rows
