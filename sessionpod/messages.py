"""Outgoing messages accepted by the internal API, one pydantic model per kind.

``POST /v1/messages/<kind>`` takes the model of ``MESSAGE_KINDS[kind]``. The
recipient ``to`` is a phone number (digits, with country code) or a JID
(``<digits>@s.whatsapp.net``, ``<id>@g.us`` for a group); ``recipient``
normalises it. Media travels as base64, like the seed's webhook payloads.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

USER_SERVER: Final = "s.whatsapp.net"
GROUP_SERVER: Final = "g.us"
_PHONE = re.compile(r"\+?[0-9]{6,20}")
_JID = re.compile(r"([0-9A-Za-z.:_-]{1,64})@(s\.whatsapp\.net|g\.us|c\.us|lid)")
MAX_MEDIA_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True)
class Recipient:
    """A normalised recipient: ``user`` and ``server`` of its JID."""

    user: str
    server: str

    @property
    def jid(self) -> str:
        return f"{self.user}@{self.server}"

    @property
    def is_group(self) -> bool:
        return self.server == GROUP_SERVER


def recipient(to: str) -> Recipient:
    """Parse ``to``; ``ValueError`` with a clear message if it is neither a number nor a JID."""
    text = to.strip()
    if _PHONE.fullmatch(text):
        return Recipient(text.lstrip("+"), USER_SERVER)
    match = _JID.fullmatch(text)
    if match:
        server = USER_SERVER if match.group(2) == "c.us" else match.group(2)
        return Recipient(match.group(1), server)
    raise ValueError(f"{to!r} is neither a phone number (digits with country code) nor a WhatsApp JID")


class OutgoingMessage(BaseModel):
    """Fields every message kind has."""

    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=100)

    @field_validator("to")
    @classmethod
    def _valid_recipient(cls, value: str) -> str:
        recipient(value)
        return value

    @property
    def recipient(self) -> Recipient:
        return recipient(self.to)


class TextMessage(OutgoingMessage):
    text: str = Field(min_length=1, max_length=65536)
    linkPreview: bool = False


class _Media(OutgoingMessage):
    base64: str = Field(min_length=1)
    mimetype: str = ""

    @field_validator("base64")
    @classmethod
    def _decodable(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError("base64 is not valid base64") from error
        if len(raw) > MAX_MEDIA_BYTES:
            raise ValueError(f"media larger than {MAX_MEDIA_BYTES} bytes")
        return value

    def data(self) -> bytes:
        return base64.b64decode(self.base64)


class ImageMessage(_Media):
    caption: str = ""
    mimetype: str = "image/jpeg"


class DocumentMessage(_Media):
    filename: str = Field(default="document", min_length=1, max_length=255)
    caption: str = ""
    mimetype: str = "application/octet-stream"


class AudioMessage(_Media):
    ptt: bool = False
    mimetype: str = "audio/ogg; codecs=opus"


class VideoMessage(_Media):
    caption: str = ""
    mimetype: str = "video/mp4"


class LocationMessage(OutgoingMessage):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str = ""
    address: str = ""


class ContactMessage(OutgoingMessage):
    displayName: str = Field(min_length=1, max_length=256)
    vcard: str = Field(min_length=1, max_length=65536)


class PollMessage(OutgoingMessage):
    name: str = Field(min_length=1, max_length=256)
    options: list[str] = Field(min_length=2, max_length=12)
    selectableCount: int = Field(default=1, ge=0, le=12)


class ReactionMessage(OutgoingMessage):
    messageId: str = Field(min_length=1, max_length=128)
    emoji: str = Field(max_length=16)
    fromMe: bool = True


MESSAGE_KINDS: Final[dict[str, type[OutgoingMessage]]] = {
    "text": TextMessage,
    "image": ImageMessage,
    "document": DocumentMessage,
    "audio": AudioMessage,
    "video": VideoMessage,
    "location": LocationMessage,
    "contact": ContactMessage,
    "poll": PollMessage,
    "reaction": ReactionMessage,
}


def kind_of(message: OutgoingMessage) -> str:
    """The kind name of ``message`` (the key of ``MESSAGE_KINDS``)."""
    for kind, model in MESSAGE_KINDS.items():
        if type(message) is model:
            return kind
    raise TypeError(f"unknown message model {type(message).__name__}")
