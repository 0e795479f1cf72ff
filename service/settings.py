"""One settings object for the whole service (environment prefix ``LTRR_``).

Nested sections use a double underscore: ``LTRR_BM25__PRIOR_WEIGHT=0`` switches
the popularity prior off. Every setting is documented in
``docs/configuration.md``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bandit.config import BanditConfig
from ranker.config import RankerConfig
from retrievers.bm25 import Bm25Config
from retrievers.dense import DenseConfig
from retrievers.memory_base import MemoryConfig
from retrievers.structured import StructuredConfig
from retrievers.understanding import UnderstandingConfig

DEFAULT_SIGNING_SECRET = "ltrr-local-development-secret"


class Mode(StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"


class PipelineConfig(BaseModel):
    """How one search runs: the fixed plan, timeouts and fusion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategies: list[str] = Field(
        default_factory=lambda: ["bm25", "dense", "structured", "memory"],
        description="Registered retrieval strategies, by name.",
    )
    default_plan: dict[str, int] = Field(
        default_factory=lambda: {"bm25": 100, "dense": 50, "structured": 50, "memory": 25},
        description="Strategy → depth drawn per search until the bandit chooses plans.",
    )
    candidate_budget: int = Field(default=300, ge=1, le=5000)
    strategy_timeout_ms: float = Field(default=500.0, gt=0)
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant k.")

    @model_validator(mode="after")
    def _plan_uses_known_strategies(self) -> PipelineConfig:
        unknown = sorted(set(self.default_plan) - set(self.strategies))
        if unknown:
            raise ValueError(
                f"default_plan names strategies that are not registered: {unknown}; "
                f"registered: {self.strategies}"
            )
        return self


class FeedbackConfig(BaseModel):
    """The feedback path: stream, worker and what it applies (``LTRR_FEEDBACK__*``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    in_process_worker: bool = Field(
        default=True,
        description="Run the worker in the service process; false when `ltrr worker` runs apart.",
    )
    batch_size: int = Field(default=200, ge=1, le=10_000)
    lease_s: float = Field(
        default=30.0, gt=0, description="Unacknowledged entries are re-claimed after this long."
    )
    max_attempts: int = Field(default=5, ge=1, description="Failures before dead-lettering.")
    dedup_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long an event_id is remembered (Redis)."
    )


class Settings(BaseSettings):
    """Service settings; see docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="LTRR_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    mode: Mode = Mode.LOCAL
    data_dir: Path = Path("data/demo")
    signing_secret: str = Field(default=DEFAULT_SIGNING_SECRET, min_length=16)
    decision_log_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long decisions stay joinable."
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Larger request bodies are refused with 413."
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LTRR_REDIS_URL", "REDIS_URL", "redis_url"),
        description="Shared state (decision log, feedback stream, memory) in Redis when set.",
    )
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    bm25: Bm25Config = Field(default_factory=Bm25Config)
    understanding: UnderstandingConfig = Field(default_factory=UnderstandingConfig)
    structured: StructuredConfig = Field(default_factory=StructuredConfig)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    dense: DenseConfig = Field(default_factory=DenseConfig)
    models_dir: Path | None = Field(
        default=None,
        description="Where the exported ONNX embedding model is kept (default: DATA_DIR/models).",
    )

    @property
    def model_export_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    bandit: BanditConfig = Field(default_factory=BanditConfig)
    ranker: RankerConfig = Field(default_factory=RankerConfig)
    admin_token: str | None = Field(
        default=None,
        min_length=16,
        description=(
            "Bearer token of the /admin endpoints (ranker models); unset, they answer 403."
        ),
    )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.mode is not Mode.LOCAL and self.signing_secret == DEFAULT_SIGNING_SECRET:
            raise ValueError(
                "LTRR_SIGNING_SECRET must be set to a private value outside local mode "
                f"(LTRR_MODE={self.mode.value}); the default secret would let anyone forge "
                "search ids"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
