"""The simulator's HTTP API (FastAPI): the device side and the phone side.

Device side (what a session pod does, authenticated with the device secret):
register, connect, long-poll events, pair, send, read, check numbers, log out.
Phone side (what scripts and tests do, no authentication): scan a QR code,
type a pairing code, unlink a device, send a message, place a call, read the
phone's inbox, ban. See ``docs/simulator.md``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mywhatsapp.simulator import delivery, groups, store
from mywhatsapp.simulator.model import Device, SimulatorError
from mywhatsapp.simulator.qr import QrSchedule
from mywhatsapp.simulator.world import World

MAX_POLL_SECONDS = 30.0
#: The ``Authorization`` header of device calls (``Bearer <device secret>``).
Auth = Annotated[str | None, Header()]


class RegisterBody(BaseModel):
    name: str = Field(default="Simulated device", max_length=100)


class PairRequestBody(BaseModel):
    phone: str


class SendBody(BaseModel):
    to: str
    kind: str = Field(default="text", min_length=1, max_length=40)
    content: dict[str, Any] = Field(default_factory=dict)


class ReadBody(BaseModel):
    ids: list[str]


class CheckBody(BaseModel):
    phones: list[str] = Field(max_length=500)


class PhoneBody(BaseModel):
    pushName: str | None = Field(default=None, max_length=100)
    status: str | None = Field(default=None, max_length=139)
    pictureUrl: str | None = Field(default=None, max_length=2000)


class ProfileBody(BaseModel):
    pushName: str | None = Field(default=None, min_length=1, max_length=100)
    status: str | None = Field(default=None, max_length=139)


class GroupBody(BaseModel):
    subject: str = Field(min_length=1, max_length=groups.MAX_SUBJECT)
    participants: list[str] = Field(default_factory=list, max_length=groups.MAX_MEMBERS)


class SubjectBody(BaseModel):
    subject: str = Field(min_length=1, max_length=groups.MAX_SUBJECT)


class DescriptionBody(BaseModel):
    description: str = Field(default="", max_length=groups.MAX_DESCRIPTION)


class ParticipantsBody(BaseModel):
    participants: list[str] = Field(min_length=1, max_length=groups.MAX_MEMBERS)


class JoinBody(BaseModel):
    code: str = Field(min_length=1, max_length=200)


class ScanBody(BaseModel):
    qr: str = Field(min_length=1, max_length=2000)
    pushName: str | None = Field(default=None, max_length=100)


class PairBody(BaseModel):
    code: str


class PhoneMessageBody(BaseModel):
    to: str
    text: str | None = None
    kind: str = "text"
    content: dict[str, Any] = Field(default_factory=dict)


class CallBody(BaseModel):
    to: str
    isVideo: bool = False


class BanBody(BaseModel):
    seconds: float = Field(default=3600.0, gt=0)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise SimulatorError(401, "send 'Authorization: Bearer <device secret>'")
    return token.strip()


def create_app(schedule: QrSchedule, *, state_file: Path | None = None) -> FastAPI:
    """The simulator app; ``state_file`` keeps devices and phones across restarts."""
    world = World(schedule)
    world.restore(store.load(state_file))
    world.on_change = lambda: store.save(state_file, world.snapshot())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for connection in list(world.connections.values()):
            connection.close()
        store.save(state_file, world.snapshot())

    app = FastAPI(title="mywhatsapp simulator", lifespan=lifespan)
    app.state.world = world

    @app.exception_handler(SimulatorError)
    async def refused(_: Request, error: SimulatorError) -> JSONResponse:
        return JSONResponse({"error": error.message}, status_code=error.status)

    def device(device_id: str, authorization: str | None) -> Device:
        return world.authenticate(device_id, _bearer(authorization))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "schedule": {"firstTtl": schedule.first_ttl,
                                          "nextTtl": schedule.next_ttl,
                                          "maxRefs": schedule.max_refs}}

    # --- device side --------------------------------------------------------
    @app.post("/devices", status_code=201)
    async def register(body: RegisterBody) -> dict[str, Any]:
        new = world.register_device(body.name)
        return {"deviceId": new.id, "secret": new.secret}

    @app.get("/devices")
    async def list_devices() -> dict[str, Any]:
        return {"devices": [d.public() for d in world.devices.values()]}

    @app.post("/devices/{device_id}/connections", status_code=201)
    async def connect(device_id: str, authorization: Auth = None) -> dict[str, Any]:
        connection = world.connect(device(device_id, authorization))
        return {"connectionId": connection.id}

    @app.get("/devices/{device_id}/connections/{connection_id}/events")
    async def events(
        device_id: str,
        connection_id: str,
        after: Annotated[int, Query(ge=0)] = 0,
        timeout: Annotated[float, Query(ge=0, le=MAX_POLL_SECONDS)] = 20.0,
        authorization: Auth = None,
    ) -> dict[str, Any]:
        connection = world.connection_of(device(device_id, authorization), connection_id)
        batch = await connection.wait(after, timeout)
        return {"events": batch, "closed": connection.closed}

    @app.delete("/devices/{device_id}/connections/{connection_id}")
    async def disconnect(device_id: str, connection_id: str, authorization: Auth = None) -> dict[str, Any]:
        world.disconnect(device(device_id, authorization), connection_id)
        return {"ok": True}

    @app.post("/devices/{device_id}/pair")
    async def request_pair(device_id: str, body: PairRequestBody, authorization: Auth = None) -> dict[str, Any]:
        code = world.request_pairing_code(device(device_id, authorization), body.phone)
        return {"code": code}

    @app.post("/devices/{device_id}/logout")
    async def logout(device_id: str, authorization: Auth = None) -> dict[str, Any]:
        world.logout(device(device_id, authorization))
        return {"ok": True}

    def linked(device_id: str, authorization: str | None) -> tuple[Device, str]:
        found = device(device_id, authorization)
        if found.phone is None or found.revoked:
            raise SimulatorError(409, "the device is not linked to a phone")
        return found, found.phone

    @app.post("/devices/{device_id}/messages")
    async def device_send(device_id: str, body: SendBody, authorization: Auth = None) -> dict[str, Any]:
        sender, number = linked(device_id, authorization)
        return delivery.send(world, number, body.to, body.kind, body.content, from_device=sender.id)

    @app.post("/devices/{device_id}/read")
    async def device_read(device_id: str, body: ReadBody, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return {"read": delivery.read(world, number, body.ids)}

    @app.post("/devices/{device_id}/numbers")
    async def check(device_id: str, body: CheckBody, authorization: Auth = None) -> dict[str, Any]:
        linked(device_id, authorization)
        return {"results": delivery.check_numbers(world, body.phones)}

    # --- device side: profile and contacts -----------------------------------
    @app.put("/devices/{device_id}/profile")
    async def set_profile(device_id: str, body: ProfileBody, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        phone = world.phone(number, push_name=body.pushName)
        if body.status is not None:
            phone.status = body.status
            world.changed()
        return contact_view(number)

    @app.get("/devices/{device_id}/contacts/{number}")
    async def contact(device_id: str, number: str, authorization: Auth = None) -> dict[str, Any]:
        linked(device_id, authorization)
        return contact_view(number)

    def contact_view(number: str) -> dict[str, Any]:
        phone = world.phone(number)
        return {"phone": phone.number, "pushName": phone.push_name, "status": phone.status,
                "pictureUrl": phone.picture_url}

    # --- device side: groups ------------------------------------------------
    @app.post("/devices/{device_id}/groups", status_code=201)
    async def create_group(device_id: str, body: GroupBody, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.create(world, number, body.subject, body.participants)

    @app.get("/devices/{device_id}/groups")
    async def list_groups(device_id: str, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return {"groups": [group.public() for group in groups.groups_of(world, number)]}

    @app.post("/devices/{device_id}/groups/join")
    async def join_group(device_id: str, body: JoinBody, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.join(world, number, body.code).public()

    @app.get("/devices/{device_id}/invites/{code}")
    async def invite_info(device_id: str, code: str, authorization: Auth = None) -> dict[str, Any]:
        linked(device_id, authorization)
        return groups.by_invite(world, code).public()

    @app.get("/devices/{device_id}/groups/{group_id}")
    async def group_info(device_id: str, group_id: str, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.as_member(world, number, group_id).public()

    @app.post("/devices/{device_id}/groups/{group_id}/leave")
    async def leave_group(device_id: str, group_id: str, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        groups.leave(world, number, group_id)
        return {"ok": True}

    @app.put("/devices/{device_id}/groups/{group_id}/subject")
    async def group_subject(device_id: str, group_id: str, body: SubjectBody,
                            authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.set_subject(world, number, group_id, body.subject).public()

    @app.put("/devices/{device_id}/groups/{group_id}/description")
    async def group_description(device_id: str, group_id: str, body: DescriptionBody,
                                authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.set_description(world, number, group_id, body.description).public()

    @app.post("/devices/{device_id}/groups/{group_id}/participants/{action}")
    async def group_participants(device_id: str, group_id: str, action: str, body: ParticipantsBody,
                                 authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.change_participants(world, number, group_id, action, body.participants)

    @app.get("/devices/{device_id}/groups/{group_id}/invite")
    async def group_invite(device_id: str, group_id: str, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.invite(world, number, group_id)

    @app.post("/devices/{device_id}/groups/{group_id}/invite/revoke")
    async def group_invite_revoke(device_id: str, group_id: str, authorization: Auth = None) -> dict[str, Any]:
        _, number = linked(device_id, authorization)
        return groups.invite(world, number, group_id, revoke=True)

    # --- phone side ---------------------------------------------------------
    @app.put("/phones/{number}")
    async def put_phone(number: str, body: PhoneBody) -> dict[str, Any]:
        phone = world.phone(number, create=True, push_name=body.pushName)
        if body.status is not None:
            phone.status = body.status
        if body.pictureUrl is not None:
            phone.picture_url = body.pictureUrl or None
        world.changed()
        return {"phone": phone.number, "pushName": phone.push_name, "status": phone.status,
                "pictureUrl": phone.picture_url}

    @app.get("/phones/{number}/groups")
    async def phone_groups(number: str) -> dict[str, Any]:
        world.phone(number)
        return {"groups": [group.public() for group in groups.groups_of(world, number)]}

    @app.get("/groups/{group_id}")
    async def any_group(group_id: str) -> dict[str, Any]:
        found = groups.get(world, group_id)
        return {**found.public(), "admins": list(found.admins), "inviteCode": found.invite_code or None}

    @app.get("/phones/{number}")
    async def get_phone(number: str) -> dict[str, Any]:
        phone = world.phone(number)
        return {"phone": phone.number, "pushName": phone.push_name, "status": phone.status,
                "pictureUrl": phone.picture_url,
                "bannedUntil": phone.banned_until or None,
                "devices": [d.public() for d in world.linked_devices(number)]}

    @app.post("/phones/{number}/scan")
    async def scan(number: str, body: ScanBody) -> dict[str, Any]:
        linked_device = world.scan(number, body.qr.strip(), push_name=body.pushName)
        return {"phone": number, **linked_device.public()}

    @app.post("/phones/{number}/pair")
    async def pair(number: str, body: PairBody) -> dict[str, Any]:
        linked_device = world.pair(number, body.code.strip())
        return {"phone": number, **linked_device.public()}

    @app.get("/phones/{number}/devices")
    async def phone_devices(number: str) -> dict[str, Any]:
        world.phone(number)
        return {"devices": [d.public() for d in world.linked_devices(number)]}

    @app.delete("/phones/{number}/devices/{device_id}")
    async def unlink(number: str, device_id: str) -> dict[str, Any]:
        return {"unlinked": world.unlink(number, device_id).public()}

    @app.post("/phones/{number}/messages")
    async def phone_send(number: str, body: PhoneMessageBody) -> dict[str, Any]:
        content = dict(body.content)
        if body.text is not None:
            content.setdefault("text", body.text)
        world.phone(number, create=True)
        return delivery.send(world, number, body.to, body.kind, content, from_device=None)

    @app.get("/phones/{number}/messages")
    async def inbox(number: str) -> dict[str, Any]:
        return {"messages": world.phone(number).inbox}

    @app.post("/phones/{number}/read")
    async def phone_read(number: str, body: ReadBody) -> dict[str, Any]:
        return {"read": delivery.read(world, number, body.ids)}

    @app.post("/phones/{number}/calls")
    async def call(number: str, body: CallBody) -> dict[str, Any]:
        world.phone(number, create=True)
        return delivery.call(world, number, body.to, video=body.isVideo)

    @app.post("/phones/{number}/ban")
    async def ban(number: str, body: BanBody) -> dict[str, Any]:
        return {"bannedUntil": world.ban(number, body.seconds)}

    return app
