"""Propensity estimates from randomized swaps recover a known examination curve."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from ranker.interventions import Swap, SwapConfig, SwapScheme, maybe_swap
from ranker.propensity import (
    PropensityEstimate,
    SwapObservation,
    estimate_propensities,
    true_curve_error,
)

K = 10
CURVES = {
    "power": tuple(1.0 / k**0.8 for k in range(1, K + 1)),
    "geometric": tuple(0.9 ** (k - 1) for k in range(1, K + 1)),
}


@cache
def _simulated(curve: str, scheme: SwapScheme) -> tuple[SwapObservation, ...]:
    """20k full pages of 10 results, half of them swapped by ``maybe_swap``, clicked under PBM.

    The result the ranker put at 0-based rank ``j`` has attractiveness ``U(0, 1) / (1 + j/2)``:
    random per result, and better on top on average, as under a useful ranker. A result
    shown at position ``k`` is clicked with probability ``curve[k] * attractiveness``.
    """
    n = 20_000
    rng = np.random.default_rng(0)
    config = SwapConfig(rate=0.5, scheme=scheme, max_position=K)
    served = [maybe_swap(range(K), config, rng) for _ in range(n)]
    order = np.asarray([shown for shown, _ in served])
    attractiveness = rng.uniform(size=(n, K)) / (1.0 + 0.5 * np.arange(K))
    shown_attractiveness = np.take_along_axis(attractiveness, order, axis=1)
    clicks = rng.random((n, K)) < np.asarray(CURVES[curve]) * shown_attractiveness
    return tuple(
        SwapObservation(swap, clicked, K)
        for (_, swap), clicked in zip(served, _clicked_positions(clicks), strict=True)
    )


def _clicked_positions(clicks: NDArray[np.bool_]) -> list[frozenset[int]]:
    """The clicked positions of each row of a click matrix."""
    positions: list[list[int]] = [[] for _ in range(len(clicks))]
    for row, position in zip(*np.nonzero(clicks), strict=True):
        positions[row].append(int(position))
    return [frozenset(p) for p in positions]


def _covered(estimate: PropensityEstimate, curve: tuple[float, ...]) -> int:
    return sum(
        low <= truth / curve[0] <= high
        for low, truth, high in zip(estimate.low[1:], curve[1:], estimate.high[1:], strict=True)
    )


# Bounds hold for twelve simulation seeds, not just the one used here.
@pytest.mark.parametrize(
    ("scheme", "mean_bound", "max_bound"),
    [("randpair", 0.035, 0.08), ("adjacent", 0.08, 0.2)],
)
@pytest.mark.parametrize("curve", sorted(CURVES))
def test_recovers_a_known_examination_curve(
    curve: str, scheme: SwapScheme, mean_bound: float, max_bound: float
) -> None:
    observations = _simulated(curve, scheme)
    estimate = estimate_propensities(observations, max_position=K, scheme=scheme, seed=1)

    error = true_curve_error(estimate, CURVES[curve])
    assert error["mean_abs_error"] < mean_bound
    assert error["max_abs_error"] < max_bound
    assert (error["n_compared"], error["n_missing"]) == (K - 1, 0)
    assert _covered(estimate, CURVES[curve]) >= 7
    assert all(
        low <= value <= high
        for low, value, high in zip(estimate.low, estimate.relative, estimate.high, strict=True)
    )
    assert estimate.relative[0] == estimate.low[0] == estimate.high[0] == 1.0
    assert estimate.n_unswapped == sum(o.swap is None for o in observations)
    assert estimate.counts[0] == 0
    assert sum(estimate.counts) == len(observations) - estimate.n_unswapped
    assert estimate.n_skipped == 0


def test_click_ratio_within_swapped_searches_alone_is_biased() -> None:
    # The ranker puts better results on top, so comparing the two swapped results with each
    # other confounds position with relevance; the unswapped searches remove that.
    observations = _simulated("power", "randpair")
    within = []
    for b in range(1, K):
        swapped = [o for o in observations if o.swap is not None and o.swap.b == b]
        moved_down = sum(b in o.clicked_positions for o in swapped)
        moved_up = sum(0 in o.clicked_positions for o in swapped)
        within.append(moved_down / moved_up)
    truth = np.asarray(CURVES["power"][1:]) / CURVES["power"][0]
    assert np.abs(np.asarray(within) - truth).mean() > 0.3

    estimate = estimate_propensities(observations, max_position=K, scheme="randpair")
    assert true_curve_error(estimate, CURVES["power"])["mean_abs_error"] < 0.035


def test_randpair_without_unswapped_searches_uses_the_lower_result() -> None:
    # The swapped searches alone: what a log served with rate=1 looks like.
    observations = [o for o in _simulated("power", "randpair") if o.swap is not None]
    estimate = estimate_propensities(observations, max_position=K, scheme="randpair")
    assert estimate.n_unswapped == 0
    error = true_curve_error(estimate, CURVES["power"])
    assert error["mean_abs_error"] < 0.045
    assert error["max_abs_error"] < 0.1


def _observation(
    swap: tuple[int, int] | None, clicks: set[int], n_shown: int = 4
) -> SwapObservation:
    scheme: SwapScheme = "adjacent" if swap is not None and swap[1] == swap[0] + 1 else "randpair"
    logged = None if swap is None else Swap(scheme=scheme, a=swap[0], b=swap[1])
    return SwapObservation(logged, frozenset(clicks), n_shown)


def _as_randpair(observation: SwapObservation) -> SwapObservation:
    swap = observation.swap
    if swap is None:
        return observation
    randpair = Swap(scheme="randpair", a=swap.a, b=swap.b)
    return SwapObservation(randpair, observation.clicked_positions, observation.n_shown)


HAND_LOGGED = [
    _observation(None, {0}),
    _observation(None, {0}),
    _observation(None, {0, 1}),
    _observation(None, set()),
    _observation((0, 1), {1}),
    _observation((0, 1), {0}),
    _observation((0, 2), set()),
    _observation((0, 2), {2}),
]


def test_randpair_pools_both_swapped_results_with_the_untouched_searches() -> None:
    estimate = estimate_propensities(
        [_as_randpair(o) for o in HAND_LOGGED], max_position=4, scheme="randpair"
    )
    # Position 2: swapped rates 1/2 (upper result at 2) and 1/2 (lower result at 1); the
    # searches that left position 2 untouched (4 unswapped, 2 swapped with 3) click it at
    # 1/6, and position 1 is untouched only in unswapped searches, clicked at 3/4.
    # Position 3: swapped rates 1/2 at 3 and 0 at 1; untouched position 3 is never clicked.
    assert estimate.relative[:3] == pytest.approx((1.0, (1 / 2 + 1 / 6) / (1 / 2 + 3 / 4), 2 / 3))
    assert math.isnan(estimate.relative[3])
    assert estimate.counts == (0, 2, 2, 0)
    assert estimate.n_unswapped == 4


def test_positions_without_data_are_nan_and_filled_only_on_request() -> None:
    estimate = estimate_propensities(
        [_as_randpair(o) for o in HAND_LOGGED], max_position=6, scheme="randpair"
    )
    # Pages of 4 results cannot inform max_position=6: every search is skipped.
    assert estimate.n_skipped == len(HAND_LOGGED)
    assert estimate.relative[0] == 1.0
    assert all(math.isnan(value) for value in estimate.relative[1:])

    pages_of_six = [
        SwapObservation(o.swap, o.clicked_positions, 6) for o in map(_as_randpair, HAND_LOGGED)
    ]
    estimate = estimate_propensities(pages_of_six, max_position=6, scheme="randpair")
    assert [math.isnan(value) for value in estimate.relative] == [False] * 3 + [True] * 3
    assert [math.isnan(value) for value in estimate.low[3:] + estimate.high[3:]] == [True] * 6
    assert estimate.counts[3:] == (0, 0, 0)
    assert estimate.filled()[3:] == (estimate.relative[2],) * 3


def test_adjacent_chain_stops_at_a_missing_link() -> None:
    observations = [
        _observation(None, {0, 1, 2, 3, 4}, n_shown=5),
        _observation((0, 1), {0, 1}, n_shown=5),
        _observation((1, 2), {1}, n_shown=5),
        _observation((3, 4), {3, 4}, n_shown=5),
    ]
    estimate = estimate_propensities(observations, max_position=5, scheme="adjacent")
    assert [math.isfinite(value) for value in estimate.relative] == [True] * 3 + [False] * 2
    assert estimate.counts == (0, 1, 1, 0, 1)


def test_randpair_with_a_lower_pivot_is_relative_to_the_pivot() -> None:
    curve = CURVES["geometric"]
    rng = np.random.default_rng(4)
    config = SwapConfig(rate=0.5, max_position=6, pivot=2)
    swaps = [maybe_swap(range(6), config, rng)[1] for _ in range(8_000)]
    # Every result equally attractive: the page's order does not change the click odds.
    clicks = rng.random((len(swaps), 6)) < np.asarray(curve[:6]) * 0.5
    observations = [
        SwapObservation(swap, clicked, 6)
        for swap, clicked in zip(swaps, _clicked_positions(clicks), strict=True)
    ]
    estimate = estimate_propensities(observations, max_position=6, scheme="randpair", pivot=2)
    assert estimate.reference == 2
    assert math.isnan(estimate.relative[0])
    assert estimate.relative[1] == 1.0
    assert estimate.filled()[0] == 1.0
    error = true_curve_error(estimate, curve[:6])
    assert error["n_compared"] == 4
    assert error["n_missing"] == 1
    assert error["mean_abs_error"] < 0.05


def test_bootstrap_is_seeded() -> None:
    observations = _simulated("geometric", "adjacent")
    first = estimate_propensities(observations, max_position=K, scheme="adjacent", seed=3)
    again = estimate_propensities(observations, max_position=K, scheme="adjacent", seed=3)
    other = estimate_propensities(observations, max_position=K, scheme="adjacent", seed=4)
    assert first == again
    assert first.relative == other.relative
    assert first.low != other.low


def test_no_bootstrap_no_bounds() -> None:
    estimate = estimate_propensities(
        [_as_randpair(o) for o in HAND_LOGGED], max_position=4, scheme="randpair", n_bootstrap=0
    )
    assert estimate.low[0] == estimate.high[0] == 1.0
    assert all(math.isnan(value) for value in estimate.low[1:] + estimate.high[1:])


def test_no_observations() -> None:
    estimate = estimate_propensities([], max_position=3, scheme="adjacent")
    assert estimate.relative[0] == 1.0
    assert all(math.isnan(value) for value in estimate.relative[1:])
    assert estimate.counts == (0, 0, 0)


ESTIMATE = PropensityEstimate(
    relative=(1.0, 0.5, 0.05, math.nan, 0.0),
    low=(1.0, 0.4, 0.01, math.nan, 0.0),
    high=(1.0, 0.6, 0.1, math.nan, 0.1),
    counts=(0, 10, 10, 0, 10),
    scheme="randpair",
)


def test_ipw_weights_invert_clip_and_extend() -> None:
    assert ESTIMATE.filled() == (1.0, 0.5, 0.05, 0.05, 0.0)
    weights = ESTIMATE.ipw_weights([0, 1, 2, 3, 4, 12])
    assert weights.dtype == np.float32
    np.testing.assert_allclose(weights, [1.0, 2.0, 10.0, 10.0, 10.0, 10.0])
    np.testing.assert_allclose(ESTIMATE.ipw_weights(np.array([[2, 3]]), clip=50.0), [[20.0, 20.0]])
    assert ESTIMATE.ipw_weights([]).shape == (0,)


@pytest.mark.parametrize(
    ("positions", "clip", "match"),
    [
        ([0, -1], 10.0, "positions must be 0 or more, but -1 is given"),
        ([0.5], 10.0, "positions must be integers"),
        ([0], 0.0, "clip must be positive, but 0.0 is given"),
    ],
)
def test_ipw_weights_refuse_bad_input(positions: list[Any], clip: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ESTIMATE.ipw_weights(positions, clip=clip)


def test_true_curve_error() -> None:
    exact = PropensityEstimate(
        relative=(1.0, 0.5, math.nan),
        low=(1.0, 0.5, math.nan),
        high=(1.0, 0.5, math.nan),
        counts=(0, 1, 0),
        scheme="randpair",
    )
    error = true_curve_error(exact, [0.8, 0.4, 0.2, 0.1])
    assert error == {"mean_abs_error": 0.0, "max_abs_error": 0.0, "n_compared": 1, "n_missing": 1}
    off = true_curve_error(exact, [1.0, 0.3])
    assert off["mean_abs_error"] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="true_curve must be positive at the reference"):
        true_curve_error(exact, [0.0, 0.3])


SWAPPED = Swap(scheme="randpair", a=0, b=2)


@pytest.mark.parametrize(
    ("observations", "kwargs", "match"),
    [
        ([], {"max_position": 1, "scheme": "randpair"}, "max_position must be 2 or more"),
        ([], {"max_position": 4, "scheme": "shuffle"}, "scheme must be one of"),
        ([], {"max_position": 4, "scheme": "randpair", "pivot": 4}, r"pivot must lie in \[1, 3\]"),
        ([], {"max_position": 4, "scheme": "randpair", "n_bootstrap": -1}, "n_bootstrap"),
        ([], {"max_position": 4, "scheme": "randpair", "confidence": 1.0}, "confidence"),
        (
            [SwapObservation(SWAPPED, frozenset(), 4)],
            {"max_position": 4, "scheme": "adjacent"},
            "observation 0 was swapped with scheme 'randpair', but scheme='adjacent'",
        ),
        (
            [SwapObservation(SWAPPED, frozenset(), 4)],
            {"max_position": 4, "scheme": "randpair", "pivot": 2},
            r"observation 0 swapped positions \(0, 2\), which .* cannot draw",
        ),
    ],
)
def test_estimate_refuses_bad_input(
    observations: list[SwapObservation], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        estimate_propensities(observations, **kwargs)


@pytest.mark.parametrize(
    ("swap", "clicks", "n_shown", "match"),
    [
        (None, {0}, -1, "n_shown must be 0 or more"),
        (None, {3, 5}, 4, r"clicked positions must lie in \[0, 4\), but \[5\] is given"),
        (SWAPPED, set(), 2, r"swap \(0, 2\) needs at least 3 results, but n_shown=2"),
    ],
)
def test_observation_refuses_bad_input(
    swap: Swap | None, clicks: set[int], n_shown: int, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        SwapObservation(swap, frozenset(clicks), n_shown)
