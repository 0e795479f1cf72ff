"""The click model behaves as configured: its examination curve, click and play rates."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from pydantic import ValidationError

from catalog.model import EntityType
from simulator.clicks import ClickModel, ClickModelConfig, ShownResult

PAGES = 10_000


def _page(rng: random.Random, size: int = 10) -> list[ShownResult]:
    return [
        ShownResult(rank, f"e{rank}", EntityType.TRACK, 200_000, rng.randrange(4))
        for rank in range(1, size + 1)
    ]


@pytest.mark.parametrize("eta", [0.5, 1.0, 1.5])
def test_empirical_examination_matches_the_configured_curve(eta: float) -> None:
    model = ClickModel(ClickModelConfig(eta=eta, abandonment=0.1))
    rng = random.Random(7)
    counts = [0] * 10
    for _ in range(PAGES):
        for rank in model.simulate(_page(rng), rng).examined:
            counts[rank - 1] += 1
    for rank, (count, expected) in enumerate(
        zip(counts, model.examination_curve(10), strict=True), 1
    ):
        observed = count / PAGES
        sigma = math.sqrt(expected * (1 - expected) / PAGES)
        assert abs(observed - expected) < 4 * sigma + 1e-9, (rank, observed, expected)
    assert model.examination_curve(3) == pytest.approx([0.9, 0.9 / 2**eta, 0.9 / 3**eta])


def test_click_and_play_rates_follow_the_grade() -> None:
    config = ClickModelConfig(eta=0.0, abandonment=0.0)
    model = ClickModel(config)
    rng = random.Random(3)
    shown = [0] * 4
    clicked = [0] * 4
    long_plays = [0] * 4
    for _ in range(5_000):
        page = _page(rng)
        outcome = model.simulate(page, rng)
        assert outcome.examined == tuple(range(1, 11))  # eta 0: everything is examined
        for result in page:
            shown[result.grade] += 1
        for act in outcome.interactions:
            grade = page[act.rank - 1].grade
            clicked[grade] += 1
            long_plays[grade] += (act.play_ms or 0) >= 30_000
    rates = [c / s for c, s in zip(clicked, shown, strict=True)]
    for rate, expected in zip(rates, config.click, strict=True):
        assert rate == pytest.approx(expected, abs=0.02)
    share_long = [lp / c for lp, c in zip(long_plays, clicked, strict=True)]
    assert share_long == sorted(share_long), "better results are listened to longer"


def test_skips_likes_and_events_are_consistent() -> None:
    model = ClickModel(ClickModelConfig())
    rng = random.Random(5)
    for _ in range(2_000):
        outcome = model.simulate(_page(rng), rng)
        if outcome.abandoned:
            assert not outcome.examined
            assert not outcome.interactions
        for act in outcome.interactions:
            assert act.rank in outcome.examined
            assert act.skipped == (act.play_ms is not None and act.play_ms < 30_000)
            if act.liked or act.added:
                assert act.play_ms is not None


def test_same_seed_same_behaviour() -> None:
    model = ClickModel(ClickModelConfig())
    page = _page(random.Random(1))
    runs = [model.simulate(page, random.Random(42)) for _ in range(2)]
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("click", (0.1, 0.2, 0.3), r"click\.3\s+Field required"),
        ("play", (0.1, 0.2, 0.3, 1.5), r"must lie in \[0, 1\]"),
        ("listen_beta", ((1, 1, 1, 1), (1, 0, 1, 1)), "must be positive"),
        ("eta", -1.0, "greater than or equal to 0"),
        ("abandonment", 2.0, "less than or equal to 1"),
    ],
)
def test_bad_parameters_are_refused(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ClickModelConfig(**{field: value})


def test_rank_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rank must be 1 or more, but 0 is given"):
        ClickModel(ClickModelConfig()).examination(0)
