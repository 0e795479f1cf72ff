"""The Open Bandit Dataset protocol on the real logs: results pinned as measured."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bandit.obd import (
    CAMPAIGNS,
    DATASET_DIR,
    BanditLog,
    CampaignResult,
    cross_fitted_rewards,
    evaluate_campaign,
    load_log,
    main,
    target_policy,
)


@pytest.fixture(scope="module")
def results() -> dict[str, CampaignResult]:
    """The same run as `python -m bandit.obd` (2,000 resamples, seed 0)."""
    return {campaign: evaluate_campaign(campaign) for campaign in CAMPAIGNS}


# campaign -> (on-policy clicks, {estimator: (estimate, relative error bound)}, ESS).
# Measured relative errors: men 0.180 / 0.168 / 0.171, women 0.262 / 0.268 / 0.276;
# each bound adds 0.02, the shift a 1 % change of the estimate can cause.
MEASURED = {
    "men": (69, {"ips": (0.00566, 0.20), "snips": (0.00574, 0.19), "dr": (0.00572, 0.19)}, 2869),
    "women": (46, {"ips": (0.00581, 0.28), "snips": (0.00583, 0.29), "dr": (0.00587, 0.30)}, 3492),
}


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_off_policy_estimates_match_the_measured_run(
    results: dict[str, CampaignResult], campaign: str
) -> None:
    result = results[campaign]
    clicks, measured, ess = MEASURED[campaign]
    assert (result.n_random, result.n_bts) == (10_000, 10_000)
    assert result.on_policy_ctr == clicks / 10_000
    assert result.on_policy_ci_low < result.on_policy_ctr < result.on_policy_ci_high
    assert [r.estimate.estimator for r in result.estimates] == ["ips", "snips", "dr"]
    for r in result.estimates:
        value, error_bound = measured[r.estimate.estimator]
        assert r.estimate.value == pytest.approx(value, rel=0.01)
        assert r.relative_error < error_bound
        assert r.covers_on_policy
        assert r.estimate.ci_low < r.estimate.value < r.estimate.ci_high
        assert r.estimate.effective_sample_size == pytest.approx(ess, rel=0.01)


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_bts_policy_is_a_distribution_per_position(campaign: str) -> None:
    log = load_log(DATASET_DIR / "bts" / campaign / f"{campaign}.csv.gz")
    n_items = int(log.item.max()) + 1
    policy = target_policy(log, n_items)
    np.testing.assert_allclose(policy.sum(axis=0), 1.0)
    # The logged propensities drift over the week: their mean per (item, position)
    # over-weights the rows where the item was likely, and sums far above 1.
    totals = np.zeros_like(policy)
    counts = np.zeros_like(policy)
    np.add.at(totals, (log.item, log.position), log.propensity)
    np.add.at(counts, (log.item, log.position), 1.0)
    assert np.all((totals / np.maximum(counts, 1.0)).sum(axis=0) > 1.5)


def test_reward_model_predicts_each_row_out_of_fold() -> None:
    rng = np.random.default_rng(0)
    n = 400
    log = BanditLog(
        item=rng.integers(4, size=n),
        position=rng.integers(3, size=n),
        click=(rng.random(n) < 0.3).astype(np.float64),
        propensity=np.full(n, 0.25),
    )
    flipped = BanditLog(log.item, log.position, log.click.copy(), log.propensity)
    flipped.click[0] = 1.0 - flipped.click[0]
    policy = np.full((4, 3), 0.25)
    before = cross_fitted_rewards(log, policy)
    after = cross_fitted_rewards(flipped, policy)
    assert before[0][0] == after[0][0]  # a row's own click never enters its prediction
    assert not np.array_equal(before[0], after[0])


def test_unknown_campaign_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown campaign 'all'; valid: men, women"):
        evaluate_campaign("all")


def test_main_prints_the_results_as_json(
    results: dict[str, CampaignResult], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--n-bootstrap", "20"])
    printed = json.loads(capsys.readouterr().out)
    assert [c["campaign"] for c in printed] == list(CAMPAIGNS)
    for campaign in printed:
        expected = results[campaign["campaign"]]
        values = [e["estimate"]["value"] for e in campaign["estimates"]]
        assert values == [r.estimate.value for r in expected.estimates]
