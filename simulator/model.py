"""The simulator's records: devices, phones, shown QR codes, and its one error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mywhatsapp.simulator.qr import DeviceKeys

#: Messages kept in a phone's inbox.
MAX_PHONE_MESSAGES = 1000


class SimulatorError(Exception):
    """A refused request; ``status`` is the HTTP status code to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Device:
    """A linked (or still linking) device, i.e. one session pod's identity."""

    id: str
    secret: str
    name: str
    keys: DeviceKeys
    phone: str | None = None
    revoked: bool = False
    linked_at: float | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """What the phone and admin listings show (never the secret)."""
        return {
            "deviceId": self.id,
            "name": self.name,
            "phone": self.phone,
            "revoked": self.revoked,
            "linkedAt": self.linked_at,
        }


@dataclass
class Phone:
    """A primary phone (a WhatsApp account)."""

    number: str
    push_name: str
    banned_until: float = 0.0
    inbox: list[dict[str, Any]] = field(default_factory=list)
    #: The "about" text other accounts can read.
    status: str = ""
    #: The profile picture's URL (none unless set through the phone API).
    picture_url: str | None = None


@dataclass
class Group:
    """A group: its members (phone numbers, in joining order), admins and invite code."""

    id: str
    subject: str
    owner: str
    created: float
    description: str = ""
    members: list[str] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)
    invite_code: str = ""

    @property
    def jid(self) -> str:
        return f"{self.id}@g.us"

    def public(self) -> dict[str, Any]:
        """What members see (``GET`` group info): never the invite code."""
        return {
            "id": self.id,
            "jid": self.jid,
            "subject": self.subject,
            "description": self.description,
            "owner": self.owner,
            "created": self.created,
            "participants": [
                {"phone": number, "admin": number in self.admins, "superAdmin": number == self.owner}
                for number in self.members
            ],
        }


@dataclass
class QrRecord:
    """A QR code that was shown: by which connection, until when."""

    device_id: str
    connection_id: str
    expires_at: float
    superseded: bool = False


def valid_number(number: str) -> str:
    """``number`` if it is 8 to 15 digits, else ``SimulatorError`` 400."""
    if not (number.isdigit() and 8 <= len(number) <= 15):
        raise SimulatorError(400, f"{number!r} is not a phone number (8 to 15 digits)")
    return number
