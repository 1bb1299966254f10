"""The pod's internal HTTP API (facade and operator → pod), built with FastAPI.

``/healthz`` and ``/readyz`` are open (the kubelet probes them); every other
route needs ``Authorization: Bearer <INTERNAL_TOKEN>``, compared in constant
time, and answers 401 otherwise. Routes and bodies: ``docs/sessionpod.md``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from mywhatsapp.common import pod_contract as pc
from mywhatsapp.sessionpod import http_groups
from mywhatsapp.sessionpod.backend import BackendError
from mywhatsapp.sessionpod.messages import MESSAGE_KINDS
from mywhatsapp.sessionpod.session import Session


class PairBody(BaseModel):
    phone: str = Field(pattern=r"^[0-9]{8,15}$")


class CheckBody(BaseModel):
    phones: list[Annotated[str, Field(pattern=r"^\+?[0-9]{6,20}$")]] = Field(min_length=1, max_length=100)


class ReadBody(BaseModel):
    chat: str = Field(min_length=1)
    ids: list[str] = Field(min_length=1, max_length=500)


def token_matches(header: str | None, token: str) -> bool:
    """True if ``header`` is ``Bearer <token>`` (constant-time comparison)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


def create_app(session: Session, *, token: str) -> FastAPI:
    """The internal API of ``session``, guarded by ``token``."""
    app = FastAPI(title="mywhatsapp session pod", docs_url=None, redoc_url=None, openapi_url=None)

    open_paths = {pc.LIVENESS_PATH, pc.READINESS_PATH}

    @app.middleware("http")
    async def require_token(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path not in open_paths and not token_matches(request.headers.get("authorization"), token):
            return JSONResponse({"error": "missing or wrong internal token"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    @app.exception_handler(BackendError)
    async def backend_error(_: Request, error: BackendError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=error.status)

    @app.get(pc.LIVENESS_PATH)
    async def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.get(pc.READINESS_PATH)
    async def readyz() -> JSONResponse:
        ready = session.ready and not session.exit_requested.done()
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get(pc.PATH_STATUS)
    async def status() -> dict[str, Any]:
        return session.view()

    @app.post(pc.PATH_LOGOUT)
    async def logout() -> dict[str, Any]:
        unlinked = await session.logout()
        return {"ok": True, "unlinked": unlinked, **session.view()}

    @app.post(pc.PATH_RESTART)
    async def restart() -> dict[str, Any]:
        await session.restart()
        return {"ok": True, **session.view()}

    @app.post(pc.PATH_PAIR)
    async def pair(body: PairBody) -> dict[str, Any]:
        return {"pairingCode": await session.pair(body.phone)}

    @app.post(pc.PATH_MESSAGES + "/{kind}")
    async def send(kind: str, request: Request) -> JSONResponse:
        model = MESSAGE_KINDS.get(kind)
        if model is None:
            return JSONResponse({"error": f"unknown message kind {kind!r}",
                                 "kinds": sorted(MESSAGE_KINDS)}, status_code=404)
        try:
            message = model.model_validate(await request.json())
        except ValidationError as error:
            return JSONResponse({"error": "invalid message",
                                 "details": error.errors(include_url=False, include_context=False)},
                                status_code=400)
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        sent = await session.send(message)
        return JSONResponse({"id": sent.id, "timestamp": sent.timestamp, "to": sent.to, "kind": kind})

    @app.post(pc.PATH_NUMBERS_CHECK)
    async def check(body: CheckBody) -> dict[str, Any]:
        results = await session.check_numbers([p.lstrip("+") for p in body.phones])
        return {"results": [{"phone": r.phone, "exists": r.exists, "jid": r.jid} for r in results]}

    @app.post(pc.PATH_READ)
    async def read(body: ReadBody) -> dict[str, Any]:
        await session.mark_read(body.chat, body.ids)
        return {"ok": True}

    @app.get(pc.PATH_EVENTS)
    async def events(after: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        return {"events": session.traffic.since(after), "last": session.traffic.last_seq}

    http_groups.add_routes(app, session)
    return app
