"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.schemas import HealthResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthResponse)
def healthz() -> HealthResponse:
    """The process is alive."""
    return HealthResponse(status="ok")


@router.get("/readyz", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
def readyz(request: Request) -> Response | HealthResponse:
    """The catalog store and every strategy's index are loaded."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        body = HealthResponse(status="loading", detail={"reason": "indexes not loaded yet"})
        return JSONResponse(status_code=503, content=body.model_dump())
    return HealthResponse(
        status="ready",
        detail={
            "entities": len(services.store),
            "strategies": ",".join(sorted(services.pipeline.retrievers)),
        },
    )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus exposition of this instance's metrics."""
    return Response(
        content=generate_latest(request.app.state.metrics.registry),
        media_type=CONTENT_TYPE_LATEST,
    )
