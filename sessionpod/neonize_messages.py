"""Outgoing messages → WhatsApp ``Message`` protobufs for neonize.

Kinds that need no network are built here as pure functions; media kinds are
built by neonize's own builders (they upload the file first), see
``NeonizeBackend.build``.
"""

from __future__ import annotations

import os
import time

from neonize.proto.waCommon.WACommon_pb2 import MessageKey
from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import (
    ContactMessage,
    LocationMessage,
    Message,
    MessageContextInfo,
    PollCreationMessage,
    ReactionMessage,
)

from mywhatsapp.sessionpod import messages as m

POLL_SECRET_BYTES = 32


def text(message: m.TextMessage) -> Message:
    return Message(conversation=message.text)


def location(message: m.LocationMessage) -> Message:
    return Message(
        locationMessage=LocationMessage(
            degreesLatitude=message.latitude,
            degreesLongitude=message.longitude,
            name=message.name or None,
            address=message.address or None,
        )
    )


def contact(message: m.ContactMessage) -> Message:
    return Message(contactMessage=ContactMessage(displayName=message.displayName, vcard=message.vcard))


def poll(message: m.PollMessage, *, secret: bytes | None = None) -> Message:
    """A poll; like WhatsApp's clients, it carries a random 32-byte message secret (for votes)."""
    return Message(
        pollCreationMessage=PollCreationMessage(
            name=message.name,
            options=[PollCreationMessage.Option(optionName=option) for option in message.options],
            selectableOptionsCount=message.selectableCount,
        ),
        messageContextInfo=MessageContextInfo(messageSecret=secret or os.urandom(POLL_SECRET_BYTES)),
    )


def reaction(message: m.ReactionMessage, *, now_ms: int | None = None) -> Message:
    target = message.recipient
    return Message(
        reactionMessage=ReactionMessage(
            key=MessageKey(remoteJID=target.jid, fromMe=message.fromMe, ID=message.messageId),
            text=message.emoji,
            senderTimestampMS=now_ms if now_ms is not None else int(time.time() * 1000),
        )
    )
