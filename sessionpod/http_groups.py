"""Group, profile and contact routes of the internal API (``/v1/groups``, ``/v1/profile``, ``/v1/contacts``).

Included by ``http_api.create_app`` (the bearer-token check there covers these
routes too). Bodies are validated here so that a bad one answers 400 with the
offending fields in ``details``; a session that is not connected answers 409.
Group ids are bare (``120363...``) or JIDs (``120363...@g.us``); participants
and contacts are phone numbers with country code (or user JIDs). Answers use
bare group ids in ``groupId`` and the JID in ``jid``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from mywhatsapp.sessionpod import messages as m
from mywhatsapp.sessionpod.backend import PARTICIPANT_ACTIONS, Backend, GroupInfo
from mywhatsapp.sessionpod.session import Session

_GROUP_ID = re.compile(r"([0-9]{5,30}(?:-[0-9]{5,20})?)(?:@g\.us)?")
_INVITE_PREFIX = "https://chat.whatsapp.com/"
_INVITE_CODE = re.compile(r"[0-9A-Za-z_-]{6,64}")
MAX_PARTICIPANTS = 1024
Model = TypeVar("Model", bound=BaseModel)


class BadRequest(Exception):
    """A request the API refuses with 400 (``details`` as pydantic reports them)."""

    def __init__(self, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


def user_of(text: str) -> str:
    """The phone number of a participant or contact (a number or a user JID)."""
    target = m.recipient(text)
    if target.is_group:
        raise ValueError(f"{text!r} is a group, not a person")
    return target.user


def group_id(text: str) -> str:
    """The bare id of a group (``<id>`` or ``<id>@g.us``)."""
    match = _GROUP_ID.fullmatch(text.strip())
    if match is None:
        raise BadRequest(f"{text!r} is not a group id (digits, optionally with @g.us)")
    return match.group(1)


def invite_code(text: str) -> str:
    """The code of an invite code or link."""
    code = text.strip().removeprefix(_INVITE_PREFIX)
    if not _INVITE_CODE.fullmatch(code):
        raise ValueError("not a WhatsApp group invite code or link")
    return code


Person = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(user_of)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateGroupBody(Strict):
    subject: str = Field(min_length=1, max_length=100)
    participants: list[Person] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)


class SubjectBody(Strict):
    subject: str = Field(min_length=1, max_length=100)


class DescriptionBody(Strict):
    description: str = Field(max_length=2048)


class ParticipantsBody(Strict):
    participants: list[Person] = Field(min_length=1, max_length=MAX_PARTICIPANTS)


class JoinBody(Strict):
    inviteCode: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(invite_code)]


class NameBody(Strict):
    name: str = Field(min_length=1, max_length=25)


class StatusBody(Strict):
    status: str = Field(max_length=139)


async def parse(request: Request, model: type[Model]) -> Model:
    """The body as ``model``; ``BadRequest`` with the fields that are wrong."""
    try:
        return model.model_validate(await request.json())
    except ValidationError as error:
        raise BadRequest("invalid body", error.errors(include_url=False, include_context=False)) from error
    except ValueError as error:
        raise BadRequest("the body must be JSON") from error


def group_view(group: GroupInfo) -> dict[str, Any]:
    return {
        "groupId": group.id,
        "jid": group.jid,
        "subject": group.subject,
        "description": group.description,
        "owner": group.owner,
        "created": group.created,
        "size": len(group.participants),
        "participants": [{"user": p.user, "admin": p.admin, "superAdmin": p.super_admin}
                         for p in group.participants],
    }


def add_routes(app: FastAPI, session: Session) -> None:
    """Add the group, profile and contact routes of ``session`` to ``app``."""

    def backend() -> Backend:
        return session._connected_backend()  # 409 unless connected, like the message routes

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> JSONResponse:
        body: dict[str, Any] = {"error": str(error)}
        if error.details:
            body["details"] = error.details
        return JSONResponse(body, status_code=400)

    # --- groups ----------------------------------------------------------------
    @app.post("/v1/groups")
    async def create_group(request: Request) -> dict[str, Any]:
        body = await parse(request, CreateGroupBody)
        group, change = await backend().create_group(body.subject, body.participants)
        return {**group_view(group), "valid": list(change.valid), "invalid": list(change.invalid)}

    @app.get("/v1/groups")
    async def list_groups() -> dict[str, Any]:
        return {"groups": [group_view(group) for group in await backend().joined_groups()]}

    @app.post("/v1/groups/join")
    async def join_group(request: Request) -> dict[str, Any]:
        body = await parse(request, JoinBody)
        joined = await backend().join_group(body.inviteCode)
        return {"groupId": joined, "jid": f"{joined}@g.us"}

    @app.get("/v1/groups/invites/{code}")
    async def invite_info(code: str) -> dict[str, Any]:
        try:
            checked = invite_code(code)
        except ValueError as error:
            raise BadRequest(str(error)) from error
        return group_view(await backend().group_info_from_invite(checked))

    @app.get("/v1/groups/{group}")
    async def group_info(group: str) -> dict[str, Any]:
        return group_view(await backend().group_info(group_id(group)))

    @app.get("/v1/groups/{group}/exists")
    async def group_exists(group: str) -> dict[str, Any]:
        bare = group_id(group)
        return {"groupId": bare, "jid": f"{bare}@g.us", "exists": await backend().group_exists(bare)}

    @app.post("/v1/groups/{group}/leave")
    async def leave_group(group: str) -> dict[str, Any]:
        await backend().leave_group(group_id(group))
        return {"ok": True}

    @app.put("/v1/groups/{group}/subject")
    async def set_subject(group: str, request: Request) -> dict[str, Any]:
        bare = group_id(group)
        body = await parse(request, SubjectBody)
        await backend().set_group_subject(bare, body.subject)
        return {"ok": True}

    @app.put("/v1/groups/{group}/description")
    async def set_description(group: str, request: Request) -> dict[str, Any]:
        bare = group_id(group)
        body = await parse(request, DescriptionBody)
        await backend().set_group_description(bare, body.description)
        return {"ok": True}

    @app.post("/v1/groups/{group}/participants/{action}")
    async def participants(group: str, action: str, request: Request) -> JSONResponse:
        if action not in PARTICIPANT_ACTIONS:
            return JSONResponse({"error": f"unknown action {action!r}", "actions": list(PARTICIPANT_ACTIONS)},
                                status_code=404)
        bare = group_id(group)
        body = await parse(request, ParticipantsBody)
        change = await backend().update_participants(bare, action, body.participants)
        return JSONResponse({"valid": list(change.valid), "invalid": list(change.invalid)})

    @app.get("/v1/groups/{group}/invite")
    async def invite_link(group: str) -> dict[str, Any]:
        link = await backend().group_invite_link(group_id(group))
        return {"inviteCode": link.code, "inviteUrl": link.url}

    @app.post("/v1/groups/{group}/invite/revoke")
    async def revoke_invite_link(group: str) -> dict[str, Any]:
        link = await backend().group_invite_link(group_id(group), revoke=True)
        return {"inviteCode": link.code, "inviteUrl": link.url}

    # --- profile -----------------------------------------------------------------
    @app.put("/v1/profile/name")
    async def set_push_name(request: Request) -> dict[str, Any]:
        body = await parse(request, NameBody)
        await backend().set_push_name(body.name)
        return {"ok": True, "name": body.name}

    @app.put("/v1/profile/status")
    async def set_status_text(request: Request) -> dict[str, Any]:
        body = await parse(request, StatusBody)
        await backend().set_status_text(body.status)
        return {"ok": True, "status": body.status}

    # --- contacts ----------------------------------------------------------------
    def contact(text: str) -> str:
        try:
            return user_of(text)
        except ValueError as error:
            raise BadRequest(str(error)) from error

    @app.get("/v1/contacts/{phone}/status")
    async def contact_status(phone: str) -> dict[str, Any]:
        user = contact(phone)
        return {"phone": user, "status": await backend().contact_status(user)}

    @app.get("/v1/contacts/{phone}/picture")
    async def profile_picture(phone: str) -> dict[str, Any]:
        user = contact(phone)
        return {"phone": user, "url": await backend().profile_picture_url(user)}

