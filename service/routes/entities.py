"""Entity lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from catalog.model import Entity
from service.deps import ServicesDep

router = APIRouter(tags=["catalog"])


@router.get(
    "/entities/{entity_id}",
    response_model=Entity,
    response_model_exclude_none=True,
    responses={404: {}},
)
def get_entity(
    entity_id: Annotated[str, Path(min_length=1, max_length=128)], services: ServicesDep
) -> Entity:
    """One catalog entity by id."""
    entity = services.store.get(entity_id)
    if entity is None:
        raise HTTPException(status_code=404, detail=f"no entity with id {entity_id!r}")
    return entity
