"""neonize (whatsmeow) protobuf events → session events, as pure functions.

Importing this module loads neonize's protobuf classes (not its Go library).
Chats and senders are given as plain identifiers: the phone number for a
person (``<digits>@s.whatsapp.net`` → ``<digits>``), the full JID otherwise
(groups, lids), so they match what the simulated backend reports.
"""

from __future__ import annotations

import time
from typing import Any

from google.protobuf.message import Message as ProtoMessage
from neonize.proto import Neonize_pb2 as pb

from mywhatsapp.sessionpod import events as ev

USER_SERVER = "s.whatsapp.net"
_MEDIA_FIELDS = {"imageMessage": "image", "videoMessage": "video", "audioMessage": "audio",
                 "documentMessage": "document", "stickerMessage": "sticker"}
_MEDIA_DETAILS = {"caption": "caption", "fileName": "filename", "PTT": "ptt", "seconds": "seconds"}


def jid_text(jid: pb.JID) -> str:
    """A person's phone number, or the JID text for anything else."""
    if jid.Server == USER_SERVER and jid.User:
        return jid.User
    if not jid.User:
        return jid.Server
    return f"{jid.User}@{jid.Server}"


def _enum_name(message: ProtoMessage, field: str) -> str:
    descriptor = message.DESCRIPTOR.fields_by_name[field].enum_type
    value = getattr(message, field)
    return descriptor.values_by_number[value].name if value in descriptor.values_by_number else str(value)


def message_content(message: Any) -> tuple[str, dict[str, Any]]:
    """Kind and JSON content of a WhatsApp ``Message`` protobuf (media without its bytes)."""
    if message.HasField("extendedTextMessage"):
        return "text", {"text": message.extendedTextMessage.text}
    if message.conversation:
        return "text", {"text": message.conversation}
    for field, kind in _MEDIA_FIELDS.items():
        if message.HasField(field):
            media = getattr(message, field)
            content: dict[str, Any] = {"mimetype": media.mimetype, "fileLength": media.fileLength}
            for proto_name, json_name in _MEDIA_DETAILS.items():
                if proto_name in media.DESCRIPTOR.fields_by_name and getattr(media, proto_name):
                    content[json_name] = getattr(media, proto_name)
            return kind, content
    if message.HasField("locationMessage"):
        location = message.locationMessage
        return "location", {"latitude": location.degreesLatitude, "longitude": location.degreesLongitude,
                            "name": location.name, "address": location.address}
    if message.HasField("contactMessage"):
        return "contact", {"displayName": message.contactMessage.displayName,
                           "vcard": message.contactMessage.vcard}
    if message.HasField("reactionMessage"):
        return "reaction", {"messageId": message.reactionMessage.key.ID, "emoji": message.reactionMessage.text}
    for field in ("pollCreationMessage", "pollCreationMessageV3"):
        if message.HasField(field):
            poll = getattr(message, field)
            return "poll", {"name": poll.name, "options": [o.optionName for o in poll.options],
                            "selectableCount": poll.selectableOptionsCount}
    present = [d.name for d, _ in message.ListFields()]
    return "unknown", {"fields": present}


def translate(event: ProtoMessage, *, now: float | None = None) -> ev.Event | None:
    """The session event for a neonize event (``None`` for ones the session ignores)."""
    now = time.time() if now is None else now
    if isinstance(event, pb.Message):
        source = event.Info.MessageSource
        kind, content = message_content(event.Message)
        return ev.IncomingMessage(
            id=event.Info.ID,
            chat=jid_text(source.Chat),
            sender=jid_text(source.Sender),
            kind=kind,
            content=content,
            from_me=source.IsFromMe,
            timestamp=float(event.Info.Timestamp),
            push_name=event.Info.Pushname,
            is_group=source.IsGroup,
        )
    if isinstance(event, pb.Receipt):
        return ev.Receipt(tuple(event.MessageIDs), jid_text(event.MessageSource.Chat),
                          _enum_name(event, "Type").lower(), float(event.Timestamp))
    if isinstance(event, pb.CallOffer):
        meta = event.basicCallMeta
        return ev.IncomingCall(meta.callID, jid_text(getattr(meta, "from")), False, float(meta.timestamp))
    if isinstance(event, pb.LoggedOut):
        return ev.LoggedOut(_enum_name(event, "Reason").lower().replace("_", " "), event.OnConnect)
    if isinstance(event, pb.StreamReplaced):
        return ev.StreamReplaced()
    if isinstance(event, pb.TemporaryBan):
        return ev.TemporaryBan(_enum_name(event, "Code").lower().replace("_", " "),
                               now + event.Expire if event.Expire else None)
    if isinstance(event, pb.ConnectFailure):
        return ev.ConnectionFailed(f"{_enum_name(event, 'Reason')}: {event.Message}".rstrip(": "))
    if isinstance(event, pb.ClientOutdated):
        return ev.ConnectionFailed("WhatsApp says this client version is outdated")
    if isinstance(event, pb.StreamError):
        return ev.ConnectionFailed(f"stream error {event.Code}")
    if isinstance(event, pb.Disconnected):
        return ev.ConnectionLost("disconnected")
    if isinstance(event, pb.KeepAliveTimeout):
        return None
    return None
