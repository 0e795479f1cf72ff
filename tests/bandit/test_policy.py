"""Plan spaces and both bandit designs: budget, propensities, floor, reload, learning."""

from __future__ import annotations

import random
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandit.config import BanditConfig, Design, Exploration
from bandit.context import SearchContext
from bandit.plans import PlanSpace
from bandit.policy import Outcome, Policy
from bandit.snapshot import (
    FileSnapshotStore,
    SnapshotMismatchError,
    encode,
    load_policy,
    new_policy,
)

STRATEGIES = ("bm25", "dense", "structured", "memory")
DEFAULT = {"bm25": 100, "dense": 50, "structured": 50, "memory": 25}
BUDGET = 300


def space(budget: int = BUDGET) -> PlanSpace:
    return PlanSpace(STRATEGIES, [0, 10, 25, 50, 100], budget, DEFAULT)


def design_config(design: Design | str, exploration: Exploration) -> BanditConfig:
    if design == "joint-light":
        return config(design=Design.JOINT, exploration=exploration, crossing="light")
    return config(design=design, exploration=exploration)


def config(**overrides: object) -> BanditConfig:
    base: dict[str, object] = {"cold_start_rewards": 0, "snapshot_every": 10_000}
    base.update(overrides)
    return BanditConfig.model_validate(base)


DESIGNS = [
    (Design.JOINT, Exploration.EPSILON),
    ("joint-light", Exploration.SQUARECB),
    (Design.JOINT, Exploration.SQUARECB),
    (Design.SEMI, Exploration.EPSILON),
    (Design.SEMI, Exploration.SQUARECB),
]

contexts = st.builds(
    SearchContext,
    query=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
    ),
    memory_top=st.floats(0.0, 1.0),
    memory_events=st.integers(0, 1000),
    query_count=st.integers(0, 10_000),
    device=st.sampled_from([None, "mobile", "desktop", "smart speaker"]),
    locale=st.sampled_from([None, "en-US", "es", "pt-BR"]),
    tastes=st.lists(
        st.tuples(st.sampled_from(["rock", "pop", "true crime"]), st.floats(0.0, 1.0)),
        max_size=3,
    ).map(tuple),
)


def test_plan_space_clips_and_curates() -> None:
    s = space()
    assert s.default == (100, 50, 50, 25)
    assert s.clip((100, 100, 100, 100)) == (50, 50, 100, 100)
    assert sum(s.clip((100, 100, 100, 100))) <= BUDGET
    plans = s.joint_plans()
    assert plans[0] == s.default
    assert len(set(plans)) == len(plans)
    assert all(0 < sum(p) <= BUDGET for p in plans)
    # Every strategy alone, at every depth, is an action.
    for i in range(4):
        for depth in (10, 25, 50, 100):
            assert tuple(depth if j == i else 0 for j in range(4)) in plans
    with pytest.raises(ValueError, match="calls no strategy"):
        PlanSpace(STRATEGIES, [0, 10], BUDGET, {})


@pytest.fixture(scope="module")
def trained() -> dict[tuple[Design | str, Exploration], Policy]:
    """Each design after a few hundred rewards of a two-context problem."""
    out = {}
    for design, exploration in DESIGNS:
        policy = new_policy(space(), design_config(design, exploration))
        teach(policy, rounds=300, seed=1)
        out[(design, exploration)] = policy
    return out


def teach(policy: Policy, rounds: int, seed: int) -> list[float]:
    """Spearfish queries succeed with bm25 alone; descriptive ones need dense."""
    rng = random.Random(seed)
    rewards = []
    for _ in range(rounds):
        descriptive = rng.random() < 0.5
        context = SearchContext(
            query="songs for a rainy sunday" if descriptive else "bohemian rhapsody",
            query_count=rng.randrange(50),
        )
        choice = policy.choose(context, rng)
        wanted = "dense" if descriptive else "bm25"
        hit = choice.plan.get(wanted, 0) >= 10
        drawn = sum(choice.plan.values())
        reward = (1.0 if hit else 0.0) - 0.25 * drawn / BUDGET
        policy.learn(
            choice,
            Outcome(success=hit, reward=reward, found_ranks={wanted: 3} if hit else {}),
        )
        rewards.append(reward)
    return rewards


@pytest.mark.parametrize(("design", "exploration"), DESIGNS)
@settings(max_examples=25, deadline=None)
@given(context=contexts, seed=st.integers(0, 2**32 - 1))
def test_every_choice_is_a_valid_plan_with_its_propensity(
    trained: dict[tuple[Design, Exploration], Policy],
    design: Design,
    exploration: Exploration,
    context: SearchContext,
    seed: int,
) -> None:
    policy = trained[(design, exploration)]
    choice = policy.choose(context, random.Random(seed))
    assert sum(choice.plan.values()) <= BUDGET
    assert set(choice.plan) == set(STRATEGIES)
    assert any(choice.plan.values())
    assert 0.0 < choice.propensity <= 1.0
    assert sum(p for _, p in choice.pmf_top) <= 1.0 + 1e-6
    for pmf in choice.strategy_pmfs.values():
        assert sum(pmf) == pytest.approx(1.0)
        assert min(pmf) > 0.0


@pytest.mark.parametrize(("design", "exploration"), DESIGNS)
def test_floor_keeps_every_plan_and_strategy_possible(
    trained: dict[tuple[Design, Exploration], Policy], design: Design, exploration: Exploration
) -> None:
    policy = trained[(design, exploration)]
    context = SearchContext(query="bohemian rhapsody", query_count=30)
    if design in (Design.JOINT, "joint-light"):
        from bandit.context import context_features
        from bandit.joint import JointPolicy

        assert isinstance(policy, JointPolicy)
        pmf, _, _, _ = policy.distribution(context, context_features(context))
        assert pmf.sum() == pytest.approx(1.0)
        assert pmf.min() >= policy.config.floor / len(pmf) - 1e-12
    else:
        from bandit.context import context_features
        from bandit.semibandit import SemiBanditPolicy

        assert isinstance(policy, SemiBanditPolicy)
        pmfs, _ = policy.strategy_pmfs(context_features(context), {})
        plan_pmf = policy.plan_pmf(pmfs)
        assert plan_pmf.sum() == pytest.approx(1.0)
        assert plan_pmf.min() > 0.0
        for pmf in pmfs.values():
            # P(strategy called) = 1 - P(depth 0) stays above the floor's share.
            assert 1.0 - pmf[0] >= policy.config.floor * 4 / 5 - 1e-12


@pytest.mark.parametrize(("design", "exploration"), DESIGNS)
def test_policies_learn_which_plan_suits_which_query(
    trained: dict[tuple[Design, Exploration], Policy], design: Design, exploration: Exploration
) -> None:
    policy = trained[(design, exploration)]
    rng = random.Random(7)
    for query, wanted in (("bohemian rhapsody", "bm25"), ("songs for a rainy sunday", "dense")):
        greedy = policy.choose(SearchContext(query=query, query_count=10), rng).greedy
        assert greedy[wanted] >= 10, (query, greedy)
        assert sum(greedy.values()) < sum(DEFAULT.values())


@pytest.mark.parametrize(("design", "exploration"), DESIGNS)
def test_save_and_reload_give_an_identical_pmf(
    trained: dict[tuple[Design, Exploration], Policy],
    design: Design,
    exploration: Exploration,
    tmp_path: object,
) -> None:
    policy = trained[(design, exploration)]
    cfg = design_config(design, exploration)
    blob = encode(policy, cfg, space(), ledger_seq=42)
    reloaded, seq = load_policy(blob, space(), cfg)
    assert seq == 42
    assert reloaded.rewards_learned == policy.rewards_learned
    for query in ("bohemian rhapsody", "songs for a rainy sunday", "tayler swfit"):
        context = SearchContext(query=query, query_count=5, device="mobile")
        a = policy.choose(context, random.Random(3))
        b = reloaded.choose(context, random.Random(3))
        assert a.plan == b.plan
        assert a.propensity == b.propensity
        assert a.pmf_top == b.pmf_top


def test_snapshot_refused_under_other_settings(
    trained: dict[tuple[Design, Exploration], Policy],
) -> None:
    policy = trained[(Design.JOINT, Exploration.SQUARECB)]
    blob = encode(policy, config(), space(), ledger_seq=0)
    with pytest.raises(SnapshotMismatchError, match="budget: snapshot 300 vs settings 200"):
        load_policy(blob, space(200), config())
    with pytest.raises(SnapshotMismatchError, match="design: snapshot 'joint' vs settings 'semi'"):
        load_policy(blob, space(), config(design=Design.SEMI))


def test_file_store_keeps_the_latest_versions(tmp_path: object) -> None:
    from pathlib import Path

    store = FileSnapshotStore(Path(str(tmp_path)) / "snaps")
    assert store.latest_version() == 0
    for version in range(1, 9):
        store.publish(version, f"v{version}".encode())
    assert store.latest_version() == 8
    assert store.load(8) == b"v8"
    assert store.load(1) is None


def test_cold_start_serves_the_default_plan_mostly() -> None:
    policy = new_policy(space(), config(cold_start_rewards=1000))
    rng = random.Random(0)
    plans = [policy.choose(SearchContext(query="x"), rng) for _ in range(400)]
    share = np.mean([c.plan == DEFAULT for c in plans])
    assert 0.7 < share < 0.9
    assert all(c.cold_start for c in plans)


def test_direct_prediction_equals_the_checked_one() -> None:
    """The learner skips VW's per-example label check; the probabilities must not change."""
    from bandit.vw import AdfLearner, workspace_args

    learner = AdfLearner(workspace_args(BanditConfig()))
    actions = [f"|a s{i % 4} d{i % 5} x:{i / 10}" for i in range(12)]
    for step in range(40):
        learner.learn(f"|q len:{step % 3}", actions, step % 12, cost=-(step % 2), prob=0.5)
    parsed = learner.parse_actions(actions)
    fast = learner.pmf("|q len:1", parsed)
    shared = learner._parser.parse_line("shared |q len:1")
    checked = cast(list[tuple[int, float]], learner._ws.predict_one([shared, *parsed]))
    expected = np.zeros(len(actions))
    for index, prob in checked:
        expected[index] = prob
    assert np.allclose(fast, expected / expected.sum())
    assert len(np.unique(np.round(fast, 6))) > 1  # it learned something to compare
