"""The FastAPI application: heavy objects built once in the lifespan, routes per resource."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.app_state import build_services
from service.metrics import Metrics
from service.routes import admin, entities, feedback, health, search
from service.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def _route_template(request: Request) -> str:
    """The matched route's path template, so metrics labels stay bounded.

    Routing records the matched route in the request scope; requests that matched
    nothing (404s, rejected bodies) share one label.
    """
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the data dir is opened when the app starts (lifespan)."""
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings, metrics)
        app.state.services = services
        logger.info("ltrr ready: %d entities from %s", len(services.store), settings.data_dir)
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="ltrr",
        summary="Learning to rank and retrieve: search over a music and podcast catalog.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.settings = settings

    @app.middleware("http")
    async def limit_and_measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_body_bytes:
            response: Response = JSONResponse(
                status_code=413,
                content={
                    "detail": f"request body of {length} bytes exceeds the limit of "
                    f"{settings.max_body_bytes} bytes"
                },
            )
        else:
            response = await call_next(request)
        endpoint = _route_template(request)
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.request_latency.labels(endpoint).observe(time.perf_counter() - start)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        """422 with one readable line per problem plus the structured errors."""
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
            problems.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
        return JSONResponse(
            status_code=422,
            content={
                "detail": "; ".join(problems),
                "errors": [
                    {
                        "loc": list(item.get("loc", ())),
                        "msg": item.get("msg"),
                        "type": item.get("type"),
                    }
                    for item in error.errors()
                ],
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Errors keep FastAPI's shape; an unparseable body says what a body must be."""
        detail = error.detail
        if error.status_code == 400 and detail == "There was an error parsing the body":
            detail = "request body could not be parsed: it must be UTF-8 encoded JSON"
        return JSONResponse(
            status_code=error.status_code, content={"detail": detail}, headers=error.headers
        )

    app.include_router(search.router)
    app.include_router(feedback.router)
    app.include_router(entities.router)
    app.include_router(health.router)
    app.include_router(admin.router)
    return app
