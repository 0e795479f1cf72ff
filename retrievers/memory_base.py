"""Types shared by the Q2E memory and its storage backends.

The memory keeps, for each normalized query and entity, a *pair* whose score
estimates how often listeners who typed the query wanted the entity. The
score is a Beta-Binomial posterior mean (a Bayesian average): the predicted
score is the prior mean, ``prior_strength`` its weight in pseudo-events, and
engagement adds positive or negative evidence::

    score = (prior_strength * prior + positive) / (prior_strength + positive + negative)

so a cold pair scores exactly its prediction and learned rates take over as
evidence accumulates. Old evidence decays exponentially (a half-life in
seconds of event time, in events on the pair, or both) before new evidence is
added, which keeps the memory adaptive when tastes or the catalog change.

Backends (:mod:`retrievers.memory_sqlite`, :mod:`retrievers.memory_redis`)
store pairs with their score materialized, apply each update atomically and
exactly once per event id, and keep a token index for fuzzy lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from retrievers.query_generation import GenerationConfig

BLOCK_LENGTH_SLACK: Final = 2
"""Fuzzy token lookup probes tokens up to this many characters longer or shorter."""


class EngagementKind(StrEnum):
    """What a listener did with a result."""

    IMPRESSION = "impression"
    """Shown and not engaged with."""
    CLICK = "click"
    PLAY = "play"
    LIKE = "like"
    ADD_TO_LIBRARY = "add_to_library"
    SKIP = "skip"


class Engagement(BaseModel):
    """One feedback event on a result, with its event time (seconds since the epoch)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EngagementKind
    at: float = Field(ge=0, allow_inf_nan=False, description="Event time, epoch seconds.")
    duration_ms: int | None = Field(default=None, ge=0, description="How long a play lasted.")

    @model_validator(mode="after")
    def _duration_only_for_plays(self) -> Engagement:
        if self.duration_ms is not None and self.kind is not EngagementKind.PLAY:
            raise ValueError(f"duration_ms is only meaningful for plays, not {self.kind.value}")
        return self


class EngagementWeights(BaseModel):
    """Evidence each engagement adds: positive (the pair was right) or negative."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    impression: float = Field(default=0.2, ge=0, description="Negative weight of an ignored hit.")
    click: float = Field(default=0.5, ge=0)
    play: float = Field(default=1.0, ge=0, description="A full play; shorter ones split it.")
    full_play_ms: int = Field(default=30_000, gt=0, description="A play this long counts fully.")
    like: float = Field(default=2.0, ge=0)
    add_to_library: float = Field(default=2.0, ge=0)
    skip: float = Field(default=1.0, ge=0, description="Negative weight of a skip.")

    def evidence(self, engagement: Engagement) -> tuple[float, float]:
        """``(positive, negative)`` weights of one engagement.

        A play of duration ``d`` is positive in proportion ``min(1, d / full_play_ms)``
        and negative for the rest, so a play cut short after two seconds is
        mostly a skip; a play without a duration counts fully.
        """
        kind = engagement.kind
        if kind is EngagementKind.PLAY:
            duration = engagement.duration_ms
            credit = 1.0 if duration is None else min(1.0, duration / self.full_play_ms)
            return self.play * credit, self.play * (1.0 - credit)
        if kind is EngagementKind.IMPRESSION:
            return 0.0, self.impression
        if kind is EngagementKind.SKIP:
            return 0.0, self.skip
        positive = {
            EngagementKind.CLICK: self.click,
            EngagementKind.LIKE: self.like,
            EngagementKind.ADD_TO_LIBRARY: self.add_to_library,
        }[kind]
        return positive, 0.0


class Smoothing(BaseModel):
    """The Beta prior and the decay of evidence; backends materialize scores with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prior_strength: float = Field(
        default=5.0, gt=0, description="Weight of the predicted score, in pseudo-events."
    )
    unknown_prior: float = Field(
        default=0.05, ge=0, le=1, description="Prior mean of a pair that was never predicted."
    )
    half_life_s: float | None = Field(
        default=30 * 86_400.0, gt=0, description="Evidence halves after this much event time."
    )
    half_life_events: float | None = Field(
        default=None, gt=0, description="Evidence halves after this many events on the pair."
    )


class MemoryConfig(BaseModel):
    """Scoring, learning and fuzzy lookup of the Q2E memory (``LTRR_MEMORY__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    smoothing: Smoothing = Field(default_factory=Smoothing)
    weights: EngagementWeights = Field(default_factory=EngagementWeights)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    learn: bool = Field(
        default=True,
        description="Learn from feedback; false: the feedback worker leaves the memory as it "
        "is, so it serves its predicted pairs only (an ablation: what does feedback add?).",
    )
    fuzzy: bool = Field(default=True, description="Look up near keys when exact hits are few.")
    fuzzy_below: int = Field(
        default=1,
        ge=1,
        description="Look up near keys when the exact key yields fewer hits than this "
        "(after filters); 1 = only for queries the table does not hold.",
    )
    fuzzy_cutoff: float = Field(
        default=80.0, ge=0, le=100, description="Least rapidfuzz ratio of a near-match key."
    )
    max_token_edits: int = Field(
        default=2, ge=0, le=4, description="Most Damerau-Levenshtein edits of a corrected token."
    )
    short_token_length: int = Field(
        default=5, ge=1, description="Tokens up to this long are corrected by one edit at most."
    )
    min_fuzzy_token_length: int = Field(
        default=3, ge=1, description="Shorter query tokens are only matched exactly."
    )
    max_query_tokens: int = Field(default=8, ge=1, le=64)
    max_token_corrections: int = Field(default=3, ge=1, le=32)
    frequency_cap: int = Field(
        default=256, ge=1, description="Key counts of tokens (correction tie-breaks) stop here."
    )
    max_recombinations: int = Field(
        default=16, ge=0, le=1024, description="Corrected rewrites of the query looked up."
    )
    max_postings_per_token: int = Field(default=200, ge=1)
    max_fuzzy_candidates: int = Field(
        default=2000, ge=1, description="Most keys scored with rapidfuzz per query."
    )
    max_fuzzy_keys: int = Field(default=20, ge=1, description="Near-match keys whose pairs count.")
    fuzzy_weight: float = Field(default=0.8, gt=0, le=1)
    fuzzy_exponent: float = Field(
        default=4.0, ge=0, description="A near-match's score is x fuzzy_weight * (ratio/100)^this."
    )
    filter_overfetch: int = Field(
        default=5, ge=1, description="With filters, read this many times k pairs per key."
    )
    max_pairs_per_key: int = Field(default=1000, ge=1)

    def fuzzy_discount(self, similarity: float) -> float:
        """The factor on a near-match's score, from its rapidfuzz ratio in [0, 100]."""
        return float(self.fuzzy_weight * (similarity / 100.0) ** self.fuzzy_exponent)


@dataclass(frozen=True, slots=True)
class PairStats:
    """One query→entity pair: its score, its prior and the evidence behind it."""

    query: str
    """The normalized query (the memory's key)."""
    entity_id: str
    score: float
    predicted: float | None
    """The generator's predicted score, or None for a pair learned from engagement only."""
    positive: float
    negative: float
    events: int
    """Engagement events applied to the pair (not decayed)."""
    updated_at: float | None
    """Event time of the newest evidence, or None before any."""

    @property
    def evidence(self) -> float:
        """Decayed evidence weight behind the score (pseudo-events)."""
        return self.positive + self.negative

    @property
    def learned(self) -> bool:
        return self.events > 0


class UpdateOutcome(StrEnum):
    """What an update did."""

    APPLIED = "applied"
    CREATED = "created"
    """A new pair: the query had never led to this entity."""
    DUPLICATE = "duplicate"
    """The event id was applied before; nothing changed."""
    NO_PAIR = "no_pair"
    """Negative evidence for a pair that does not exist; nothing to lower."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One engagement, as weights on one pair."""

    query: str
    entity_id: str
    positive: float
    negative: float
    at: float
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateResult:
    outcome: UpdateOutcome
    pair: PairStats | None


@dataclass(frozen=True, slots=True)
class EntityPredictions:
    """The predicted keys of one entity, replacing its earlier predictions."""

    entity_id: str
    predicted: Mapping[str, float]


@runtime_checkable
class MemoryStore(Protocol):
    """Durable pairs plus the token index; every write is atomic."""

    smoothing: Smoothing
    """The prior and decay the stored scores are materialized with."""

    def replace_predicted(self, batch: Sequence[EntityPredictions]) -> None:
        """Set each entity's predicted pairs; pairs no longer predicted keep their evidence."""
        ...

    def load(self, batches: Iterable[Sequence[EntityPredictions]]) -> None:
        """``replace_predicted`` for each batch in turn (faster into an empty store)."""
        ...

    def delete_entities(self, entity_ids: Sequence[str]) -> None:
        """Remove every pair (predicted or learned) of these entities."""
        ...

    def clear_predicted(self) -> None:
        """Forget every prediction, as ``replace_predicted`` with none for every entity would:
        pairs without evidence go, learned pairs keep their evidence under the unknown-pair
        prior, keys and tokens left without a pair leave the index."""
        ...

    def apply(self, evidence: Evidence) -> UpdateResult:
        """Decay and add evidence to a pair, once per event id."""
        ...

    def top_entities(self, keys: Sequence[str], limit: int) -> dict[str, list[tuple[str, float]]]:
        """Per key, up to ``limit`` ``(entity_id, score)``, by score then id, descending."""
        ...

    def pair_stats(self, key: str, entity_ids: Sequence[str]) -> dict[str, PairStats]:
        """The stored pairs of ``key`` among ``entity_ids``."""
        ...

    def vocabulary(self, blocks: Sequence[str]) -> set[str]:
        """Every indexed token in these blocks (see :func:`token_blocks`)."""
        ...

    def postings(self, tokens: Sequence[str], limit: int) -> dict[str, list[str]]:
        """Per token, up to ``limit`` keys containing it, by weight descending.

        A key's weight is the best predicted score among its pairs, or its
        score when engagement first created it; it only ever rises.
        """
        ...

    def key_counts(self, tokens: Sequence[str], cap: int) -> dict[str, int]:
        """Per token, how many keys contain it, counted up to ``cap``."""
        ...

    def forget_events(self, before: float) -> int:
        """Forget applied event ids older than ``before``; returns how many."""
        ...

    def close(self) -> None: ...


# --- scoring ---------------------------------------------------------------------------


def smoothed_score(
    predicted: float | None, positive: float, negative: float, smoothing: Smoothing
) -> float:
    """The Beta-Binomial posterior mean of a pair (see the module docstring)."""
    prior = smoothing.unknown_prior if predicted is None else predicted
    k = smoothing.prior_strength
    return min(1.0, max(0.0, (k * prior + positive) / (k + positive + negative)))


def decay_factor(elapsed_s: float, smoothing: Smoothing) -> float:
    """How much of a pair's evidence survives ``elapsed_s`` seconds and one more event."""
    factor = 1.0
    if smoothing.half_life_s is not None and elapsed_s > 0:
        factor *= 0.5 ** (elapsed_s / smoothing.half_life_s)
    if smoothing.half_life_events is not None:
        factor *= 0.5 ** (1.0 / smoothing.half_life_events)
    return factor


def decayed(stats: PairStats, now: float, smoothing: Smoothing) -> PairStats:
    """The pair as it reads at event time ``now`` (time decay only, no event)."""
    if stats.updated_at is None or smoothing.half_life_s is None or now <= stats.updated_at:
        return stats
    factor = 0.5 ** ((now - stats.updated_at) / smoothing.half_life_s)
    positive, negative = stats.positive * factor, stats.negative * factor
    score = smoothed_score(stats.predicted, positive, negative, smoothing)
    return PairStats(
        stats.query,
        stats.entity_id,
        score,
        stats.predicted,
        positive,
        negative,
        stats.events,
        stats.updated_at,
    )


# --- token index -----------------------------------------------------------------------


def token_blocks(token: str) -> tuple[str, str, str]:
    """The three blocks a vocabulary token is filed under: its first two
    characters, its last two, and its first and last, each with its length.

    A typo that spares the start, the end or both outer letters of a word
    (most do: a swapped or doubled inner letter keeps all three) leaves the
    word in a block it shares with the right token — the blocking step of
    record linkage, so only a few hundred tokens are compared per query token.
    """
    n = len(token)
    return f"p:{token[:2]}:{n}", f"s:{token[-2:]}:{n}", f"e:{token[0]}{token[-1]}:{n}"


def probe_blocks(token: str, slack: int = BLOCK_LENGTH_SLACK) -> list[str]:
    """The blocks that may hold a vocabulary token within ``slack`` characters of length."""
    n = len(token)
    return [
        block
        for m in range(max(1, n - slack), n + slack + 1)
        for block in (f"p:{token[:2]}:{m}", f"s:{token[-2:]}:{m}", f"e:{token[0]}{token[-1]}:{m}")
    ]


def key_tokens(key: str) -> list[str]:
    """Distinct tokens of a normalized key, in order."""
    return list(dict.fromkeys(key.split()))
