"""Settings of the ranking stage (``LTRR_RANKER__*``): which model serves, what is logged."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ranker.interventions import SwapConfig


class RankerConfig(BaseModel):
    """How the union of candidates is ordered, and what the search logs for training."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(
        default=True,
        description="Order the union with the active model when there is one (RRF otherwise).",
    )
    log_features: bool = Field(
        default=True,
        description=(
            "Compute the ranking features of every search and log them with its decision, "
            "even while RRF serves, so the first model trains on exactly what was served."
        ),
    )
    rank_depth: int = Field(
        default=300, ge=1, le=5000, description="Candidates of the fused union that are scored."
    )
    unshown_sample: int = Field(
        default=10, ge=0, le=1000, description="Unshown candidates logged per search (random)."
    )
    refresh_s: float = Field(
        default=2.0, gt=0.0, description="How often the active model's pointer is checked."
    )
    explain_features: int = Field(
        default=5, ge=1, le=100, description="Feature contributions shown per result."
    )
    swaps: SwapConfig = Field(
        default_factory=SwapConfig,
        description="Randomized swaps of shown results for position-bias estimation (off).",
    )
