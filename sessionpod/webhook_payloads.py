"""The seed's webhook payloads (``wh_qrcode``, ``wh_connect``, ``wh_message``, ``wh_status``,
``wh_incomingcall``), built by pure functions.

Field names and values follow the seed (``/work/shared/reference/seed-api.md`` §4 and its
``templateWebhook.txt``), so a receiver written for the seed keeps working. Differences are
additions only (``SessionName``/``message`` everywhere, ``participant`` in groups).

The session pod enqueues *drafts*: payloads built before the seed's SessionName is known
(it comes from the CR, read asynchronously) and, for QR codes, before the PNG is rendered
(~20 ms, kept off the WhatsApp side). ``finalize`` completes a draft just before the first
delivery attempt; the finished body is then stored and signed byte for byte.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import qrcode

from mywhatsapp.sessionpod import events as ev

#: Which ``spec.webhooks`` URL each event kind goes to.
KIND_QRCODE: Final = "qrcode"
KIND_CONNECT: Final = "connect"
KIND_MESSAGE: Final = "message"
KIND_STATUS: Final = "status"
KIND_INCOMING_CALL: Final = "incomingCall"
KINDS: Final = (KIND_STATUS, KIND_MESSAGE, KIND_QRCODE, KIND_CONNECT, KIND_INCOMING_CALL)

#: Receipt types (neonize/simulator, lower case) → the seed's ack names.
RECEIPT_STATUS: Final = {
    "sender": "SEND",
    "server": "SEND",
    "delivered": "RECEIVED",
    "read": "READ",
    "read_self": "READ",
    "played": "PLAYED",
    "played_self": "PLAYED",
    "server_error": "ERROR",
    "retry": "PENDING",
}


def when(epoch_seconds: float) -> str:
    """``2026-12-04T16:45:28Z``: the datetime of payloads (UTC, whole seconds)."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def qr_data_url(code: str) -> str:
    """The QR code as a PNG data URL, like the seed's ``QRCode.toDataURL``."""
    buffer = io.BytesIO()
    qrcode.make(code).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def wh_qrcode(session_name: str, code: str, *, data_url: str | None, message: str = "") -> dict[str, Any]:
    """``{wook:"QRCODE", session, state, status, qrcode, urlCode}``; ``data_url`` None = a draft."""
    return {
        "SessionName": session_name,
        "wook": "QRCODE",
        "session": session_name,
        "state": "QRCODE",
        "status": "qrRead",
        "qrcode": data_url,
        "urlCode": code,
        "message": message,
    }


def wh_connect(session_name: str, *, state: str, status: str, number: str | None,
               message: str = "") -> dict[str, Any]:
    """``{wook:"STATUS_CONNECT", SessionName, state, status, number}`` (connect/close/logout)."""
    return {
        "SessionName": session_name,
        "wook": "STATUS_CONNECT",
        "session": session_name,
        "state": state,
        "status": status,
        "number": number or None,
        "message": message,
    }


def _message_fields(kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """The seed's ``type`` and type-specific fields for a message of ``kind``."""
    c = dict(content)
    media: dict[str, Any] = {key: c[key] for key in ("mimetype", "fileLength", "base64") if key in c}
    if kind == "text":
        return {"type": "text", "content": c.get("text", "")}
    if kind == "image":
        return {"type": "image", "caption": c.get("caption", ""), **media,
                **{k: c[k] for k in ("height", "width") if k in c}}
    if kind == "sticker":  # the seed reports stickers as images
        return {"type": "image", "caption": "", **media, "isAnimated": bool(c.get("isAnimated", False))}
    if kind == "audio":
        return {"type": "audio", **media, "time": c.get("seconds", c.get("time", "")), "ptt": bool(c.get("ptt"))}
    if kind == "video":
        return {"type": "video", "caption": c.get("caption", ""), **media,
                **({"seconds": c["seconds"]} if "seconds" in c else {})}
    if kind == "document":
        return {"type": "document", "caption": c.get("caption", ""),
                "fileName": c.get("filename", c.get("fileName", "")), **media}
    if kind == "location":
        return {"type": "location", "lat": c.get("latitude"), "long": c.get("longitude"), "url": c.get("url", ""),
                "locationName": c.get("name", ""), "address": c.get("address", "")}
    if kind == "contact":
        return {"type": "vcard", "displayName": c.get("displayName", ""), "vcard": c.get("vcard", "")}
    if kind == "reaction":
        return {"type": "reactionMessage", "content": c.get("emoji", ""), "reactionTo": c.get("messageId", "")}
    if kind == "poll":
        return {"type": "poll", "poll": {"name": c.get("name", ""), "options": list(c.get("options", [])),
                                         "selectableCount": c.get("selectableCount", 1)}}
    return {"type": kind, "content": c}


def wh_message(session_name: str, *, message_id: str, kind: str, content: Mapping[str, Any], from_me: bool,
               chat: str, sender: str, own_phone: str | None, push_name: str = "", is_group: bool = False,
               timestamp: float) -> dict[str, Any]:
    """The seed's ``wh_message``: RECEIVE_MESSAGE/RECEIVED or (``from_me``) SEND_MESSAGE/SEND.

    ``from`` is who wrote it and ``to`` the other side: for a received message the
    sender (a phone number, or the group's JID) and this account; for a sent one this
    account and the chat. In groups ``participant`` is the member who wrote.
    """
    me = own_phone or None
    source: str | None
    target: str | None
    if from_me:
        source, target = me, chat
    else:
        source, target = (chat if is_group else sender), me
    payload: dict[str, Any] = {
        "SessionName": session_name,
        "wook": "SEND_MESSAGE" if from_me else "RECEIVE_MESSAGE",
        "status": "SEND" if from_me else "RECEIVED",
        "type": "",
        "fromMe": from_me,
        "id": message_id,
        "name": push_name,
        "from": source,
        "to": target,
        "isGroup": is_group,
    }
    if is_group:
        payload["participant"] = sender
    payload.update(_message_fields(kind, content))
    payload["datetime"] = when(timestamp)
    return payload


def incoming_message(session_name: str, message: ev.IncomingMessage, *, own_phone: str | None) -> dict[str, Any]:
    """``wh_message`` for a message seen in a chat (received, or sent from another device)."""
    return wh_message(session_name, message_id=message.id, kind=message.kind, content=message.content,
                      from_me=message.from_me, chat=message.chat, sender=message.sender, own_phone=own_phone,
                      push_name=message.push_name, is_group=message.is_group, timestamp=message.timestamp)


def wh_status(session_name: str, receipt: ev.Receipt, *, own_phone: str | None) -> list[dict[str, Any]]:
    """``{wook:"MESSAGE_STATUS", status, id, from, to, dateTime}``, one per message of the receipt."""
    status = RECEIPT_STATUS.get(receipt.receipt_type.lower(), receipt.receipt_type.upper())
    return [
        {
            "SessionName": session_name,
            "wook": "MESSAGE_STATUS",
            "status": status,
            "id": message_id,
            "from": own_phone or None,
            "to": receipt.chat,
            "dateTime": when(receipt.timestamp),
        }
        for message_id in receipt.ids
    ]


def wh_incomingcall(session_name: str, call: ev.IncomingCall) -> dict[str, Any]:
    """``{wook:"INCOMING_CALL", type:"call", id, phone, datetime, offline, status, isVideo, isGroup, participants}``."""
    return {
        "SessionName": session_name,
        "wook": "INCOMING_CALL",
        "type": "call",
        "id": call.call_id,
        "phone": call.caller,
        "datetime": when(call.timestamp),
        "offline": False,
        "status": "offer",
        "isVideo": call.is_video,
        "isGroup": False,
        "participants": [],
    }


def finalize(draft: Mapping[str, Any], session_name: str) -> dict[str, Any]:
    """The payload to send: ``draft`` with the SessionName set and a QR code rendered."""
    payload = dict(draft)
    payload["SessionName"] = session_name
    if "session" in payload:
        payload["session"] = session_name
    if payload.get("wook") == "QRCODE" and not payload.get("qrcode"):
        payload["qrcode"] = qr_data_url(str(payload["urlCode"]))
    return payload
