"""Every parameter of the simulator, in one typed object (documented in docs/simulator.md).

The parameters are fixed before a run and are the same for every policy
compared on it; they describe listeners, not the system being measured.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from simulator.clicks import ClickModelConfig
from simulator.intents import IntentType
from simulator.population import PopulationConfig
from simulator.queries import QueryConfig
from simulator.sampling import IntentConfig


class ImpressionMode(StrEnum):
    EXAMINED = "examined"
    """An impression for each result the listener examined (the position-bias ground truth)."""
    SHOWN = "shown"
    """An impression for every returned result, as a viewport-blind client would send."""


class FeedbackMode(StrEnum):
    AUTO = "auto"
    """Send feedback when the service's ``/openapi.json`` lists ``POST /feedback``."""
    ON = "on"
    OFF = "off"


class DriftConfig(BaseModel):
    """A change in what listeners seek, part-way through a run (the same for every policy).

    From session ``at_session`` on, intents come from a second sampler: a new
    shared head (a wave of different popular needs — what a batch of new
    releases or a trend does to a service's head queries) and, optionally,
    another mix of intent types.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    at_session: int = Field(ge=1, description="Index of the first session after the change.")
    type_mix: dict[IntentType, float] | None = Field(
        default=None, description="Intent-type mix after the change (default: unchanged)."
    )


class SimulatorConfig(BaseModel):
    """Listeners, intents, query phrasing, click behaviour and the session protocol."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    population: PopulationConfig = Field(default_factory=PopulationConfig)
    intents: IntentConfig = Field(default_factory=IntentConfig)
    queries: QueryConfig = Field(default_factory=QueryConfig)
    clicks: ClickModelConfig = Field(default_factory=ClickModelConfig)
    page_size: int = Field(default=10, ge=1, le=100, description="Results shown per search.")
    explain: bool = Field(
        default=True, description="Ask for the explanation (needed for candidate-union metrics)."
    )
    impressions: ImpressionMode = Field(
        default=ImpressionMode.SHOWN,
        description=(
            "`shown`: an impression for every result on the page, as a real client logs it; "
            "`examined` reveals the latent examination outcome and is for experiments only."
        ),
    )
    feedback: FeedbackMode = FeedbackMode.AUTO
    drift: DriftConfig | None = Field(
        default=None,
        description="A change of listeners' needs part-way through (none: stationary).",
    )
    long_play_ms: int = Field(
        default=30_000, ge=0, description="A play at least this long counts as engagement."
    )
    clock_start: datetime = Field(
        default=datetime(2026, 1, 5, tzinfo=UTC),
        description="Simulated time of the first session (the listener's context clock).",
    )
    session_gap_s: float = Field(
        default=300.0,
        gt=0,
        description="Simulated seconds between sessions: 2,000 sessions span about a week.",
    )
