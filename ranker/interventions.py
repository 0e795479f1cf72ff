"""Randomized result swaps at serve time: the interventions that reveal position bias.

A small, configurable share of searches has two of its top results exchanged before the page
is served, and the swap is logged with the search. Because which searches are swapped, and
which positions, is decided by a coin independent of the query, the clicks of swapped and
unswapped searches can be compared to estimate how much less a result is examined at a lower
position (:mod:`ranker.propensity`).

Two schemes are offered:

* ``"randpair"``: the result at the pivot position (1 by default) is exchanged with the one at
  a uniformly drawn position ``k`` below it. This is the swap intervention of Joachims,
  Swaminathan & Schnabel 2017, "Unbiased Learning-to-Rank with Biased Feedback", WSDM
  (Section 5), called RandPair by Wang, Golbandi, Bendersky, Metzler & Najork 2018, "Position
  Bias Estimation for Unbiased Learning to Rank in Personal Search", WSDM. Each position is
  compared to the pivot directly, at the price of sometimes moving the best result far down.
* ``"adjacent"``: a uniformly drawn pair of neighbours ``(i, i + 1)`` is exchanged, which
  degrades a page much less; propensities are then chained from neighbour to neighbour, as
  with the adjacent-pair interventions of Agarwal, Zaitsev, Wang, Li, Najork & Joachims 2019,
  "Estimating Position Bias without Intrusive Interventions", WSDM.

Swaps are off by default (``rate = 0``): every randomized page costs some relevance. The
unswapped searches must be logged as well: they are what the swapped ones are compared to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, Self, TypeVar, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

T = TypeVar("T")

SwapScheme = Literal["randpair", "adjacent"]
"""How the two exchanged positions are drawn."""


class SwapConfig(BaseModel):
    """How often and how served rankings are randomized (positions are 1-based here)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = Field(
        0.0, ge=0.0, le=1.0, description="Share of searches randomized; 0 turns swaps off."
    )
    scheme: SwapScheme = Field("randpair", description="How the exchanged positions are drawn.")
    max_position: int = Field(
        10, ge=2, description="Only the top max_position results take part in swaps."
    )
    pivot: int = Field(
        1, ge=1, description="randpair: the position exchanged with a random lower one."
    )

    @model_validator(mode="after")
    def _room_below_the_pivot(self) -> Self:
        if self.scheme == "randpair" and self.pivot >= self.max_position:
            raise ValueError(
                f"pivot must be smaller than max_position ({self.max_position}) so that a "
                f"position below it can be drawn, but {self.pivot} is given"
            )
        return self


@dataclass(frozen=True, slots=True)
class Swap:
    """One applied swap: the results at 0-based positions ``a`` and ``b`` were exchanged.

    ``probability`` is the chance that exactly this swap was drawn for the page it was applied
    to (the swap rate divided by the number of possible swaps), logged so that the
    intervention's propensity is known downstream. A stdlib dataclass, so pydantic models of
    the search log can hold it as a field and validate it.
    """

    scheme: SwapScheme
    a: int
    b: int
    probability: float = 1.0

    def __post_init__(self) -> None:
        if self.scheme not in get_args(SwapScheme):
            raise ValueError(
                f"scheme must be one of {list(get_args(SwapScheme))}, but {self.scheme!r} is given"
            )
        if not 0 <= self.a < self.b:
            raise ValueError(
                f"positions must satisfy 0 <= a < b, but a={self.a}, b={self.b} is given"
            )
        if self.scheme == "adjacent" and self.b != self.a + 1:
            raise ValueError(
                f"an adjacent swap exchanges neighbours, but a={self.a}, b={self.b} is given"
            )
        if not 0.0 < self.probability <= 1.0:
            raise ValueError(f"probability must lie in (0, 1], but {self.probability} is given")

    def apply(self, order: Sequence[T]) -> list[T]:
        """A copy of ``order`` with positions ``a`` and ``b`` exchanged."""
        if self.b >= len(order):
            raise ValueError(
                f"swap ({self.a}, {self.b}) needs at least {self.b + 1} results, "
                f"but {len(order)} are given"
            )
        swapped = list(order)
        swapped[self.a], swapped[self.b] = swapped[self.b], swapped[self.a]
        return swapped


def maybe_swap(
    order: Sequence[T], config: SwapConfig, rng: np.random.Generator
) -> tuple[list[T], Swap | None]:
    """Randomize ``order`` with probability ``config.rate``; return the served order and swap.

    Only the first ``span = min(config.max_position, len(order))`` positions take part:

    * randpair: the pivot (0-based ``config.pivot - 1``) is exchanged with a position drawn
      uniformly from the ones below it within the span;
    * adjacent: ``i`` is drawn uniformly from ``0 .. span - 2`` and ``i, i + 1`` are exchanged.

    A page too short for any swap (fewer than two results, or nothing below the pivot) is
    served unchanged. ``rng`` is not consumed when swaps are off or impossible, so turning
    swaps off leaves every other random draw of the caller as it was.
    """
    span = min(config.max_position, len(order))
    choices = span - config.pivot if config.scheme == "randpair" else span - 1
    if config.rate == 0.0 or choices < 1 or rng.random() >= config.rate:
        return list(order), None
    pick = int(rng.integers(choices))
    if config.scheme == "randpair":
        a, b = config.pivot - 1, config.pivot + pick
    else:
        a, b = pick, pick + 1
    swap = Swap(scheme=config.scheme, a=a, b=b, probability=config.rate / choices)
    return swap.apply(order), swap


SWAP_JSON: Final = TypeAdapter(Swap)
"""The JSON form of a :class:`Swap` in logs, validated on the way back in."""
