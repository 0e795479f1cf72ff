"""Examination propensities estimated from randomized result swaps.

Unbiased learning-to-rank weights each click by the inverse of the probability ``p_k`` that
a result at display position ``k`` was examined at all (Joachims, Swaminathan & Schnabel
2017, "Unbiased Learning-to-Rank with Biased Feedback", WSDM). Only ratios ``p_k / p_1``
matter for the weights, and they can be read from the clicks of searches randomized by
:func:`ranker.interventions.maybe_swap`.

Estimator
---------
Under the position-based model, a result ``d`` shown at position ``k`` is clicked with
probability ``p_k * g(d)``: examined with probability ``p_k``, and clicked once examined
with a probability ``g(d)`` that depends on the result only. Take a swap of the 0-based
positions ``a < b`` and write ``c_x`` for a click at display position ``x``:

* in searches with that swap, ``E[c_b] = p_b * E[g(upper result)]`` and
  ``E[c_a] = p_a * E[g(lower result)]``: each result is shown at the other's position;
* in searches that left position ``x`` untouched (unswapped searches, and swaps of other
  positions), ``E[c_x] = p_x * E[g(result ranked at x)]``.

Whether and where a search is swapped is decided by a coin, independently of the query, so
the expected attractiveness of the result the ranker put at each position is the same in
every group. Seeing each of the two results once at each position cancels it exactly:

    p_b / p_a = (swapped(c_b) + untouched(c_b)) / (swapped(c_a) + untouched(c_a))

where ``swapped(c_x)`` and ``untouched(c_x)`` are click rates at ``x`` in the two groups.

The ratio of click rates within swapped searches alone, ``swapped(c_b) / swapped(c_a)``,
would estimate ``p_b / p_a`` times the ratio of the attractiveness of the upper and lower
results; it is biased whenever the ranker puts better results on top, which is why
unswapped searches belong in the input. When no search left position ``a``
untouched (RandPair at the pivot without unswapped searches), the lower result alone is
used, ``untouched(c_b) / swapped(c_a)``; symmetrically, the upper result alone when
nothing left ``b`` untouched. Ratios of means are consistent, not unbiased, and the
confidence intervals come from a bootstrap over searches.

* ``"randpair"``: the swap of the pivot with position ``k`` gives ``p_k / p_pivot`` directly
  (Joachims et al. 2017, Section 5; Wang, Golbandi, Bendersky, Metzler & Najork 2018,
  "Position Bias Estimation for Unbiased Learning to Rank in Personal Search", WSDM).
* ``"adjacent"``: swaps of neighbours give ``p_{i+1} / p_i``, multiplied along the ranking
  (the chained ratios of Agarwal, Zaitsev, Wang, Li, Najork & Joachims 2019, "Estimating
  Position Bias without Intrusive Interventions", WSDM). A position whose link is missing
  leaves it and every position below it unknown.

Only searches that showed at least ``max_position`` results are used: on them the swap was
drawn from the same positions whatever the query, while on shorter pages the lower positions
cannot be drawn, which would tie the swap to the kind of query. Unknown positions are NaN,
never silently filled; :meth:`PropensityEstimate.filled` fills them explicitly for weighting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ranker.interventions import Swap, SwapScheme

_SCHEMES: tuple[SwapScheme, ...] = ("randpair", "adjacent")


@dataclass(frozen=True, slots=True)
class SwapObservation:
    """One served search: the swap applied to it (None if unswapped), and its clicks.

    ``clicked_positions`` are 0-based *display* positions, after the swap; ``n_shown`` is the
    number of results the page displayed. Unswapped searches are observations too: they
    show each result where the ranker put it, which is what the swapped ones are compared to.
    """

    swap: Swap | None
    clicked_positions: frozenset[int]
    n_shown: int

    def __post_init__(self) -> None:
        if self.n_shown < 0:
            raise ValueError(f"n_shown must be 0 or more, but {self.n_shown} is given")
        clicked = self.clicked_positions
        if clicked and (min(clicked) < 0 or max(clicked) >= self.n_shown):
            outside = sorted(p for p in clicked if not 0 <= p < self.n_shown)
            raise ValueError(
                f"clicked positions must lie in [0, {self.n_shown}), but {outside} is given"
            )
        if self.swap is not None and self.swap.b >= self.n_shown:
            raise ValueError(
                f"swap ({self.swap.a}, {self.swap.b}) needs at least {self.swap.b + 1} results, "
                f"but n_shown={self.n_shown} is given"
            )


@dataclass(frozen=True)
class PropensityEstimate:
    """Relative examination propensities of display positions 1..max_position.

    ``relative[k]`` estimates ``p_{k+1} / p_reference`` (``reference`` is 1-based and 1 unless
    RandPair pivoted elsewhere), NaN where the data says nothing. ``low`` and ``high`` bound a
    bootstrap percentile interval. ``counts[k]`` is the number of swapped searches that
    moved a result to position ``k + 1`` from the reference (randpair) or from the position
    above (adjacent); it is 0 at the reference. ``n_unswapped`` counts the unswapped searches
    used and ``n_skipped`` the searches left out because they showed fewer than
    ``max_position`` results.
    """

    relative: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    counts: tuple[int, ...]
    scheme: SwapScheme
    reference: int = 1
    n_unswapped: int = 0
    n_skipped: int = 0

    def __post_init__(self) -> None:
        sizes = {len(self.relative), len(self.low), len(self.high), len(self.counts)}
        if len(sizes) != 1 or not self.relative:
            raise ValueError(
                "relative, low, high and counts must have one equal, non-zero length, but "
                f"lengths {len(self.relative)}, {len(self.low)}, {len(self.high)}, "
                f"{len(self.counts)} are given"
            )
        if not 1 <= self.reference <= len(self.relative):
            raise ValueError(
                f"reference must lie in [1, {len(self.relative)}], but {self.reference} is given"
            )

    @property
    def max_position(self) -> int:
        """Number of positions estimated."""
        return len(self.relative)

    def filled(self) -> tuple[float, ...]:
        """The curve with unknown positions filled, for use as weights.

        A NaN position takes the last known value above it, so a result is never weighted
        more than the deepest position with data supports. Positions above the reference
        (only RandPair with a pivot other than 1 has them) take 1.0: no correction.
        """
        filled: list[float] = []
        last = 1.0
        for index, value in enumerate(self.relative):
            if math.isfinite(value):
                last = value
            elif index < self.reference - 1:
                filled.append(1.0)
                continue
            filled.append(last)
        return tuple(filled)

    def ipw_weights(self, positions: ArrayLike, clip: float = 10.0) -> NDArray[np.float32]:
        """Inverse-propensity weights ``min(clip, 1 / p_k)`` of 0-based display positions.

        Uses :meth:`filled`; positions at or beyond ``max_position`` take the last position's
        value. Clipping bounds the variance that rare clicks deep in the ranking would add.
        """
        if not clip > 0.0:
            raise ValueError(f"clip must be positive, but {clip} is given")
        index = np.asarray(positions)
        if index.size and not np.issubdtype(index.dtype, np.integer):
            raise ValueError(f"positions must be integers, but dtype {index.dtype} is given")
        if index.size and int(index.min()) < 0:
            raise ValueError(f"positions must be 0 or more, but {int(index.min())} is given")
        curve = np.asarray(self.filled(), dtype=np.float64)
        propensity = curve[np.minimum(index.astype(np.int64), self.max_position - 1)]
        inverse = np.divide(
            1.0, propensity, out=np.full(propensity.shape, np.inf), where=propensity > 0.0
        )
        weights: NDArray[np.float32] = np.minimum(inverse, clip).astype(np.float32)
        return weights


def _swap_pairs(scheme: SwapScheme, max_position: int, pivot: int) -> list[tuple[int, int]]:
    """The 0-based position pairs the scheme can swap, in order of the position they inform."""
    if scheme == "randpair":
        return [(pivot - 1, b) for b in range(pivot, max_position)]
    return [(i, i + 1) for i in range(max_position - 1)]


def _curves(
    sums: NDArray[np.float64],
    sizes: NDArray[np.float64],
    pairs: Sequence[tuple[int, int]],
    scheme: SwapScheme,
    reference: int,
) -> NDArray[np.float64]:
    """Relative propensities for a batch of samples.

    ``sums[s, g, x]`` is the number of clicks at display position ``x`` in group ``g`` of
    sample ``s`` and ``sizes[s, g]`` the group's number of searches; group 0 is unswapped,
    group ``j + 1`` swapped ``pairs[j]``. Returns ``(samples, max_position)``.
    """
    n_samples, n_groups, max_position = sums.shape
    untouched = np.ones((n_groups, max_position), dtype=np.float64)
    for group, (a, b) in enumerate(pairs, start=1):
        untouched[group, [a, b]] = 0.0
    untouched_sums = np.einsum("sgx,gx->sx", sums, untouched)
    untouched_sizes = sizes @ untouched
    ratios = np.full((n_samples, len(pairs)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        untouched_mean = untouched_sums / untouched_sizes
        swapped_mean = sums / sizes[:, :, None]
        for j, (a, b) in enumerate(pairs):
            down = swapped_mean[:, j + 1, b]  # the upper result, shown at b
            up = swapped_mean[:, j + 1, a]  # the lower result, shown at a
            stay_a, stay_b = untouched_mean[:, a], untouched_mean[:, b]
            has_a, has_b = untouched_sizes[:, a] > 0, untouched_sizes[:, b] > 0
            ratio = np.where(
                has_a & has_b,
                (down + stay_b) / (up + stay_a),
                np.where(has_b, stay_b / up, down / stay_a),
            )
            valid = (sizes[:, j + 1] > 0) & (has_a | has_b) & np.isfinite(ratio)
            ratios[:, j] = np.where(valid, ratio, np.nan)
    relative = np.full((n_samples, max_position), np.nan)
    relative[:, reference - 1] = 1.0
    if scheme == "randpair":
        relative[:, [b for _, b in pairs]] = ratios
    else:
        relative[:, 1:] = np.cumprod(ratios, axis=1)
    return relative


def _percentile_bounds(
    replicates: NDArray[np.float64], point: NDArray[np.float64], confidence: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Percentile bounds per position over the finite replicates; NaN where none is."""
    tail = (1.0 - confidence) / 2.0
    low = np.full(point.shape, np.nan)
    high = np.full(point.shape, np.nan)
    for position in range(point.shape[0]):
        values = replicates[:, position]
        values = values[np.isfinite(values)]
        if math.isfinite(point[position]) and values.size:
            low[position], high[position] = np.quantile(values, [tail, 1.0 - tail])
    return low, high


def estimate_propensities(
    observations: Iterable[SwapObservation],
    *,
    max_position: int,
    scheme: SwapScheme,
    pivot: int = 1,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> PropensityEstimate:
    """Relative examination propensities of positions 1..``max_position`` from logged swaps.

    ``max_position``, ``scheme`` and ``pivot`` must be those of the
    :class:`~ranker.interventions.SwapConfig` the searches were served with; pass the
    unswapped searches too (see the module docstring for the estimator). RandPair estimates
    ``p_k / p_pivot``, so with a pivot other than 1 the positions above it are NaN and the curve
    is normalized to the pivot (``PropensityEstimate.reference``). The interval is a
    bootstrap percentile interval over ``n_bootstrap`` resamples of the searches drawn with
    ``numpy.random.default_rng(seed)``; ``n_bootstrap=0`` skips it (bounds NaN).
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {list(_SCHEMES)}, but {scheme!r} is given")
    if max_position < 2:
        raise ValueError(f"max_position must be 2 or more, but {max_position} is given")
    if scheme == "randpair" and not 1 <= pivot < max_position:
        raise ValueError(
            f"pivot must lie in [1, {max_position - 1}] for max_position={max_position}, "
            f"but {pivot} is given"
        )
    if n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be 0 or more, but {n_bootstrap} is given")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), but {confidence} is given")

    reference = pivot if scheme == "randpair" else 1
    pairs = _swap_pairs(scheme, max_position, pivot)
    group_of = {pair: group for group, pair in enumerate(pairs, start=1)}
    # Searches with the same group and clicks are interchangeable: counting the distinct
    # patterns and resampling them with multinomial counts is the bootstrap over searches.
    frequency_of: dict[tuple[int, frozenset[int]], int] = {}
    n_skipped = 0
    for number, observation in enumerate(observations):
        swap = observation.swap
        if swap is not None and swap.scheme != scheme:
            raise ValueError(
                f"observation {number} was swapped with scheme {swap.scheme!r}, "
                f"but scheme={scheme!r} is estimated"
            )
        if observation.n_shown < max_position:
            n_skipped += 1
            continue
        group = 0
        if swap is not None:
            found = group_of.get((swap.a, swap.b))
            if found is None:
                raise ValueError(
                    f"observation {number} swapped positions ({swap.a}, {swap.b}), which "
                    f"scheme={scheme!r} with max_position={max_position} and pivot={pivot} "
                    "cannot draw; pass the settings the searches were served with"
                )
            group = found
        key = (group, observation.clicked_positions)
        frequency_of[key] = frequency_of.get(key, 0) + 1

    n_groups = len(pairs) + 1
    n_patterns = len(frequency_of)
    membership = np.zeros((n_patterns, n_groups), dtype=np.float64)
    clicked = np.zeros((n_patterns, max_position), dtype=np.float64)
    for row, (group, positions) in enumerate(frequency_of):
        membership[row, group] = 1.0
        clicked[row, [p for p in positions if p < max_position]] = 1.0
    frequency = np.fromiter(frequency_of.values(), dtype=np.float64, count=n_patterns)
    contribution = membership[:, :, None] * clicked[:, None, :]
    n_searches = int(frequency.sum())

    def curves(weights: NDArray[np.float64]) -> NDArray[np.float64]:
        sums = np.tensordot(weights, contribution, axes=(1, 0))
        return _curves(sums, weights @ membership, pairs, scheme, reference)

    point = curves(frequency[None, :])[0]
    low = np.full(max_position, np.nan)
    high = np.full(max_position, np.nan)
    if n_bootstrap and n_searches:
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(n_searches, frequency / n_searches, size=n_bootstrap)
        low, high = _percentile_bounds(curves(draws.astype(np.float64)), point, confidence)
    low[reference - 1] = high[reference - 1] = 1.0

    sizes = frequency @ membership
    counts = [0] * max_position
    for group, (_, b) in enumerate(pairs, start=1):
        counts[b] = int(sizes[group])
    return PropensityEstimate(
        relative=tuple(float(v) for v in point),
        low=tuple(float(v) for v in low),
        high=tuple(float(v) for v in high),
        counts=tuple(counts),
        scheme=scheme,
        reference=reference,
        n_unswapped=int(sizes[0]),
        n_skipped=n_skipped,
    )


def true_curve_error(estimate: PropensityEstimate, true_curve: Sequence[float]) -> dict[str, float]:
    """How far an estimate is from a known examination curve (for simulator reports).

    ``true_curve[k]`` is the examination probability of position ``k + 1``; it is normalized
    to the estimate's reference position (``p_1 = 1`` by default) and compared on the
    positions both cover, the reference itself excluded (it is 1 by construction). Returns
    ``mean_abs_error`` and ``max_abs_error`` over the positions with an estimate (NaN if
    there is none), ``n_compared`` and ``n_missing`` (positions whose estimate is NaN).
    """
    reference = estimate.reference - 1
    if len(true_curve) <= reference or not true_curve[reference] > 0.0:
        raise ValueError(
            f"true_curve must be positive at the reference position {estimate.reference}, "
            f"but {list(true_curve)} is given"
        )
    covered = min(len(true_curve), estimate.max_position)
    truth = np.asarray(true_curve[:covered], dtype=np.float64) / true_curve[reference]
    guess = np.asarray(estimate.relative[:covered], dtype=np.float64)
    compared = np.isfinite(guess)
    compared[reference] = False
    errors = np.abs(guess[compared] - truth[compared])
    missing = int((~np.isfinite(guess)).sum())
    return {
        "mean_abs_error": float(errors.mean()) if errors.size else math.nan,
        "max_abs_error": float(errors.max()) if errors.size else math.nan,
        "n_compared": int(errors.size),
        "n_missing": missing,
    }
