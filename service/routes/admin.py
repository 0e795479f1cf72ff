"""``/admin``: operate the ranker's model registry (list, activate, deactivate, roll back).

Every admin request needs ``Authorization: Bearer <LTRR_ADMIN_TOKEN>``. Without a
configured token the endpoints are switched off (403); a missing or wrong token is 401.
Every change goes through the shared registry, so every replica follows it within its
refresh interval; the replica that answers switches before it responds.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ranker.feature_spec import FeatureSpecMismatch
from ranker.registry import ModelVersion, NothingToRollBack, UnknownModelVersion
from service.deps import ServicesDep


def require_admin(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    token = services.settings.admin_token
    if token is None:
        raise HTTPException(
            status_code=403, detail="admin endpoints are disabled: set LTRR_ADMIN_TOKEN to use them"
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            status_code=401,
            detail="admin endpoints need the header `Authorization: Bearer <LTRR_ADMIN_TOKEN>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


class ModelsOut(BaseModel):
    active: str | None = Field(description="The active model version, or None (RRF orders).")
    serving: str = Field(description="What this replica serves right now: a version or `rrf`.")
    serving_error: str | None = Field(
        default=None, description="Why the active model is not served here, if it is not."
    )
    models: list[ModelVersion]


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=128)


def _models(services: ServicesDep) -> ModelsOut:
    holder = services.ranking.holder
    return ModelsOut(
        active=services.registry.active(),
        serving="rrf" if holder.ranker is None else holder.ranker.version,
        serving_error=holder.error,
        models=services.registry.list(),
    )


@router.get("/ranker/models", response_model=ModelsOut)
def list_models(services: ServicesDep) -> ModelsOut:
    """The registered ranker models, newest first, and the active one."""
    return _models(services)


@router.post("/ranker/activate", response_model=ModelsOut)
def activate(body: ActivateIn, services: ServicesDep) -> ModelsOut:
    """Serve this model version from now on (every replica follows)."""
    registry = services.registry
    try:
        registry.load(body.version, expected_spec=services.ranking.spec)
    except UnknownModelVersion as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
    except FeatureSpecMismatch as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    registry.activate(body.version)
    services.ranking.holder.refresh()
    return _models(services)


@router.post("/ranker/deactivate", response_model=ModelsOut)
def deactivate(services: ServicesDep) -> ModelsOut:
    """Serve no model: RRF orders results (every replica follows; rollback undoes it).

    With no model active, nothing changes.
    """
    services.registry.deactivate()
    services.ranking.holder.refresh()
    return _models(services)


@router.post("/ranker/rollback", response_model=ModelsOut)
def rollback(services: ServicesDep) -> ModelsOut:
    """Serve again what was served before the last change: a model, or RRF (no model)."""
    try:
        services.registry.rollback()
    except NothingToRollBack as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    services.ranking.holder.refresh()
    return _models(services)
