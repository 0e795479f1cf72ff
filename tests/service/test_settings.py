from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.settings import PipelineConfig, Settings


def test_default_secret_refused_outside_local_mode() -> None:
    with pytest.raises(ValidationError, match="LTRR_SIGNING_SECRET must be set"):
        Settings(mode="production")


def test_production_with_private_secret_is_fine() -> None:
    settings = Settings(mode="production", signing_secret="s3cr3t-for-this-deployment")
    assert settings.mode == "production"


def test_nested_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LTRR_BM25__PRIOR_WEIGHT", "0")
    monkeypatch.setenv("LTRR_PIPELINE__STRATEGY_TIMEOUT_MS", "250")
    assert Settings().memory.learn is True
    monkeypatch.setenv("LTRR_MEMORY__LEARN", "false")
    settings = Settings()
    assert settings.bm25.prior_weight == 0
    assert settings.pipeline.strategy_timeout_ms == 250
    assert settings.memory.learn is False


def test_plan_must_name_registered_strategies() -> None:
    with pytest.raises(ValidationError, match="not registered"):
        PipelineConfig(strategies=["bm25"], default_plan={"bm25": 10, "dense": 10})
