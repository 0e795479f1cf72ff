"""What a listener does with a result page: a position-based click model with engagement.

Examination follows the **position-based model** (PBM; Richardson et al. 2007,
Craswell et al. 2008; Chuklin, Markov & de Rijke 2015, "Click Models for Web
Search", ch. 3): the result at rank ``k`` is examined with probability
``θ_k = (1 / k)^η``, independently of the other results, and an examined result
is clicked with a probability that depends only on its relevance grade. The
``(1/k)^η`` curve is the one used to simulate position bias in Joachims,
Swaminathan & Schnabel 2017 ("Unbiased Learning-to-Rank with Biased Feedback")
and Wang et al. 2018 ("Position Bias Estimation for Unbiased Learning to Rank in
Personal Search"). PBM rather than the cascade model keeps the true examination
propensities exactly known, so a ranker's propensity estimates can be checked
against :meth:`ClickModel.examination_curve`.

Beyond clicks, the model draws what music and podcast search cares about: a
click starts playback with a probability by grade, the listening time follows
the grade (a Beta share of the entity's length), short plays are skips, and some
plays end in a like or an add-to-library. A small share of sessions are
abandoned before any result is examined.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.model import EntityType

GRADES = 4
"""Relevance grades 0..3."""

PerGrade = tuple[float, float, float, float]


class ClickModelConfig(BaseModel):
    """Parameters of the listener's behaviour on a result page (see docs/simulator.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eta: float = Field(
        default=1.0, ge=0, description="Position-bias severity: θ_k = (1/k)^eta (0 = no bias)."
    )
    abandonment: float = Field(
        default=0.05, ge=0, le=1, description="Sessions left before examining any result."
    )
    click: PerGrade = Field(
        default=(0.05, 0.3, 0.6, 0.95), description="P(click | examined, grade 0..3)."
    )
    play: PerGrade = Field(
        default=(0.7, 0.85, 0.95, 0.98), description="P(playback starts | clicked, grade)."
    )
    listen_beta: tuple[PerGrade, PerGrade] = Field(
        default=((0.3, 1.0, 2.0, 6.0), (6.0, 3.0, 2.0, 1.5)),
        description="Beta(a, b) of the share of the entity listened to, per grade (a's, b's).",
    )
    skip_below_ms: int = Field(
        default=30_000, ge=0, description="Plays shorter than this end with a skip event."
    )
    like: PerGrade = Field(default=(0.0, 0.01, 0.05, 0.15), description="P(like | played, grade).")
    add_to_library: PerGrade = Field(
        default=(0.0, 0.01, 0.04, 0.1), description="P(add to library | played, grade)."
    )
    nominal_ms: dict[EntityType, int] = Field(
        default_factory=lambda: {
            EntityType.ARTIST: 20 * 60_000,
            EntityType.PLAYLIST: 30 * 60_000,
            EntityType.SHOW: 45 * 60_000,
            EntityType.ALBUM: 40 * 60_000,
            EntityType.TRACK: 210_000,
            EntityType.EPISODE: 45 * 60_000,
        },
        description="Listening length assumed when an entity has no duration.",
    )

    @field_validator("click", "play", "like", "add_to_library")
    @classmethod
    def _probabilities(cls, values: PerGrade) -> PerGrade:
        if not all(0.0 <= v <= 1.0 for v in values):
            raise ValueError(f"probabilities must lie in [0, 1], but {values} given")
        return values

    @field_validator("listen_beta")
    @classmethod
    def _positive(cls, values: tuple[PerGrade, PerGrade]) -> tuple[PerGrade, PerGrade]:
        if not all(v > 0 for row in values for v in row):
            raise ValueError(f"Beta parameters must be positive, but {values} given")
        return values


@dataclass(frozen=True, slots=True)
class ShownResult:
    """One result as the listener sees it: its rank, entity and (hidden) relevance grade."""

    rank: int
    entity_id: str
    entity_type: EntityType
    duration_ms: int | None
    grade: int


@dataclass(frozen=True, slots=True)
class Interaction:
    """What the listener did with one examined result; ``offset_ms`` orders the events."""

    rank: int
    entity_id: str
    clicked: bool
    play_ms: int | None
    skipped: bool
    liked: bool
    added: bool
    offset_ms: int


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """Everything that happened on one result page."""

    abandoned: bool
    examined: tuple[int, ...]
    interactions: tuple[Interaction, ...]

    @property
    def clicks(self) -> int:
        return sum(1 for i in self.interactions if i.clicked)

    def engaged(self, long_play_ms: int) -> bool:
        """A reward: a click, a play of at least ``long_play_ms`` or a like."""
        return any(
            i.clicked or i.liked or (i.play_ms or 0) >= long_play_ms for i in self.interactions
        )


class ClickModel:
    """Position-based examination, graded attractiveness, then playback and engagement."""

    def __init__(self, config: ClickModelConfig) -> None:
        self.config = config

    def examination(self, rank: int) -> float:
        """θ_k, the probability of examining rank ``k`` once the page is looked at."""
        if rank < 1:
            raise ValueError(f"rank must be 1 or more, but {rank} is given")
        return float((1.0 / rank) ** self.config.eta)

    def examination_curve(self, ranks: int) -> list[float]:
        """The true marginal P(examined) at ranks 1..``ranks``, abandonment included."""
        keep = 1.0 - self.config.abandonment
        return [keep * self.examination(k) for k in range(1, ranks + 1)]

    def simulate(self, page: Sequence[ShownResult], rng: random.Random) -> PageOutcome:
        """Draw examination, clicks, playback and engagement for one result page.

        Every rank draws from its own stream seeded from ``rng``, in a fixed order
        (examine, click, play, listen, like, add), so the same session on two
        different pages shares its random numbers rank by rank (common random
        numbers make policy comparisons less noisy).
        """
        config = self.config
        if rng.random() < config.abandonment:
            return PageOutcome(abandoned=True, examined=(), interactions=())
        base = rng.getrandbits(64)
        examined: list[int] = []
        interactions: list[Interaction] = []
        clock_ms = 0
        for result in page:
            draw = random.Random(base + result.rank)
            looked = draw.random() < self.examination(result.rank)
            clicked = draw.random() < config.click[result.grade]
            plays = draw.random() < config.play[result.grade]
            share = draw.betavariate(
                config.listen_beta[0][result.grade], config.listen_beta[1][result.grade]
            )
            liked = draw.random() < config.like[result.grade]
            added = draw.random() < config.add_to_library[result.grade]
            if not looked:
                continue
            examined.append(result.rank)
            clock_ms += 1_500
            if not clicked:
                continue
            play_ms = None
            if plays:
                length = result.duration_ms or config.nominal_ms[result.entity_type]
                play_ms = max(1_000, int(share * length))
            played = play_ms is not None
            interactions.append(
                Interaction(
                    rank=result.rank,
                    entity_id=result.entity_id,
                    clicked=True,
                    play_ms=play_ms,
                    skipped=played and (play_ms or 0) < config.skip_below_ms,
                    liked=played and liked,
                    added=played and added,
                    offset_ms=clock_ms,
                )
            )
            clock_ms += 2_000
        return PageOutcome(
            abandoned=False, examined=tuple(examined), interactions=tuple(interactions)
        )
