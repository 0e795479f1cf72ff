"""``ltrr ope`` on a reward ledger logged by an exploring bandit, against known true values."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bandit.config import BanditConfig, Exploration
from bandit.context import SearchContext
from bandit.ledger import RewardLedger
from bandit.offpolicy import parse_target
from bandit.plans import PlanSpace
from bandit.policy import Outcome
from bandit.snapshot import encode, new_policy
from service.cli import app

STRATEGIES = ("bm25", "dense", "structured", "memory")
DEFAULT = {"bm25": 50, "dense": 50, "structured": 50, "memory": 25}
LADDER = [0, 25, 50]
ROUNDS = 5000
QUERIES = {"spearfish": "bohemian rhapsody", "descriptive": "songs for a rainy sunday"}
FINDS = {  # P(the strategy finds what this kind of query wants), when called
    "spearfish": {"bm25": 0.8, "dense": 0.3, "structured": 0.2, "memory": 0.4},
    "descriptive": {"bm25": 0.1, "dense": 0.7, "structured": 0.3, "memory": 0.05},
}
COST = 0.25


def success_probability(kind: str, plan: dict[str, int]) -> float:
    miss = 1.0
    for strategy, depth in plan.items():
        if depth:
            miss *= 1.0 - FINDS[kind][strategy] * min(1.0, depth / 25)
    return 1.0 - miss


def true_value(plan: dict[str, int]) -> float:
    cost = COST * sum(plan.values()) / 300
    return sum(0.5 * success_probability(kind, plan) for kind in QUERIES) - cost


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5,000 searches decided by an epsilon-greedy joint bandit, closed in a ledger."""
    root = tmp_path_factory.mktemp("ope-log")
    space = PlanSpace(STRATEGIES, LADDER, 300, DEFAULT)
    config = BanditConfig(
        exploration=Exploration.EPSILON, epsilon=0.8, cold_start_rewards=200, floor=0.05
    )
    policy = new_policy(space, config)
    ledger = RewardLedger(root / "ledger.sqlite")
    rng = random.Random(11)
    for i in range(ROUNDS):
        kind = rng.choice(list(QUERIES))
        choice = policy.choose(SearchContext(query=QUERIES[kind], query_count=i % 40), rng)
        success = rng.random() < success_probability(kind, choice.plan)
        reward = float(success) - COST * sum(choice.plan.values()) / 300
        outcome = Outcome(success=success, reward=reward)
        ledger.close(
            f"s{i}", at=float(i), served_at=float(i), choice=choice, outcome=outcome, reason="x"
        )
        policy.learn(choice, outcome)
    ledger.close_db()
    (root / "policy.snap").write_bytes(encode(policy, config, space, ledger_seq=ROUNDS))
    return root


def run_ope(log: Path, out: Path, *specs: str) -> dict[str, dict[str, dict[str, float]]]:
    args = ["ope", "--log", str(log), "--json", str(out), "--bootstrap", "300"]
    args += ["--confidence", "0.99"]
    for spec in specs:
        args += ["--policy", spec]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())["policies"]  # type: ignore[no-any-return]


def test_estimates_of_static_plans_cover_their_true_value(logged: Path, tmp_path: Path) -> None:
    plans = {
        "static:bm25=25": {"bm25": 25},
        "static:bm25=25,dense=25": {"bm25": 25, "dense": 25},
        "static:bm25=50,dense=50,structured=50,memory=25": DEFAULT,
    }
    found = run_ope(logged, tmp_path / "ope.json", *plans)
    for spec, plan in plans.items():
        truth = true_value(plan)
        for name in ("snips", "dr"):
            estimate = found[spec][name]
            assert estimate["ci_low"] <= truth <= estimate["ci_high"], (spec, name, truth)
            assert estimate["value"] == pytest.approx(truth, abs=0.1)
        assert found[spec]["dr"]["effective_sample_size"] > 20


def test_a_saved_snapshot_is_evaluated_too(logged: Path, tmp_path: Path) -> None:
    snapshot = logged / "policy.snap"
    specs = [f"snapshot:{snapshot}", f"snapshot:{snapshot}@epsilon=0.05"]
    found = run_ope(logged, tmp_path / "ope.json", *specs)
    ledger = RewardLedger(logged / "ledger.sqlite")
    rows = list(ledger.closed_after(0, limit=ROUNDS))
    ledger.close_db()
    space = PlanSpace(STRATEGIES, LADDER, 300, DEFAULT)
    for spec in specs:
        target = parse_target(spec, space, BanditConfig())
        # The exact value of the target on the logged contexts: its pmf times true rewards.
        truth = 0.0
        for row in rows:
            kind = "spearfish" if "ntok_2" in row.choice.features["q"] else "descriptive"
            for key, p in target.pmf(row.choice).items():
                plan = {k: int(v) for k, v in (part.split("=") for part in key.split(","))}
                truth += p * (success_probability(kind, plan) - COST * sum(plan.values()) / 300)
        truth /= len(rows)
        for name in ("snips", "dr"):
            estimate = found[spec][name]
            assert estimate["ci_low"] <= truth <= estimate["ci_high"], (spec, name, truth)
            assert estimate["value"] == pytest.approx(truth, abs=0.05)


def test_bad_specs_and_logs_are_refused(logged: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for spec, message in (
        ("static:bm25=x", "must look like bm25=100,dense=50"),
        ("static:rerank=10", "unknown strategies ['rerank']"),
        ("bandit", "must start with static: or snapshot:"),
    ):
        result = runner.invoke(app, ["ope", "--log", str(logged), "--policy", spec])
        assert result.exit_code == 2
        assert message in result.output
    result = runner.invoke(app, ["ope", "--log", str(tmp_path), "--policy", "static:bm25=10"])
    assert result.exit_code == 2
    assert "no reward ledger" in result.output
