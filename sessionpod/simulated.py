"""The ``simulated`` backend: one device of the simulator (``mywhatsapp-simulator``).

The device's identity (id and secret, the simulator's stand-in for WhatsApp's
device keys) is kept in ``<STATE_DIR>/simulated-device.json``, so a restarted
pod reconnects without a QR code. Events arrive by long polling; a simulator
that cannot be reached for ``give_up_after`` seconds is a connection failure
(the pod exits and Kubernetes restarts it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod.backend import (
    BackendError,
    EventSink,
    GroupInfo,
    GroupMember,
    InviteLink,
    NumberInfo,
    ParticipantsChange,
    group_exists_by_info,
    SentMessage,
)
from mywhatsapp.sessionpod.messages import OutgoingMessage, kind_of

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "simulated-device.json"
POLL_SECONDS = 20.0


def translate(event: dict[str, Any]) -> ev.Event | None:
    """The session event for one simulator event (``None`` for ones the session ignores)."""
    kind = event.get("type")
    if kind == "qr":
        return ev.QrCode(str(event["code"]), event.get("expiresAt"))
    if kind == "qr_timeout":
        return ev.QrTimeout()
    if kind == "pair_code":
        return ev.PairingCode(str(event["code"]), str(event.get("phone", "")))
    if kind == "connected":
        return ev.Connected(str(event["phone"]), str(event.get("pushName", "")))
    if kind == "logged_out":
        return ev.LoggedOut(str(event.get("reason", "")), bool(event.get("onConnect", False)))
    if kind == "stream_replaced":
        return ev.StreamReplaced()
    if kind == "temp_ban":
        return ev.TemporaryBan("banned by the simulator", event.get("expiresAt"))
    if kind == "message":
        from_me = bool(event.get("fromMe", False))
        group = event.get("group")
        return ev.IncomingMessage(
            id=str(event["id"]),
            chat=str(group or (event["to"] if from_me else event["from"])),
            sender=str(event["from"]),
            kind=str(event.get("kind", "text")),
            content=dict(event.get("content") or {}),
            from_me=from_me,
            timestamp=float(event.get("timestamp", 0.0)),
            push_name=str(event.get("pushName", "")),
            is_group=bool(group),
        )
    if kind == "receipt":
        return ev.Receipt(tuple(event.get("ids", ())), str(event.get("chat", "")),
                          str(event.get("receiptType", "delivered")), float(event.get("timestamp", 0.0)))
    if kind == "call":
        return ev.IncomingCall(str(event["callId"]), str(event["from"]), bool(event.get("isVideo")),
                               float(event.get("timestamp", 0.0)))
    return None


class SimulatedBackend:
    """``Backend`` talking to the simulator over HTTP."""

    restarts_in_process = True

    def __init__(self, *, url: str, state_dir: Path, device_name: str, give_up_after: float = 15.0) -> None:
        self._url = url.rstrip("/")
        self._file = state_dir / CREDENTIALS_FILE
        self._device_name = device_name
        self._give_up_after = give_up_after
        self._http = httpx.AsyncClient(base_url=self._url, timeout=httpx.Timeout(10.0, read=POLL_SECONDS + 10))
        self._credentials: dict[str, str] | None = None
        self._connection: str | None = None
        self._poller: asyncio.Task[None] | None = None

    # --- credentials on the volume -----------------------------------------
    def _load(self) -> dict[str, str] | None:
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            log.warning("%s is damaged; starting a new login", self._file)
            return None
        if data.get("simulatorUrl") != self._url:
            log.warning("stored device belongs to simulator %s; starting a new login", data.get("simulatorUrl"))
            return None
        return {"deviceId": str(data["deviceId"]), "secret": str(data["secret"])}

    def _save(self, credentials: dict[str, str]) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_name(self._file.name + ".tmp")
        temporary.write_text(json.dumps({**credentials, "simulatorUrl": self._url}), encoding="utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self._file)

    def wipe(self) -> None:
        self._file.unlink(missing_ok=True)
        self._credentials = None

    def _auth(self) -> dict[str, str]:
        if self._credentials is None:
            raise BackendError("not registered with the simulator", status=409)
        return {"Authorization": f"Bearer {self._credentials['secret']}"}

    def _device_path(self, suffix: str = "") -> str:
        if self._credentials is None:
            raise BackendError("not registered with the simulator", status=409)
        return f"/devices/{self._credentials['deviceId']}{suffix}"

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, json=body, headers=self._auth())
        except httpx.HTTPError as error:
            raise BackendError(f"simulator unreachable: {error}", status=503) from error
        if response.status_code >= 400:
            try:
                message = str(response.json().get("error", response.text))
            except ValueError:
                message = response.text or response.reason_phrase
            status = response.status_code if response.status_code in (400, 403, 404, 409) else 502
            raise BackendError(f"simulator: {message}", status=status)
        return dict(response.json())

    # --- connection ---------------------------------------------------------
    async def start(self, emit: EventSink) -> None:
        self._credentials = self._load()
        try:
            if self._credentials is None:
                response = await self._http.post("/devices", json={"name": self._device_name})
                response.raise_for_status()
                self._credentials = {k: str(v) for k, v in response.json().items()}
                self._save(self._credentials)
            response = await self._http.post(self._device_path("/connections"), headers=self._auth())
        except httpx.HTTPError as error:
            emit(ev.ConnectionFailed(f"simulator at {self._url} unreachable: {error}"))
            return
        if response.status_code == 401:
            emit(ev.LoggedOut("the simulator does not know this device", on_connect=True))
            return
        if response.status_code >= 400:
            emit(ev.ConnectionFailed(f"simulator refused the connection: HTTP {response.status_code}"))
            return
        self._connection = str(response.json()["connectionId"])
        self._poller = asyncio.get_running_loop().create_task(self._poll(emit, self._connection))

    async def _poll(self, emit: EventSink, connection: str) -> None:
        after = 0
        failing_since: float | None = None
        path = self._device_path(f"/connections/{connection}/events")
        while True:
            try:
                response = await self._http.get(
                    path, params={"after": after, "timeout": POLL_SECONDS}, headers=self._auth()
                )
                if response.status_code in (401, 404):  # the simulator restarted and forgot us
                    emit(ev.ConnectionFailed(f"the simulator dropped the connection (HTTP {response.status_code})"))
                    return
                response.raise_for_status()
            except httpx.HTTPError as error:
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > self._give_up_after:
                    emit(ev.ConnectionFailed(f"lost the simulator: {error}"))
                    return
                await asyncio.sleep(1.0)
                continue
            failing_since = None
            body = response.json()
            for raw in body["events"]:
                after = max(after, int(raw["seq"]))
                event = translate(raw)
                if event is not None:
                    emit(event)
            if body["closed"] and not body["events"]:
                self._connection = None
                return

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._connection is not None and self._credentials is not None:
            try:
                await self._http.delete(self._device_path(f"/connections/{self._connection}"),
                                        headers=self._auth(), timeout=3.0)
            except httpx.HTTPError as error:
                log.info("could not close the simulator connection: %s", error)
            self._connection = None
        await self._http.aclose()

    async def logout(self) -> None:
        try:
            if self._credentials is not None:
                await self._call("POST", self._device_path("/logout"))
        finally:
            self.wipe()

    # --- requests -----------------------------------------------------------
    async def pair_phone(self, phone: str) -> str:
        return str((await self._call("POST", self._device_path("/pair"), {"phone": phone}))["code"])

    async def send(self, message: OutgoingMessage) -> SentMessage:
        target = message.recipient
        content = message.model_dump(exclude={"to"})
        to = target.jid if target.is_group else target.user
        answer = await self._call(
            "POST", self._device_path("/messages"), {"to": to, "kind": kind_of(message), "content": content}
        )
        return SentMessage(str(answer["id"]), float(answer["timestamp"]), target.jid)

    async def mark_read(self, chat: str, ids: Sequence[str]) -> None:
        await self._call("POST", self._device_path("/read"), {"ids": list(ids)})

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberInfo]:
        answer = await self._call("POST", self._device_path("/numbers"), {"phones": list(phones)})
        return [
            NumberInfo(r["phone"], bool(r["exists"]), f"{r['phone']}@s.whatsapp.net" if r["exists"] else None)
            for r in answer["results"]
        ]

    # --- groups -------------------------------------------------------------
    async def create_group(self, subject: str, participants: Sequence[str]) -> tuple[GroupInfo, ParticipantsChange]:
        answer = await self._call("POST", self._device_path("/groups"),
                                  {"subject": subject, "participants": list(participants)})
        return group_info(answer), ParticipantsChange(tuple(answer["valid"]), tuple(answer["invalid"]))

    async def group_info(self, group: str) -> GroupInfo:
        return group_info(await self._call("GET", self._device_path(f"/groups/{group}")))

    async def group_exists(self, group: str) -> bool:
        return await group_exists_by_info(self, group)

    async def joined_groups(self) -> list[GroupInfo]:
        answer = await self._call("GET", self._device_path("/groups"))
        return [group_info(raw) for raw in answer["groups"]]

    async def leave_group(self, group: str) -> None:
        await self._call("POST", self._device_path(f"/groups/{group}/leave"))

    async def set_group_subject(self, group: str, subject: str) -> None:
        await self._call("PUT", self._device_path(f"/groups/{group}/subject"), {"subject": subject})

    async def set_group_description(self, group: str, description: str) -> None:
        await self._call("PUT", self._device_path(f"/groups/{group}/description"), {"description": description})

    async def update_participants(self, group: str, action: str, participants: Sequence[str]) -> ParticipantsChange:
        answer = await self._call("POST", self._device_path(f"/groups/{group}/participants/{action}"),
                                  {"participants": list(participants)})
        return ParticipantsChange(tuple(answer["valid"]), tuple(answer["invalid"]))

    async def group_invite_link(self, group: str, *, revoke: bool = False) -> InviteLink:
        if revoke:
            answer = await self._call("POST", self._device_path(f"/groups/{group}/invite/revoke"))
        else:
            answer = await self._call("GET", self._device_path(f"/groups/{group}/invite"))
        return InviteLink(str(answer["code"]), str(answer["url"]))

    async def join_group(self, code: str) -> str:
        return group_info(await self._call("POST", self._device_path("/groups/join"), {"code": code})).id

    async def group_info_from_invite(self, code: str) -> GroupInfo:
        return group_info(await self._call("GET", self._device_path(f"/invites/{quote(code, safe='')}")))

    # --- profile and contacts ------------------------------------------------
    async def set_push_name(self, name: str) -> None:
        await self._call("PUT", self._device_path("/profile"), {"pushName": name})

    async def set_status_text(self, text: str) -> None:
        await self._call("PUT", self._device_path("/profile"), {"status": text})

    async def contact_status(self, phone: str) -> str | None:
        return (await self._contact(phone)).get("status") or None

    async def profile_picture_url(self, phone: str) -> str | None:
        return (await self._contact(phone)).get("pictureUrl") or None

    async def _contact(self, phone: str) -> dict[str, Any]:
        return await self._call("GET", self._device_path(f"/contacts/{phone}"))


def group_info(raw: dict[str, Any]) -> GroupInfo:
    """A ``GroupInfo`` from the simulator's group view."""
    return GroupInfo(
        id=str(raw["id"]),
        subject=str(raw.get("subject", "")),
        description=str(raw.get("description", "")),
        owner=str(raw.get("owner", "")),
        created=float(raw.get("created", 0.0)),
        participants=tuple(GroupMember(str(p["phone"]), bool(p.get("admin")), bool(p.get("superAdmin")))
                           for p in raw.get("participants", ())),
    )
