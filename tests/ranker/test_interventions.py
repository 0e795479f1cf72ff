"""Randomized swaps at serve time: how often, where, and never on pages too short."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from ranker.interventions import Swap, SwapConfig, maybe_swap

DRAWS = 10_000


def _looks_uniform(counts: list[int]) -> bool:
    """Every count within 5 binomial standard deviations of an equal share."""
    total, share = sum(counts), 1 / len(counts)
    spread = 5 * math.sqrt(total * share * (1 - share))
    return all(abs(count - total * share) < spread for count in counts)


def _draws(config: SwapConfig, length: int, seed: int = 0) -> list[Swap | None]:
    rng = np.random.default_rng(seed)
    order = list(range(length))
    return [maybe_swap(order, config, rng)[1] for _ in range(DRAWS)]


def test_defaults_are_off() -> None:
    config = SwapConfig()
    assert (config.rate, config.scheme, config.max_position, config.pivot) == (
        0.0,
        "randpair",
        10,
        1,
    )


@pytest.mark.parametrize("scheme", ["randpair", "adjacent"])
def test_rate_zero_never_swaps_and_leaves_the_rng_alone(scheme: str) -> None:
    config = SwapConfig(rate=0.0, scheme=scheme)
    rng = np.random.default_rng(7)
    order = ["a", "b", "c", "d"]
    for _ in range(100):
        served, swap = maybe_swap(order, config, rng)
        assert served == order
        assert served is not order
        assert swap is None
    assert rng.random() == np.random.default_rng(7).random()


@pytest.mark.parametrize(
    ("scheme", "pivot", "length"),
    [
        ("randpair", 1, 0),
        ("randpair", 1, 1),
        ("randpair", 3, 3),
        ("adjacent", 1, 0),
        ("adjacent", 1, 1),
    ],
)
def test_pages_too_short_are_served_unchanged(scheme: str, pivot: int, length: int) -> None:
    config = SwapConfig(rate=1.0, scheme=scheme, pivot=pivot)
    order = list(range(length))
    served, swap = maybe_swap(order, config, np.random.default_rng(0))
    assert (served, swap) == (order, None)


@pytest.mark.parametrize("scheme", ["randpair", "adjacent"])
def test_rate_is_honoured(scheme: str) -> None:
    swaps = _draws(SwapConfig(rate=0.1, scheme=scheme), length=20)
    share = sum(swap is not None for swap in swaps) / DRAWS
    # Standard error sqrt(0.1 * 0.9 / 10000) = 0.003; the bound is 4 of them.
    assert share == pytest.approx(0.1, abs=0.012)


def test_randpair_draws_k_uniformly_below_the_pivot() -> None:
    swaps = _draws(SwapConfig(rate=1.0, max_position=10), length=25)
    assert all(swap is not None and swap.a == 0 for swap in swaps)
    counts = Counter(swap.b for swap in swaps if swap is not None)
    assert sorted(counts) == list(range(1, 10))
    assert _looks_uniform([counts[b] for b in range(1, 10)])


def test_randpair_with_a_lower_pivot_and_a_short_page() -> None:
    # A page of 6 results with max_position 10: the pivot (3rd) swaps with the 4th to 6th.
    swaps = _draws(SwapConfig(rate=1.0, pivot=3), length=6)
    counts = Counter((swap.a, swap.b) for swap in swaps if swap is not None)
    assert sorted(counts) == [(2, 3), (2, 4), (2, 5)]
    assert _looks_uniform(list(counts.values()))
    assert all(swap.probability == pytest.approx(1 / 3) for swap in swaps if swap is not None)


def test_adjacent_draws_neighbours_uniformly_within_the_span() -> None:
    swaps = _draws(SwapConfig(rate=1.0, scheme="adjacent", max_position=5), length=30)
    counts = Counter((swap.a, swap.b) for swap in swaps if swap is not None)
    assert sorted(counts) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert _looks_uniform(list(counts.values()))


def test_swap_exchanges_exactly_two_results_and_logs_its_probability() -> None:
    config = SwapConfig(rate=0.5, max_position=4)
    order = ["a", "b", "c", "d", "e", "f"]
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(50):
        served, swap = maybe_swap(order, config, rng)
        if swap is None:
            continue
        seen += 1
        expected = list(order)
        expected[swap.a], expected[swap.b] = order[swap.b], order[swap.a]
        assert served == expected
        assert swap.b < 4
        assert swap.probability == pytest.approx(0.5 / 3)
    assert seen > 0
    assert order == ["a", "b", "c", "d", "e", "f"]


def test_same_seed_same_swaps() -> None:
    config = SwapConfig(rate=0.3, scheme="adjacent")
    assert _draws(config, 12, seed=5) == _draws(config, 12, seed=5)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"rate": -0.1}, "rate"),
        ({"rate": 1.5}, "rate"),
        ({"max_position": 1}, "max_position"),
        ({"pivot": 0}, "pivot"),
        ({"pivot": 10}, "pivot must be smaller than max_position"),
        ({"scheme": "shuffle"}, "scheme"),
        ({"ratio": 0.1}, "ratio"),
    ],
)
def test_bad_configs_are_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        SwapConfig(**fields)


def test_adjacent_ignores_the_pivot() -> None:
    assert SwapConfig(scheme="adjacent", max_position=3, pivot=5).pivot == 5


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"scheme": "randpair", "a": 2, "b": 2}, "0 <= a < b, but a=2, b=2 is given"),
        ({"scheme": "randpair", "a": 3, "b": 1}, "0 <= a < b, but a=3, b=1 is given"),
        ({"scheme": "randpair", "a": -1, "b": 2}, "0 <= a < b, but a=-1, b=2 is given"),
        ({"scheme": "adjacent", "a": 0, "b": 2}, "adjacent swap exchanges neighbours"),
        ({"scheme": "shuffle", "a": 0, "b": 1}, "scheme must be one of"),
        ({"scheme": "randpair", "a": 0, "b": 1, "probability": 0.0}, r"probability must lie in"),
    ],
)
def test_bad_swaps_are_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Swap(**fields)


def test_apply_refuses_a_page_too_short() -> None:
    with pytest.raises(ValueError, match="needs at least 4 results, but 3 are given"):
        Swap(scheme="randpair", a=0, b=3).apply([1, 2, 3])


class _LoggedSearch(BaseModel):
    search_id: str
    swap: Swap | None


def test_swap_is_logged_and_validated_by_pydantic() -> None:
    logged = _LoggedSearch(search_id="s1", swap=Swap(scheme="adjacent", a=2, b=3, probability=0.01))
    assert _LoggedSearch.model_validate_json(logged.model_dump_json()) == logged
    with pytest.raises(ValidationError, match="adjacent swap exchanges neighbours"):
        _LoggedSearch.model_validate(
            {"search_id": "s2", "swap": {"scheme": "adjacent", "a": 0, "b": 2}}
        )
