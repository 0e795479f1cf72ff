"""Typed dependencies handing the lifespan-built services to routes."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request

from service.app_state import Services


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise HTTPException(status_code=503, detail="the service is starting: indexes not loaded")
    return cast(Services, services)


ServicesDep = Annotated[Services, Depends(get_services)]
