"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from mywhatsapp.api.deps import ServicesDep
from mywhatsapp.api.metrics import CONTENT_TYPE

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"ok": True})


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    """Ready once the session cache has listed the sessions (and MySQL is set up, when used)."""
    cache = services.store.cache
    checks = {"sessionCache": cache.synced}
    if services.settings.validate_mysql:
        checks["mysql"] = services.mysql_ready
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks, "cacheError": cache.last_error},
                        status_code=200 if ready else 503)


@router.get("/metrics")
def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
