"""FastAPI dependencies: settings, services, body, caller and the owned session.

Ownership is decided in ONE place, ``session_target``: a session that exists
but belongs to another token (or, after a hash collision, to another
SessionName) is handed to the routes as missing, so every route answers for
it exactly what it answers for a session that does not exist. Only Start
looks at ``taken`` (it cannot create a name that is in use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from mywhatsapp.api import messages
from mywhatsapp.api.auth import HEADER, Caller
from mywhatsapp.api.bodies import Body, read_body
from mywhatsapp.api.envelope import SeedError
from mywhatsapp.api.services import Services
from mywhatsapp.api.sessionview import owner_of
from mywhatsapp.api.settings import Settings
from mywhatsapp.common import crd, names


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


async def request_body(request: Request) -> Body:
    return await read_body(request)


def current_caller(request: Request, services: Annotated[Services, Depends(get_services)],
                   body: Annotated[Body, Depends(request_body)]) -> Caller:
    """The authenticated caller (the body is parsed first, as the seed did)."""
    del body  # only forces the order: malformed JSON is answered before auth
    return services.authenticator.authenticate(request.headers.get(HEADER))


@dataclass(frozen=True)
class SessionTarget:
    """The session a request names, as the caller may see it."""

    session_name: str
    cr_name: str
    cr: dict[str, Any] | None  # None: missing, or not the caller's
    taken: bool = False  # exists but is not the caller's


def session_target(body: Annotated[Body, Depends(request_body)],
                   caller: Annotated[Caller, Depends(current_caller)],
                   services: Annotated[Services, Depends(get_services)]) -> SessionTarget:
    raw = body.get("SessionName")
    if raw is None:
        raise SeedError(400, messages.MISSING_FIELDS)
    try:
        cr_name = names.cr_name_for(raw)
    except names.SessionNameError as exc:
        raise SeedError(400, str(exc)) from exc
    cr = services.store.get(cr_name)
    if cr is None:
        return SessionTarget(raw, cr_name, None)
    stored = ((cr.get("metadata") or {}).get("annotations") or {}).get(crd.ANNOTATION_SESSION_NAME)
    if names.cr_belongs_to(raw, cr_name=cr_name, stored_session_name=stored) and caller.may_see(owner_of(cr)):
        return SessionTarget(raw, cr_name, cr)
    return SessionTarget(raw, cr_name, None, taken=True)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BodyDep = Annotated[Body, Depends(request_body)]
CallerDep = Annotated[Caller, Depends(current_caller)]
TargetDep = Annotated[SessionTarget, Depends(session_target)]
